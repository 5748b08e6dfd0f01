/**
 * Platform selection for multi-arch images (manifest lists / OCI indexes):
 * pakostii runs containers on this machine only, so it picks linux + the
 * architecture Node runs on, like containerd's default platform matcher.
 */
import type { Descriptor, Platform } from './media-types.js';

/** Node's process.arch → OCI architecture (GOARCH spelling). */
const ARCH: Record<string, string> = {
  x64: 'amd64',
  arm64: 'arm64',
  arm: 'arm',
  ia32: '386',
  ppc64: 'ppc64le',
  s390x: 's390x',
  riscv64: 'riscv64',
  loong64: 'loong64',
  mips: 'mips',
  mipsel: 'mipsle',
};

export function hostPlatform(): Platform {
  const architecture = ARCH[process.arch] ?? process.arch;
  if (architecture === 'arm64') return { os: 'linux', architecture, variant: 'v8' };
  if (architecture === 'arm') {
    const armVersion = (process.config.variables as Record<string, unknown>)['arm_version'];
    return { os: 'linux', architecture, variant: `v${typeof armVersion === 'string' ? armVersion : '7'}` };
  }
  return { os: 'linux', architecture };
}

export function formatPlatform(p: Platform): string {
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`;
}

/** Lower is better; undefined when `candidate` cannot run on `want`. */
function rank(candidate: Platform, want: Platform): number | undefined {
  if (candidate.os !== want.os || candidate.architecture !== want.architecture) return undefined;
  if (!candidate.variant || candidate.variant === want.variant) return 0;
  // arm: an older variant (v6) runs on a newer CPU (v7); arm64 "v8" is the only one we accept besides none.
  if (want.architecture === 'arm' && want.variant && candidate.variant < want.variant) {
    return Number(want.variant.slice(1)) - Number(candidate.variant.slice(1));
  }
  return undefined;
}

/**
 * The manifest of `manifests` this machine should run, or undefined. Entries
 * without a platform (attestations have "unknown/unknown") never match.
 */
export function selectPlatformManifest(manifests: Descriptor[], want: Platform = hostPlatform()): Descriptor | undefined {
  let best: { d: Descriptor; score: number } | undefined;
  for (const d of manifests) {
    if (!d.platform) continue;
    const score = rank(d.platform, want);
    if (score !== undefined && (best === undefined || score < best.score)) best = { d, score };
  }
  return best?.d;
}
