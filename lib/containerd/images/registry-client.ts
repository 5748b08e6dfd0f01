/**
 * A read-only client of the OCI distribution (Docker registry v2) API over
 * Node's fetch: manifests and blobs of one repository, with the anonymous
 * bearer-token flow registries such as Docker Hub and quay.io use
 * (401 + `WWW-Authenticate: Bearer realm=…,service=…,scope=…` → GET realm →
 * token). Plain HTTP only for loopback registries or ones marked insecure.
 */
import { isIP } from 'node:net';
import { sha256 } from './digest.js';
import { MANIFEST_ACCEPT } from './media-types.js';
import { manifestReference, registryHost, type ImageReference } from './reference.js';

/** Comma-separated registry hosts (host[:port]) that are reached over plain HTTP. */
export const INSECURE_REGISTRIES_ENV = 'PAKOSTII_INSECURE_REGISTRIES';

export interface RegistryClientOptions {
  /** Extra hosts (host[:port]) to reach over plain HTTP, on top of loopback and $PAKOSTII_INSECURE_REGISTRIES. */
  insecureRegistries?: readonly string[];
  signal?: AbortSignal;
  /** For tests: observe or replace the HTTP layer. */
  fetch?: typeof fetch;
}

/** What the registry (or the network) answered when a request failed; pull.ts turns it into a ContainerdError. */
export class RegistryError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly code: string | undefined,
  ) {
    super(message);
    this.name = 'RegistryError';
  }
}

export interface FetchedManifest {
  mediaType: string;
  digest: string;
  bytes: Buffer;
}

function hostWithoutPort(host: string): string {
  if (host.startsWith('[')) return host.slice(1, host.indexOf(']'));
  const colon = host.lastIndexOf(':');
  return colon >= 0 ? host.slice(0, colon) : host;
}

export function isInsecureRegistry(host: string, extra: readonly string[] = []): boolean {
  const bare = hostWithoutPort(host);
  if (bare === 'localhost' || bare === '::1' || (isIP(bare) === 4 && bare.startsWith('127.'))) return true;
  const fromEnv = (process.env[INSECURE_REGISTRIES_ENV] ?? '').split(',').map((s) => s.trim());
  return [...extra, ...fromEnv].some((h) => h !== '' && (h === host || h === bare));
}

