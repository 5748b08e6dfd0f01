/**
 * Image reference parsing and normalization, following Docker's rules so a
 * reference means the same thing here as in `docker pull`/`ctr`:
 * "redis" → "docker.io/library/redis:latest", "quay.io/coreos/etcd:v3.6.11",
 * "localhost:5000/x:y", "name@sha256:…".
 */
import { SpecError } from '../../errors.js';

export interface ImageReference {
  /** Registry host as written (with port), "docker.io" for Docker Hub. */
  domain: string;
  /** Repository path inside the registry, e.g. "library/redis". */
  path: string;
  tag: string | undefined;
  digest: string | undefined;
  /** Normalized full name, the containerd image name: "docker.io/library/redis:7". */
  name: string;
}

const DEFAULT_DOMAIN = 'docker.io';
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;
const DOMAIN = /^(?:[a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)*|\[[0-9a-fA-F:]+\])(?::\d+)?$/;

function invalid(ref: string, why: string): SpecError {
  return new SpecError(`invalid image reference "${ref}": ${why}`, {
    hint: 'write it like "redis:7", "quay.io/coreos/etcd:v3.6.11", "localhost:5000/app:dev" or "name@sha256:<digest>"',
  });
}

/** Parses and normalizes `ref`; throws SpecError when it is not a valid reference. */
export function parseReference(ref: string): ImageReference {
  let rest = ref.trim();
  if (rest === '') throw invalid(ref, 'it is empty');

  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw invalid(ref, `"${digest}" is not a digest`);
  }

  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw invalid(ref, `"${tag}" is not a valid tag`);
  }

  let domain = DEFAULT_DOMAIN;
  let path = rest;
  const firstSlash = rest.indexOf('/');
  if (firstSlash >= 0) {
    const first = rest.slice(0, firstSlash);
    // Docker's rule: the first component is a registry host when it looks like one.
    if (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase()) {
      domain = first;
      path = rest.slice(firstSlash + 1);
    }
  }
  if (domain === 'index.docker.io' || domain === 'registry-1.docker.io') domain = DEFAULT_DOMAIN;
  if (!DOMAIN.test(domain)) throw invalid(ref, `"${domain}" is not a registry host`);
  if (domain === DEFAULT_DOMAIN && !path.includes('/')) path = `library/${path}`;
  for (const component of path.split('/')) {
    if (!PATH_COMPONENT.test(component)) {
      throw invalid(ref, `"${component}" is not a valid repository name component (lowercase letters, digits, . _ -)`);
    }
  }
  if (tag === undefined && digest === undefined) tag = 'latest';

  const name = `${domain}/${path}${tag !== undefined ? `:${tag}` : ''}${digest !== undefined ? `@${digest}` : ''}`;
  return { domain, path, tag, digest, name };
}

/** The normalized containerd image name of `ref` ("redis:7" → "docker.io/library/redis:7"). */
export function normalizeReference(ref: string): string {
  return parseReference(ref).name;
}

/** Host name:port to talk HTTP to (Docker Hub's API lives on registry-1.docker.io). */
export function registryHost(ref: ImageReference): string {
  return ref.domain === DEFAULT_DOMAIN ? 'registry-1.docker.io' : ref.domain;
}

/** The manifest reference to ask the registry for: the digest when pinned, else the tag. */
export function manifestReference(ref: ImageReference): string {
  return ref.digest ?? ref.tag ?? 'latest';
}
