import { classifyAddress, isIpAddress, type AddressKind } from './special-use-address.js';
import { toEpochSeconds } from './time-units.js';

/**
 * Why {@link safeFetchJson} refused or failed: a stable code for programs, a message for people.
 *
 * @example
 * ```ts
 * const code: SafeFetchErrorCode = 'forbidden_address';
 * ```
 */
export type SafeFetchErrorCode =
  | 'invalid_url'
  | 'forbidden_address'
  | 'timeout'
  | 'too_large'
  | 'redirect'
  | 'http_status'
  | 'content_type'
  | 'invalid_json'
  | 'network';

/**
 * Thrown by {@link safeFetchJson}. The message names the problem without the addresses a host resolved to (they
 * would tell a caller about the server's network).
 *
 * @example
 * ```ts
 * try {
 *   await safeFetchJson('https://client.example/metadata.json');
 * } catch (error) {
 *   if (error instanceof SafeFetchError && error.code === 'timeout') console.warn(error.message);
 * }
 * ```
 */
export class SafeFetchError extends Error {
  override readonly name = 'SafeFetchError';
  constructor(
    readonly code: SafeFetchErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * What a {@link SafeFetchTransport} receives besides the URL.
 *
 * @example
 * ```ts
 * const transport: SafeFetchTransport = (url, init: SafeTransportInit) => fetch(url, { signal: init.signal, headers: init.headers, redirect: 'manual' });
 * ```
 */
export interface SafeTransportInit {
  readonly signal: AbortSignal;
  readonly headers: Readonly<Record<string, string>>;
  /** Call with every address the host resolves to before connecting; it throws a `forbidden_address` error. */
  readonly checkAddress: (address: string) => void;
  /** Extra trusted CA certificates (PEM), beside the runtime's own. */
  readonly ca: readonly string[] | undefined;
}

/**
 * Sends the GET of {@link safeFetchJson}. It must not follow redirects (answer the 3xx), must check every address
 * the host resolves to with `checkAddress` and connect only to a checked one, and must stop on `signal`.
 *
 * @example
 * ```ts
 * const transport: SafeFetchTransport = async (url, init) => new Response('{"client_id":"…"}', { headers: { 'content-type': 'application/json' } });
 * await safeFetchJson('https://client.example/m.json', { transport });
 * ```
 */
export type SafeFetchTransport = (url: URL, init: SafeTransportInit) => Promise<Response>;

/**
 * Options of {@link safeFetchJson}.
 *
 * @example
 * ```ts
 * const options: SafeFetchOptions = { maxBytes: 5120, timeoutMs: 5000, allowLoopback: process.env.NODE_ENV === 'test' };
 * ```
 */
export interface SafeFetchOptions {
  /** Largest response body in bytes; a larger one is abandoned as it arrives (default 65 536). */
  maxBytes?: number;
  /** Milliseconds for everything, from name resolution to the last byte (default 5 000). */
  timeoutMs?: number;
  /** Allow loopback addresses (127.0.0.0/8, ::1): a server and its clients on one machine, tests. */
  allowLoopback?: boolean;
  /** Allow every special-use address (private networks, link-local, …): only where every host on them is trusted. */
  allowPrivateAddresses?: boolean;
  /** Extra trusted CA certificates, PEM (used by the Node transport). */
  ca?: string | readonly string[];
  /** Request headers beside `Accept: application/json`. */
  headers?: Readonly<Record<string, string>>;
  /**
   * How the GET is sent. Default: on Node (and runtimes with `node:https`), a request whose name resolution checks
   * every address before connecting; elsewhere the global `fetch` with `redirect: 'manual'`, where only a host
   * written as an IP address can be checked (the runtime resolves names itself).
   */
  transport?: SafeFetchTransport;
  /** The time for `Expires` without a `Date` header (default `Date.now`). */
  clock?: { now(): number };
}

/**
 * A JSON document fetched by {@link safeFetchJson}.
 *
 * @example
 * ```ts
 * const { body, maxAgeSeconds }: SafeJsonResponse = await safeFetchJson(url);
 * ```
 */
export interface SafeJsonResponse {
  /** The parsed JSON. */
  readonly body: unknown;
  readonly headers: Headers;
  /** Seconds the response may be reused (`Cache-Control`, then `Expires`; RFC 9111 §4.2.1); `undefined` without either. */
  readonly maxAgeSeconds: number | undefined;
}

const DEFAULT_MAX_BYTES = 65_536;
const DEFAULT_TIMEOUT_MS = 5_000;
/** RFC 8259 §11 `application/json`, or a structured syntax suffix `application/…+json` (RFC 6839 §3.1). */
const JSON_MEDIA_TYPE = /^application\/([a-z0-9!#$&^_.-]+\+)?json\s*(;|$)/i;

/**
 * Fetches a JSON document that a client named (a client ID metadata document, a `jwks_uri`) without letting the
 * client aim the server at its own network (server-side request forgery): https only, no user information in the
 * URL; every address the host resolves to checked before connecting (private, loopback, link-local, unique-local,
 * multicast, unspecified, IPv4-mapped and other special-use addresses of RFC 6890 refused unless allowed); one
 * request, redirects refused rather than followed; a 200 with a JSON content type, at most `maxBytes`, within
 * `timeoutMs` (the connection is cut on either limit). Throws a {@link SafeFetchError}.
 *
 * @example
 * ```ts
 * const { body, maxAgeSeconds } = await safeFetchJson('https://client.example/oauth/metadata.json', { maxBytes: 5120 });
 * ```
 */
export async function safeFetchJson(input: string | URL, options: SafeFetchOptions = {}): Promise<SafeJsonResponse> {
  const url = checkUrl(input);
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const checkAddress = addressCheck(url.hostname, options);
  if (isIpAddress(url.hostname)) checkAddress(url.hostname);
  const controller = new AbortController();
  const timeout = new SafeFetchError('timeout', `${url.origin} did not answer within ${timeoutMs} ms`);
  const timer = setTimeout(() => controller.abort(timeout), timeoutMs);
  try {
    const transport = options.transport ?? (await defaultTransport());
    const ca = options.ca === undefined ? undefined : typeof options.ca === 'string' ? [options.ca] : options.ca;
    const response = await transport(url, {
      signal: controller.signal,
      headers: { accept: 'application/json', ...options.headers },
      checkAddress,
      ca,
    });
    const body = await readJson(response, url, maxBytes, controller.signal);
    return { body, headers: response.headers, maxAgeSeconds: cacheLifetime(response.headers, (options.clock ?? Date).now()) };
  } catch (error) {
    controller.abort(error); // cut the connection on any failure
    if (error instanceof SafeFetchError) throw error;
    if (controller.signal.reason === timeout) throw timeout;
    const reason = controller.signal.reason instanceof SafeFetchError ? controller.signal.reason : undefined;
    if (reason) throw reason;
    throw new SafeFetchError('network', `${url.origin} could not be reached: ${describe(error)}`, { cause: error });
  } finally {
    clearTimeout(timer);
  }
}

function checkUrl(input: string | URL): URL {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new SafeFetchError('invalid_url', 'the URL is not an absolute URL');
  }
  if (url.protocol !== 'https:') throw new SafeFetchError('invalid_url', `the URL must use https, not ${url.protocol.slice(0, -1)}`);
  if (url.username !== '' || url.password !== '') throw new SafeFetchError('invalid_url', 'the URL must not contain user information');
  return url;
}

/** The check every resolved address goes through: special-use kinds are refused unless the options allow them. */
function addressCheck(host: string, options: SafeFetchOptions): (address: string) => void {
  return (address) => {
    const kind: AddressKind = classifyAddress(address);
    if (kind === 'public' || options.allowPrivateAddresses === true) return;
    if (kind === 'loopback' && options.allowLoopback === true) return;
    const what = kind === 'invalid' ? 'an address that cannot be checked' : `a ${kind} address`;
    throw new SafeFetchError('forbidden_address', `${host} resolves to ${what}, which this server does not fetch from`);
  };
}

async function readJson(response: Response, url: URL, maxBytes: number, signal: AbortSignal): Promise<unknown> {
  const { status } = response;
  if (status >= 300 && status < 400) {
    await response.body?.cancel();
    // draft-ietf-oauth-client-id-metadata-document §4: the server "MUST NOT automatically follow HTTP redirects".
    throw new SafeFetchError('redirect', `${url.origin} answered ${status} (a redirect); redirects are not followed`);
  }
  if (status !== 200) {
    await response.body?.cancel();
    throw new SafeFetchError('http_status', `${url.origin} answered HTTP ${status}, not 200`);
  }
  const type = response.headers.get('content-type') ?? '';
  if (!JSON_MEDIA_TYPE.test(type)) {
    await response.body?.cancel();
    throw new SafeFetchError('content_type', `${url.origin} answered with content type ${JSON.stringify(type)}, not application/json`);
  }
  const tooLarge = new SafeFetchError('too_large', `the document at ${url.origin} is larger than ${maxBytes} bytes`);
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw tooLarge;
  }
  const bytes = await readLimited(response, maxBytes, tooLarge, signal);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new SafeFetchError('invalid_json', `the document at ${url.origin} is not UTF-8`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new SafeFetchError('invalid_json', `the document at ${url.origin} is not valid JSON`);
  }
}

/** The body, read chunk by chunk and abandoned as soon as it passes `maxBytes` (a missing length cannot hide a large body). */
async function readLimited(response: Response, maxBytes: number, tooLarge: SafeFetchError, signal: AbortSignal): Promise<Uint8Array> {
  if (!response.body) return new Uint8Array(0);
  const reader = response.body.getReader();
  const onAbort = (): void => void reader.cancel(signal.reason).catch(() => undefined);
  signal.addEventListener('abort', onAbort, { once: true });
  const chunks: Uint8Array[] = [];
  let length = 0;
  try {
    for (;;) {
      if (signal.aborted) throw signal.reason;
      const { done, value } = await reader.read();
      if (done) break;
      length += value.byteLength;
      if (length > maxBytes) {
        await reader.cancel().catch(() => undefined);
        throw tooLarge;
      }
      chunks.push(value);
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  if (signal.aborted) throw signal.reason;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/**
 * RFC 9111 §4.2.1 freshness lifetime for a private cache: `no-store` or `no-cache` is 0, then `max-age` (less
 * `Age`), then `Expires` less `Date` (an invalid `Expires` is already expired, §5.3); `undefined` without either.
 */
function cacheLifetime(headers: Headers, now: number): number | undefined {
  const directives = (headers.get('cache-control') ?? '').toLowerCase().split(',').map((d) => d.trim());
  if (directives.some((d) => d === 'no-store' || d === 'no-cache' || d.startsWith('no-cache='))) return 0;
  const maxAge = directives.find((d) => /^max-age=\s*"?\d+"?$/.test(d));
  if (maxAge !== undefined) {
    const age = Number(headers.get('age') ?? 0);
    return Math.max(0, Number(maxAge.replace(/\D/g, '')) - (Number.isFinite(age) ? age : 0));
  }
  const expires = headers.get('expires');
  if (expires === null) return undefined;
  const at = Date.parse(expires);
  if (Number.isNaN(at)) return 0;
  const date = Date.parse(headers.get('date') ?? '');
  return Math.max(0, toEpochSeconds(at - (Number.isNaN(date) ? now : date)));
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? `${code}` : error.message;
}

let nodeTransport: Promise<SafeFetchTransport | undefined> | undefined;

/** `node:https` with checked name resolution where the runtime has it; the global fetch elsewhere. */
async function defaultTransport(): Promise<SafeFetchTransport> {
  const isNode = typeof (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node === 'string';
  // A runtime that claims Node but lacks node:https or node:dns (a compatibility layer) falls back to its fetch.
  nodeTransport ??= isNode ? import('./node-safe-fetch.js').then((m) => m.nodeSafeTransport, () => undefined) : Promise.resolve(undefined);
  return (await nodeTransport) ?? fetchTransport;
}

/** Where names cannot be resolved here: the runtime's fetch, without following redirects. */
const fetchTransport: SafeFetchTransport = (url, init) => fetch(url, { signal: init.signal, headers: init.headers, redirect: 'manual' });
