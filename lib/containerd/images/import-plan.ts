/**
 * Turns a scanned archive into an import plan: which blobs go into the
 * content store (with which GC labels) and which image names point at which
 * target. OCI layouts are taken as they are; `docker save` archives get an
 * equivalent Docker schema 2 manifest synthesized (like containerd's importer).
 * Pure logic: no containerd here.
 */
import { ContainerdError } from '../../errors.js';
import type { ArchiveScan, ScannedEntry } from './archive-reader.js';
import { digestHex, sha256 } from './digest.js';
import { isIndex, isManifest, Labels, MediaType, type Descriptor, type ImageConfigFile, type ImageIndex, type ImageManifest } from './media-types.js';
import { formatPlatform, hostPlatform, selectPlatformManifest } from './platform.js';
import { parseReference } from './reference.js';

export interface PlannedBlob {
  descriptor: Descriptor;
  labels: Record<string, string>;
  /** In-memory bytes (documents, small layers) … */
  data?: Buffer;
  /** … or the archive entry to stream in a second pass. */
  entry?: string;
}

export interface PlannedImage {
  name: string;
  /** What the containerd image record points at (an index or a manifest). */
  target: Descriptor;
  /** The manifest for this machine's platform. */
  manifest: ImageManifest;
  manifestDigest: string;
  config: ImageConfigFile;
}

export interface ImportPlan {
  /** Children before parents, so a parent's GC labels never point at missing content for long. */
  blobs: PlannedBlob[];
  images: PlannedImage[];
}

export interface PlanOptions {
  /** Name for images whose archive gives only a tag (or none), e.g. "pakostii.local/app". */
  baseName?: string;
}

function archiveError(path: string, what: string): ContainerdError {
  return new ContainerdError(`import ${path}: ${what}`, {
    hint: 'the file must be an OCI image layout tarball (skopeo copy … oci-archive:, ctr images export) or a `docker save` tarball',
  });
}

function parseJson<T>(path: string, entry: ScannedEntry | undefined, what: string): T {
  if (!entry?.data) throw archiveError(path, `${what} is missing or too large`);
  try {
    return JSON.parse(entry.data.toString('utf8')) as T;
  } catch {
    throw archiveError(path, `${what} is not valid JSON`);
  }
}

class PlanBuilder {
  readonly blobs = new Map<string, PlannedBlob>();
  add(blob: PlannedBlob): void {
    const existing = this.blobs.get(blob.descriptor.digest);
    if (existing) Object.assign(existing.labels, blob.labels);
    else this.blobs.set(blob.descriptor.digest, blob);
  }
}

function blobSource(entry: ScannedEntry): Pick<PlannedBlob, 'data' | 'entry'> {
  return entry.data ? { data: entry.data } : { entry: entry.name };
}

function manifestLabels(manifest: ImageManifest): Record<string, string> {
  const labels: Record<string, string> = { [Labels.gcRefConfig]: manifest.config.digest };
  manifest.layers.forEach((l, i) => (labels[Labels.gcRefLayer(i)] = l.digest));
  return labels;
}

/** Image name from index annotations: containerd's full name first, then an OCI ref name (full, or a tag joined to baseName). */
function ociImageName(annotations: Record<string, string> | undefined, options: PlanOptions): string | undefined {
  const full = annotations?.['io.containerd.image.name'];
  if (full) return parseReference(full).name;
  const refName = annotations?.['org.opencontainers.image.ref.name'];
  if (!refName) return options.baseName ? parseReference(options.baseName).name : undefined;
  if (refName.includes('/')) return parseReference(refName).name;
  if (options.baseName) return parseReference(`${parseReference(options.baseName).name.replace(/:[^:/@]+$/, '')}:${refName}`).name;
  return undefined;
}

