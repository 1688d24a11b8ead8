import { systemClock, type Clock } from '../contracts/clock.js';
import { toSeconds, type Duration } from '../contracts/duration.js';
import { OAuthError } from '../contracts/oauth-error.js';
import { loadCryptoBackend } from '../tokens/crypto/crypto-backend.js';
import { secondsToMs } from '../tokens/time-units.js';

/**
 * How a {@link ResourceServer} that does not share the authorization server's storage asks it about tokens: RFC
 * 7662 introspection, authenticated as a client that has the `introspect` permission (RFC 7662 §4).
 *
 * Answers are cached to spare the authorization server a request per API call, and the cache is what bounds how
 * late a revocation is seen: an active answer is reused for at most `cacheTTL` (default 30 seconds) and never past
 * the token's `exp`; an inactive one for at most 5 seconds (and never longer than `cacheTTL`). With `cacheTTL: 0`
 * every request is introspected and a revocation is seen at once.
 *
 * @example
 * ```ts
 * const introspection: IntrospectionOptions = {
 *   endpoint: 'https://auth.example.com/introspect',
 *   clientId: 'orders-api', clientSecret: process.env.ORDERS_API_SECRET!,
 *   cacheTTL: 10, // a revoked token is refused here within 10 seconds
 * };
 * const rs = new ResourceServer({ issuer: 'https://auth.example.com', audience: 'https://api.example.com', introspection });
 * ```
 */
export interface IntrospectionOptions {
  /** The authorization server's introspection endpoint (its metadata's `introspection_endpoint`). */
  endpoint: string | URL;
  /** The resource server's client id at the authorization server. */
  clientId: string;
  /** Its secret, sent with HTTP Basic (RFC 6749 §2.3.1). Leave it out only when `fetch` authenticates instead. */
  clientSecret?: string;
  /** The `fetch` to call the endpoint with (default: the global one); one that adds its own authentication, a proxy, a test double. */
  fetch?: (input: Request) => Promise<Response>;
  /** The longest an answer is reused: seconds or an ISO 8601 duration; default 30 seconds; 0 disables the cache. */
  cacheTTL?: Duration;
  /** The most answers kept (the oldest go first); default 10 000. */
  maxCacheEntries?: number;
  /** Milliseconds to wait for the endpoint before answering 503 (default 5000). */
  timeout?: number;
}

/** An introspection answer as far as a resource server reads it (RFC 7662 §2.2). */
export type IntrospectionAnswer = { readonly active: false } | ({ readonly active: true } & Readonly<Record<string, unknown>>);

/** The longest an inactive answer is reused, in milliseconds: a token saved just after may become known. */
const INACTIVE_CACHE_MS = 5_000;

interface Entry {
  readonly answer: IntrospectionAnswer;
  readonly until: number;
}

/**
 * The client side of RFC 7662 with a bounded cache; used by {@link ResourceServer} for its `introspection` option.
 */
export class TokenIntrospector {
  readonly #endpoint: string;
  readonly #authorization: string | undefined;
  readonly #clientId: string;
  readonly #fetch: (input: Request) => Promise<Response>;
  readonly #cacheMs: number;
  readonly #maxEntries: number;
  readonly #timeout: number;
  readonly #clock: Clock;
  readonly #cache = new Map<string, Entry>();
  readonly #pending = new Map<string, Promise<IntrospectionAnswer>>();

