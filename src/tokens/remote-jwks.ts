import { loadCryptoBackend, type PublicJwk, type SigningAlgorithm, type VerifyingKey } from './crypto/crypto-backend.js';
import type { KeyResolver } from './key-resolver.js';
import { secondsToMs } from './time-units.js';

/**
 * Options of a {@link RemoteJwks}.
 *
 * @example
 * ```ts
 * const options: RemoteJwksOptions = { defaultMaxAge: 600, cooldown: 30, timeout: 2000 };
 * const jwks = new RemoteJwks('https://auth.example.com/.well-known/jwks.json', options);
 * ```
 */
export interface RemoteJwksOptions {
  /** The `fetch` to use (default: the global one). */
  fetch?: (input: string, init: RequestInit) => Promise<Response>;
  clock?: { now(): number };
  /** Seconds to cache a JWKS whose response has no `Cache-Control: max-age` (default 300). */
  defaultMaxAge?: number;
  /** Upper bound on any cache lifetime, in seconds (default 86 400). */
  maxMaxAge?: number;
  /** Least seconds between two fetches triggered by an unknown `kid` or a failure (default 30). */
  cooldown?: number;
  /** Milliseconds before a fetch is abandoned (default 5 000). */
  timeout?: number;
}

/**
 * Thrown when no key set has ever been loaded and the JWKS URL cannot be fetched.
 *
 * @example
 * ```ts
 * try {
 *   await jwks.resolve(kid, 'RS256');
 * } catch (error) {
 *   if (error instanceof JwksUnavailableError) return new Response(null, { status: 503 }); // no key set ever loaded
 *   throw error;
 * }
 * ```
 */
export class JwksUnavailableError extends Error {
  override readonly name = 'JwksUnavailableError';
}

const ALGORITHMS = new Set<string>(['RS256', 'PS256', 'ES256', 'EdDSA']);
const PUBLIC_MEMBERS = ['kty', 'n', 'e', 'crv', 'x', 'y'] as const;

/** The algorithms a JWK without `alg` may verify, by key type (RFC 7518 §6, RFC 8037). */
function algorithmsFor(jwk: Record<string, unknown>): readonly string[] {
  if (jwk.kty === 'RSA') return ['RS256', 'PS256'];
  if (jwk.kty === 'EC' && jwk.crv === 'P-256') return ['ES256'];
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return ['EdDSA'];
  return [];
}

/** The smallest RSA modulus accepted, in bits (RFC 7518 §3.3: "A key of size 2048 bits or larger MUST be used"). */
const MIN_RSA_BITS = 2048;

/** The size in bits of a base64url-encoded big-endian unsigned integer (a JWK's `n`); 0 when malformed. */
function modulusBits(n: unknown): number {
  if (typeof n !== 'string' || !/^[A-Za-z0-9_-]+$/.test(n)) return 0;
  const bin = atob(n.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (n.length % 4)) % 4));
  let i = 0;
  while (i < bin.length && bin.charCodeAt(i) === 0) i++;
  if (i === bin.length) return 0;
  return (bin.length - i - 1) * 8 + (32 - Math.clz32(bin.charCodeAt(i)));
}

/**
 * Whether a published JWK may verify signatures, by the rules jose applies: RFC 7517 §4.2 `use`, when present, is
 * `sig`; §4.3 `key_ops`, when present, is a list that includes `verify`; an RSA key has at least 2048 bits
 * (RFC 7518 §3.3, §3.5). A key failing any of them is left out of the set, as if it were not published.
 */
function mayVerify(jwk: Record<string, unknown>): boolean {
  if (jwk.use !== undefined && jwk.use !== 'sig') return false;
  if (jwk.key_ops !== undefined && !(Array.isArray(jwk.key_ops) && jwk.key_ops.includes('verify'))) return false;
  if (jwk.kty === 'RSA' && modulusBits(jwk.n) < MIN_RSA_BITS) return false;
  return algorithmsFor(jwk).length > 0;
}