function planOci(path: string, scan: ArchiveScan, options: PlanOptions): ImportPlan {
  const plan = new PlanBuilder();
  const images: PlannedImage[] = [];
  const blobEntry = (d: Descriptor): ScannedEntry => {
    const entry = scan.entries.get(`blobs/${d.digest.replace(':', '/')}`);
    if (!entry) throw archiveError(path, `blob ${d.digest} (${d.mediaType}) is not in the archive`);
    if (entry.digest !== d.digest || entry.size !== d.size) {
      throw archiveError(path, `blob ${digestHex(d.digest).slice(0, 12)} does not match its descriptor (digest ${entry.digest}, ${entry.size} bytes, expected ${d.size})`);
    }
    return entry;
  };
  const addManifest = (d: Descriptor): { manifest: ImageManifest; config: ImageConfigFile } => {
    const manifestEntry = blobEntry(d);
    const manifest = parseJson<ImageManifest>(path, manifestEntry, `manifest ${d.digest}`);
    const configEntry = blobEntry(manifest.config);
    const config = parseJson<ImageConfigFile>(path, configEntry, `config ${manifest.config.digest}`);
    manifest.layers.forEach((l, i) => {
      const diffId = config.rootfs?.diff_ids[i];
      plan.add({ descriptor: l, labels: diffId ? { [Labels.uncompressed]: diffId } : {}, ...blobSource(blobEntry(l)) });
    });
    plan.add({ descriptor: manifest.config, labels: {}, ...blobSource(configEntry) });
    plan.add({ descriptor: { ...d, mediaType: manifest.mediaType ?? d.mediaType }, labels: manifestLabels(manifest), ...blobSource(manifestEntry) });
    return { manifest, config };
  };

  const index = parseJson<ImageIndex>(path, scan.entries.get('index.json'), 'index.json');
  for (const top of index.manifests ?? []) {
    const name = ociImageName(top.annotations, options);
    if (!name) throw archiveError(path, `image ${top.digest} has no name (no io.containerd.image.name or full org.opencontainers.image.ref.name annotation); pass a base name`);
    if (isManifest(top.mediaType)) {
      const { manifest, config } = addManifest(top);
      images.push({ name, target: stripAnnotations(top), manifest, manifestDigest: top.digest, config });
    } else if (isIndex(top.mediaType)) {
      const nestedEntry = blobEntry(top);
      const nested = parseJson<ImageIndex>(path, nestedEntry, `index ${top.digest}`);
      const chosen = selectPlatformManifest(nested.manifests, hostPlatform());
      if (!chosen) throw archiveError(path, `image ${name} has no manifest for ${formatPlatform(hostPlatform())}`);
      const { manifest, config } = addManifest(chosen);
      const labels: Record<string, string> = {};
      nested.manifests.forEach((m, i) => {
        if (m.digest === chosen.digest) labels[Labels.gcRefManifest(i)] = m.digest;
      });
      plan.add({ descriptor: top, labels, ...blobSource(nestedEntry) });
      images.push({ name, target: stripAnnotations(top), manifest, manifestDigest: chosen.digest, config });
    } else {
      throw archiveError(path, `unsupported media type ${top.mediaType} for image ${name}`);
    }
  }
  return { blobs: [...plan.blobs.values()], images };
}

function stripAnnotations(d: Descriptor): Descriptor {
  return { mediaType: d.mediaType, digest: d.digest, size: d.size };
}

interface DockerArchiveManifest {
  Config: string;
  RepoTags?: string[] | null;
  Layers: string[];
}

function planDocker(path: string, scan: ArchiveScan, options: PlanOptions): ImportPlan {
  const plan = new PlanBuilder();
  const images: PlannedImage[] = [];
  const items = parseJson<DockerArchiveManifest[]>(path, scan.entries.get('manifest.json'), 'manifest.json');
  for (const item of items) {
    const configEntry = scan.entries.get(item.Config);
    const config = parseJson<ImageConfigFile>(path, configEntry, `config ${item.Config}`);
    if (!configEntry) continue; // unreachable: parseJson threw
    const layers: Descriptor[] = item.Layers.map((layerName, i) => {
      const entry = scan.entries.get(layerName);
      if (!entry) throw archiveError(path, `layer ${layerName} is not in the archive`);
      const descriptor = { mediaType: entry.gzip ? MediaType.dockerLayerGzip : MediaType.dockerLayer, digest: entry.digest, size: entry.size };
      const diffId = config.rootfs?.diff_ids[i];
      plan.add({ descriptor, labels: diffId ? { [Labels.uncompressed]: diffId } : {}, ...blobSource(entry) });
      return descriptor;
    });
    const configDescriptor = { mediaType: MediaType.dockerConfig, digest: configEntry.digest, size: configEntry.size };
    plan.add({ descriptor: configDescriptor, labels: {}, ...blobSource(configEntry) });
    const manifest: ImageManifest = { schemaVersion: 2, mediaType: MediaType.dockerManifest, config: configDescriptor, layers };
    const data = Buffer.from(JSON.stringify(manifest));
    const target: Descriptor = { mediaType: MediaType.dockerManifest, digest: sha256(data), size: data.length };
    plan.add({ descriptor: target, labels: manifestLabels(manifest), data });
    const names = (item.RepoTags ?? []).map((t) => parseReference(t).name);
    if (names.length === 0 && options.baseName) names.push(parseReference(options.baseName).name);
    if (names.length === 0) throw archiveError(path, `image ${item.Config} has no RepoTags; pass a base name`);
    for (const name of names) images.push({ name, target, manifest, manifestDigest: target.digest, config });
  }
  return { blobs: [...plan.blobs.values()], images };
}

export function planImport(path: string, scan: ArchiveScan, options: PlanOptions = {}): ImportPlan {
  const hasDockerManifest = scan.entries.has('manifest.json');
  if (scan.entries.has('index.json')) {
    try {
      return planOci(path, scan, options);
    } catch (err) {
      // Docker ≥ 25 writes both layouts; its manifest.json still names images when index.json does not.
      if (!hasDockerManifest) throw err;
    }
  }
  if (hasDockerManifest) return planDocker(path, scan, options);
  throw archiveError(path, 'it has neither index.json (OCI layout) nor manifest.json (docker save)');
}