/** Parses `Bearer realm="…",service="…",scope="…"` (values may hold commas, so quoted strings are matched whole). */
export function parseAuthChallenge(header: string): { scheme: string; params: Record<string, string> } {
  const space = header.indexOf(' ');
  const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase();
  const params: Record<string, string> = {};
  for (const m of header.slice(space + 1).matchAll(/([A-Za-z_]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g)) {
    const key = m[1];
    if (key !== undefined) params[key.toLowerCase()] = (m[2] ?? m[3] ?? '').replace(/\\(.)/g, '$1');
  }
  return { scheme, params };
}

async function describeFailure(res: Response): Promise<RegistryError> {
  let code: string | undefined;
  let detail = res.statusText;
  try {
    const text = await res.text();
    const body = JSON.parse(text) as { errors?: Array<{ code?: string; message?: string }> };
    const first = body.errors?.[0];
    if (first) {
      code = first.code;
      detail = first.message ?? first.code ?? detail;
    }
  } catch {
    // Not a distribution error document (proxies answer HTML): the status line is all we have.
  }
  const codePart = code ? ` (${code})` : '';
  return new RegistryError(`registry answered ${res.status} ${detail}${codePart}`.trim(), res.status, code);
}

export class RegistryClient {
  readonly baseUrl: string;
  readonly #ref: ImageReference;
  readonly #fetch: typeof fetch;
  readonly #signal: AbortSignal | undefined;
  #token: string | undefined;
  /** Requests sent (including token requests): lets callers and tests see whether anything was fetched. */
  requestCount = 0;

  constructor(ref: ImageReference, options: RegistryClientOptions = {}) {
    const host = registryHost(ref);
    const scheme = isInsecureRegistry(host, options.insecureRegistries) ? 'http' : 'https';
    this.baseUrl = `${scheme}://${host}`;
    this.#ref = ref;
    this.#fetch = options.fetch ?? fetch;
    this.#signal = options.signal;
  }

  async #send(url: string, headers: Record<string, string>): Promise<Response> {
    this.requestCount++;
    try {
      return await this.#fetch(url, { headers, signal: this.#signal ?? null, redirect: 'follow' });
    } catch (err) {
      if (this.#signal?.aborted) throw this.#signal.reason ?? err;
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const why = cause?.code ?? cause?.message ?? (err as Error).message;
      throw new RegistryError(`cannot reach registry ${this.baseUrl}: ${why}`, undefined, cause?.code);
    }
  }

  async #authorize(challengeHeader: string): Promise<void> {
    const { scheme, params } = parseAuthChallenge(challengeHeader);
    if (scheme !== 'bearer' || !params['realm']) {
      throw new RegistryError(`registry ${this.baseUrl} requires ${scheme} authentication; only anonymous pulls are supported`, 401, 'UNAUTHORIZED');
    }
    const url = new URL(params['realm']);
    if (params['service']) url.searchParams.set('service', params['service']);
    url.searchParams.set('scope', params['scope'] ?? `repository:${this.#ref.path}:pull`);
    const res = await this.#send(url.toString(), { accept: 'application/json' });
    if (!res.ok) {
      const failure = await describeFailure(res);
      throw new RegistryError(`token request to ${url.origin}${url.pathname} failed: ${failure.message}`, res.status, failure.code);
    }
    const body = (await res.json()) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (!token) throw new RegistryError(`token endpoint ${url.origin}${url.pathname} returned no token`, res.status, undefined);
    this.#token = token;
  }

  /** GET with the bearer token; on a first 401 obtains a token and retries once. */
  async #get(path: string, accept: string): Promise<Response> {
    const url = `${this.baseUrl}/v2/${this.#ref.path}/${path}`;
    for (let attempt = 0; ; attempt++) {
      const headers: Record<string, string> = { accept };
      if (this.#token) headers['authorization'] = `Bearer ${this.#token}`;
      const res = await this.#send(url, headers);
      const challenge = res.headers.get('www-authenticate');
      if (res.status === 401 && challenge && attempt === 0) {
        await res.body?.cancel();
        await this.#authorize(challenge);
        continue;
      }
      if (!res.ok) throw await describeFailure(res);
      return res;
    }
  }

  /** The manifest (or index) for `reference` (tag or digest; default: the reference's own), digest verified. */
  async getManifest(reference: string = manifestReference(this.#ref)): Promise<FetchedManifest> {
    const res = await this.#get(`manifests/${reference}`, MANIFEST_ACCEPT);
    const bytes = Buffer.from(await res.arrayBuffer());
    const digest = sha256(bytes);
    const expected = reference.includes(':') ? reference : res.headers.get('docker-content-digest');
    if (expected && expected.startsWith('sha256:') && expected !== digest) {
      throw new RegistryError(`manifest ${reference} has digest ${digest}, registry promised ${expected}`, res.status, 'DIGEST_INVALID');
    }
    let mediaType = (res.headers.get('content-type') ?? '').split(';')[0]?.trim() ?? '';
    try {
      const declared = (JSON.parse(bytes.toString('utf8')) as { mediaType?: string }).mediaType;
      if (declared) mediaType = declared;
    } catch {
      throw new RegistryError(`manifest ${reference} is not JSON`, res.status, 'MANIFEST_INVALID');
    }
    return { mediaType, digest, bytes };
  }

  /** The blob's body as a web stream (caller verifies the digest while consuming it). */
  async getBlob(digest: string): Promise<ReadableStream<Uint8Array>> {
    const res = await this.#get(`blobs/${digest}`, '*/*');
    if (!res.body) throw new RegistryError(`blob ${digest} came back without a body`, res.status, 'BLOB_UNKNOWN');
    return res.body;
  }
}