interface Entry {
  readonly jwk: Record<string, unknown>;
  readonly imported: Map<string, Promise<VerifyingKey | undefined>>;
}

/**
 * A JWKS URL as a {@link KeyResolver}, for resource servers that share nothing with the authorization server but
 * its published keys. The key set is cached for the response's `Cache-Control: max-age`; a token whose `kid` is
 * not in the cache triggers one refetch (at most one per `cooldown`), so a newly published key is picked up
 * without a restart while a stream of forged `kid`s cannot turn into a stream of fetches. When a refresh fails,
 * the last good key set keeps serving.
 *
 * @example
 * ```ts
 * const jwks = new RemoteJwks('https://auth.example.com/.well-known/jwks.json');
 * const rs = new ResourceServer({ issuer: 'https://auth.example.com', audience: 'https://api.example.com', keys: jwks });
 * ```
 */
export class RemoteJwks implements KeyResolver {
  readonly #url: string;
  readonly #fetch: NonNullable<RemoteJwksOptions['fetch']>;
  readonly #clock: { now(): number };
  readonly #defaultMaxAge: number;
  readonly #maxMaxAge: number;
  readonly #cooldown: number;
  readonly #timeout: number;
  #entries: Entry[] | undefined;
  #expiresAt = 0;
  #lastAttempt = Number.NEGATIVE_INFINITY;
  #inflight: Promise<void> | undefined;
  #lastError: unknown;

  constructor(url: string | URL, options: RemoteJwksOptions = {}) {
    const parsed = new URL(url);
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new TypeError('grantry: the JWKS URL must be http(s)');
    this.#url = parsed.href;
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.#clock = options.clock ?? { now: () => Date.now() };
    this.#defaultMaxAge = options.defaultMaxAge ?? 300;
    this.#maxMaxAge = options.maxMaxAge ?? 86_400;
    this.#cooldown = options.cooldown ?? 30;
    this.#timeout = options.timeout ?? 5_000;
  }