  constructor(options: IntrospectionOptions, clock: Clock = systemClock) {
    if (!options.endpoint || !/^https?:\/\//i.test(String(options.endpoint))) throw new TypeError('grantry: introspection.endpoint must be an http(s) URL');
    if (!options.clientId) throw new TypeError('grantry: introspection.clientId is required');
    if (options.clientSecret === undefined && options.fetch === undefined) {
      throw new TypeError('grantry: introspection needs clientSecret (or a fetch that authenticates the resource server)');
    }
    this.#endpoint = String(options.endpoint);
    this.#clientId = options.clientId;
    // RFC 6749 §2.3.1: client id and secret are form-urlencoded, then joined with ':' and base64-encoded.
    this.#authorization =
      options.clientSecret === undefined ? undefined : `Basic ${btoa(`${formEncode(options.clientId)}:${formEncode(options.clientSecret)}`)}`;
    this.#fetch = options.fetch ?? ((request) => fetch(request));
    const ttl = options.cacheTTL ?? 30;
    this.#cacheMs = ttl === 0 || ttl === '0' ? 0 : secondsToMs(toSeconds(ttl));
    this.#maxEntries = options.maxCacheEntries ?? 10_000;
    this.#timeout = options.timeout ?? 5_000;
    this.#clock = clock;
  }

  /** The endpoint's answer for a token, from the cache while it is fresh. Throws a 503 `OAuthError` when the endpoint fails. */
  async introspect(token: string): Promise<IntrospectionAnswer> {
    const key = this.#cacheMs > 0 ? await (await loadCryptoBackend()).sha256(token) : undefined;
    if (key === undefined) return this.#ask(token);
    const now = this.#clock.now();
    const cached = this.#cache.get(key);
    if (cached && cached.until > now) return cached.answer;
    if (cached) this.#cache.delete(key);
    // Concurrent requests with one token share one call to the endpoint.
    let pending = this.#pending.get(key);
    if (!pending) {
      pending = this.#ask(token).finally(() => this.#pending.delete(key));
      this.#pending.set(key, pending);
      this.#remember(key, await pending);
    }
    return pending;
  }

  #remember(key: string, answer: IntrospectionAnswer): void {
    const now = this.#clock.now();
    // An active answer never outlives the token's exp (RFC 7662 §4: a cached answer may be stale; keep it short).
    const exp = answer.active && typeof answer.exp === 'number' ? secondsToMs(answer.exp) : Infinity;
    const until = answer.active ? Math.min(now + this.#cacheMs, exp) : now + Math.min(this.#cacheMs, INACTIVE_CACHE_MS);
    if (until <= now) return;
    this.#cache.set(key, { answer, until });
    while (this.#cache.size > this.#maxEntries) this.#cache.delete(this.#cache.keys().next().value!);
  }

  async #ask(token: string): Promise<IntrospectionAnswer> {
    const headers: Record<string, string> = { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' };
    if (this.#authorization) headers.Authorization = this.#authorization;
    // RFC 7662 §2.1: token, with the hint that a resource server holds access tokens.
    const body = new URLSearchParams({ token, token_type_hint: 'access_token' });
    if (!this.#authorization) body.set('client_id', this.#clientId);
    let response: Response;
    try {
      response = await this.#fetch(new Request(this.#endpoint, { method: 'POST', headers, body, signal: AbortSignal.timeout(this.#timeout) }));
    } catch (error) {
      throw unavailable('The introspection endpoint cannot be reached.', error);
    }
    if (response.status !== 200) {
      await response.body?.cancel();
      throw unavailable(`The introspection endpoint answered ${response.status}.`);
    }
    const answer: unknown = await response.json().catch(() => undefined);
    if (typeof answer !== 'object' || answer === null || typeof (answer as { active?: unknown }).active !== 'boolean') {
      throw unavailable('The introspection endpoint did not answer with an RFC 7662 response.');
    }
    // RFC 7662 §2.2: "active REQUIRED. Boolean indicator of whether or not the presented token is currently active."
    return (answer as { active: boolean }).active ? (answer as IntrospectionAnswer) : { active: false };
  }
}

const formEncode = (value: string): string => encodeURIComponent(value).replace(/%20/g, '+');

function unavailable(description: string, cause?: unknown): OAuthError {
  return new OAuthError('temporarily_unavailable', description, { status: 503, ...(cause === undefined ? {} : { cause }) });
}