  async resolve(kid: string | undefined, alg: string): Promise<VerifyingKey | undefined> {
    if (!ALGORITHMS.has(alg)) return undefined;
    const now = this.#clock.now();
    if (this.#entries === undefined || now >= this.#expiresAt) await this.#refresh(now, false);
    if (this.#entries === undefined) {
      throw new JwksUnavailableError(`grantry: the JWKS at ${this.#url} could not be loaded`, { cause: this.#lastError });
    }
    let entry = this.#find(kid);
    // A kid we have not seen may be a key published since the last fetch: look once more, rate-limited.
    if (!entry && kid !== undefined && now - this.#lastAttempt >= secondsToMs(this.#cooldown)) {
      await this.#refresh(now, false);
      entry = this.#find(kid);
    }
    return entry && this.#import(entry, alg);
  }

  /** Fetches the key set now (e.g. at start-up, to fail early). */
  async reload(): Promise<void> {
    await this.#refresh(this.#clock.now(), true);
    if (this.#lastError !== undefined) {
      throw new JwksUnavailableError(`grantry: the JWKS at ${this.#url} could not be loaded`, { cause: this.#lastError });
    }
  }

  #find(kid: string | undefined): Entry | undefined {
    const entries = this.#entries ?? [];
    if (kid === undefined) return entries.length === 1 ? entries[0] : undefined;
    return entries.find((e) => e.jwk.kid === kid);
  }

  #import(entry: Entry, alg: string): Promise<VerifyingKey | undefined> {
    return importEntry(entry, alg);
  }

  /** One fetch at a time, at most one per cooldown (failures included); `force` ignores the cooldown. */
  #refresh(now: number, force: boolean): Promise<void> {
    if (this.#inflight) return this.#inflight;
    if (!force && now - this.#lastAttempt < secondsToMs(this.#cooldown)) return Promise.resolve();
    this.#lastAttempt = now;
    this.#inflight = this.#load(now).finally(() => (this.#inflight = undefined));
    return this.#inflight;
  }

  async #load(now: number): Promise<void> {
    let response: Response;
    let body: unknown;
    try {
      response = await this.#fetch(this.#url, { headers: { accept: 'application/jwk-set+json, application/json' }, signal: AbortSignal.timeout(this.#timeout) });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      body = await response.json();
    } catch (error) {
      // Keep serving the last good key set, if any; the next attempt waits for the cooldown.
      this.#lastError = error;
      return;
    }
    const keys = (body as { keys?: unknown } | null)?.keys;
    if (!Array.isArray(keys)) {
      this.#lastError = new Error('not a JWK set');
      return;
    }
    this.#lastError = undefined;
    // Keys for another use, weak RSA keys and keys of unknown types are skipped (RFC 7517 §5).
    this.#entries = usableEntries(keys);
    this.#expiresAt = now + secondsToMs(Math.min(this.#maxMaxAge, maxAge(response.headers) ?? this.#defaultMaxAge));
  }
}

/** The keys of a JWK set that may verify signatures (see `mayVerify`), ready to import. */
function usableEntries(keys: readonly unknown[]): Entry[] {
  return keys
    .filter((k): k is Record<string, unknown> => typeof k === 'object' && k !== null && mayVerify(k as Record<string, unknown>))
    .map((jwk) => ({ jwk, imported: new Map() }));
}

function importEntry(entry: Entry, alg: string): Promise<VerifyingKey | undefined> {
  let key = entry.imported.get(alg);
  if (!key) {
    const declared = entry.jwk.alg;
    const allowed = typeof declared === 'string' ? declared === alg : algorithmsFor(entry.jwk).includes(alg);
    const jwk = { ...pick(entry.jwk), kid: typeof entry.jwk.kid === 'string' ? entry.jwk.kid : '', alg: alg as SigningAlgorithm, use: 'sig' } as PublicJwk;
    key = allowed ? loadCryptoBackend().then((c) => c.importVerifyingKey(jwk)).catch(() => undefined) : Promise.resolve(undefined);
    entry.imported.set(alg, key);
  }
  return key;
}

/**
 * A JWK set given inline (a client's registered `jwks`, RFC 7591 §2) as a {@link KeyResolver}, by the same rules as
 * {@link RemoteJwks}: unusable keys are left out, a token without `kid` needs a set of one key. Internal.
 *
 * @example
 * ```ts
 * const key = await inlineJwks(client.jwks.keys).resolve(header.kid, header.alg);
 * ```
 */
export function inlineJwks(keys: readonly unknown[]): KeyResolver {
  const entries = usableEntries(keys);
  return {
    async resolve(kid, alg) {
      if (!ALGORITHMS.has(alg)) return undefined;
      const entry = kid === undefined ? (entries.length === 1 ? entries[0] : undefined) : entries.find((e) => e.jwk.kid === kid);
      return entry && importEntry(entry, alg);
    },
  };
}

function pick(jwk: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const m of PUBLIC_MEMBERS) if (jwk[m] !== undefined) out[m] = jwk[m];
  return out;
}

/** RFC 9111 §5.2.2.1 max-age, less the `Age` already spent in caches; `no-store`/`no-cache` mean 0. */
function maxAge(headers: Headers): number | undefined {
  const cc = headers.get('cache-control');
  if (!cc) return undefined;
  if (/(^|,)\s*(no-store|no-cache)\s*(,|$)/i.test(cc)) return 0;
  const match = /(?:^|,)\s*max-age\s*=\s*"?(\d+)"?/i.exec(cc);
  if (!match) return undefined;
  const age = Number(headers.get('age') ?? 0);
  return Math.max(0, Number(match[1]) - (Number.isFinite(age) ? age : 0));
}
