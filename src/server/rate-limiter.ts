import { createHash } from 'node:crypto';
import type { Clock } from '../contracts/clock.js';
import type { Guess, GuessKind } from '../contracts/oauth-error.js';
import { msToSeconds, secondsToMs } from '../tokens/time-units.js';

/**
 * Where the limiter keeps its failures: memory for one process, a database table when instances share
 * PostgreSQL (or SQLite on one machine) so that an attacker cannot spread guesses over instances.
 *
 * @example
 * ```ts
 * const store: RateLimitStore = new MemoryRateLimitStore();
 * await store.record(['src:203.0.113.7'], Date.now());
 * ```
 */
export interface RateLimitStore {
  /** Records one failure for each key at `now` (ms). */
  record(keys: readonly string[], now: number): Promise<void>;
  /** For each key, the failures since `since` (ms): how many, and the oldest one's time. */
  count(keys: readonly string[], since: number): Promise<Map<string, { count: number; oldest: number }>>;
  /**
   * Forgets failures at or before `before` (ms): all of them, or at most `limit` (one short batch), resolving with
   * how many went (a store that does not count may resolve with nothing; it is then taken as done).
   */
  prune(before: number, limit?: number): Promise<number | void>;
}

/**
 * A credential that a request presents and that can be guessed: a confidential client's secret (by client id), a
 * user's password (by username), the device user codes a signed-in user types (by user id).
 *
 * @example
 * ```ts
 * const credential: Credential = { kind: 'password', subject: 'alice' };
 * ```
 */
export interface Credential {
  readonly kind: GuessKind;
  readonly subject: string;
}

/**
 * What the limiter reports, for the security log and metrics. `throttled` is every 429 it causes: a source that
 * guessed one credential too often (`guessing`), a source past the spraying threshold (`spraying`), a locked
 * credential (`locked`). `credential_guessing` fires when one credential's failures from all sources pass the
 * slow-down threshold; `credential_locked` when the optional account lockout starts.
 *
 * @example
 * ```ts
 * const onEvent = (event: LimiterEvent) => console.warn(JSON.stringify(event));
 * ```
 */
export type LimiterEvent =
  | { readonly type: 'throttled'; readonly reason: 'guessing' | 'spraying' | 'locked'; readonly source: string; readonly kind: GuessKind; readonly subject: string | undefined; readonly retryAfter: number }
  | { readonly type: 'credential_guessing'; readonly kind: GuessKind; readonly subject: string; readonly failures: number }
  | { readonly type: 'credential_locked'; readonly kind: GuessKind; readonly subject: string; readonly failures: number; readonly seconds: number };

/**
 * Settings of a {@link RateLimiter}; the defaults let the rightful owner in.
 *
 * @example
 * ```ts
 * const options: RateLimiterOptions = { max: 10, windowSeconds: 300, sourceMax: 100, clock: systemClock };
 * ```
 */
export interface RateLimiterOptions {
  readonly clock: Clock;
  /** Failed guesses of one credential from one source within the window; that source's next attempt at it gets 429. */
  readonly max: number;
  /** The sliding window, in seconds. */
  readonly windowSeconds: number;
  /** Failed guesses from one source, of any credentials, past which its failed attempts get 429 (default 100). */
  readonly sourceMax?: number;
  /** Failures of one credential from all sources past which its failed answers are delayed and reported (default 5). */
  readonly slowdownAfter?: number;
  /** Extra delay per failure past `slowdownAfter` (or past `sourceMax` for a source), in ms (default 100; 0 turns it off). */
  readonly slowdownMs?: number;
  /** The longest delay of one failed answer, in ms (default 1000). */
  readonly slowdownMaxMs?: number;
  /** Failures of one credential from all sources that lock it, correct secret or not (default 0: never). */
  readonly lockoutThreshold?: number;
  /** How long a lockout lasts, in seconds (default 900). */
  readonly lockoutSeconds?: number;
  /** Receives what the limiter did (see {@link LimiterEvent}); it must not throw. */
  readonly onEvent?: (event: LimiterEvent) => void;
}

/**
 * What {@link RateLimiter.fail} decided about a failed guess.
 *
 * @example
 * ```ts
 * const { retryAfter }: FailOutcome = await limiter.fail(source, guess);
 * if (retryAfter !== undefined) return OAuthError.tooManyRequests(retryAfter).toResponse();
 * ```
 */
export interface FailOutcome {
  /** How long the failed answer was delayed, in ms. */
  readonly delayMs: number;
  /** Set when the source is spraying: answer 429 with this `Retry-After` instead of the failure. */
  readonly retryAfter: number | undefined;
}

/** Keys carry client input (usernames, client ids): control characters, NUL above all, are replaced so every store can hold them. */
// eslint-disable-next-line no-control-regex
const storableKey = (key: string): string => key.replace(/[\u0000-\u001f\u007f]/g, '\ufffd');

/** One part of a key: `:` and `%` escaped so that parts cannot run together; long values hashed to fit an index. */
function part(value: string): string {
  const escaped = value.replace(/%/g, '%25').replace(/:/g, '%3A');
  return escaped.length > 128 ? `#${createHash('sha256').update(value).digest('base64url')}` : storableKey(escaped);
}

/** Usernames are compared without case, so that `Alice` and `alice` share their count. */
const subjectOf = (kind: GuessKind, subject: string): string => (kind === 'password' ? subject.toLowerCase() : subject);

const pairKey = (source: string, c: Credential): string => `pair:${c.kind}:${part(subjectOf(c.kind, c.subject))}:${part(source)}`;
const credentialKey = (c: Credential): string => `cred:${c.kind}:${part(subjectOf(c.kind, c.subject))}`;
const lockKey = (c: Credential): string => `lock:${c.kind}:${part(subjectOf(c.kind, c.subject))}`;
const sourceKey = (source: string): string => `src:${part(source)}`;

const secondsUntil = (at: number, now: number): number => Math.max(1, Math.ceil(msToSeconds(at - now)));

/**
 * A brute-force limiter that locks the guesser, not the owner (RFC 6749 §2.3.1 and §10.10, RFC 8628 §5.1, the
 * OWASP Authentication Cheat Sheet). Only failed guesses count (see {@link Guess}):
 * - per source and credential: after `max` failures within the window, that source gets 429 for that credential,
 *   before any check; other sources, and this source's other credentials, are answered as usual;
 * - per credential from all sources: failed answers past `slowdownAfter` are delayed (`slowdownMs` more each, at
 *   most `slowdownMaxMs`) and reported once; an optional lockout refuses every attempt past `lockoutThreshold`;
 * - per source across credentials (spraying): past `sourceMax` failures, its failed attempts are answered 429 and
 *   delayed; a request whose credentials are correct is still answered normally.
 * Refused attempts are not counted, so the owner gets back in once the guessing stops.
 *
 * @example
 * ```ts
 * const limiter = new RateLimiter(new MemoryRateLimitStore(), { max: 10, windowSeconds: 300, clock: systemClock });
 * const credential = { kind: 'password', subject: 'alice' } as const;
 * const wait = await limiter.admit('203.0.113.7', [credential]);
 * if (wait !== undefined) return OAuthError.tooManyRequests(wait).toResponse();
 * if (!passwordIsRight) await limiter.fail('203.0.113.7', credential);
 * ```
 */
export class RateLimiter {
  readonly #windowMs: number;
  readonly #sourceMax: number;
  readonly #slowdownAfter: number;
  readonly #slowdownMs: number;
  readonly #slowdownMaxMs: number;
  readonly #lockoutThreshold: number;
  readonly #lockoutMs: number;

  constructor(
    readonly store: RateLimitStore,
    readonly options: RateLimiterOptions,
  ) {
    const whole = (value: number, name: string, min: number): number => {
      if (!Number.isSafeInteger(value) || value < min) throw new TypeError(`grantry: rate limit ${name} must be an integer of at least ${min}`);
      return value;
    };
    whole(options.max, 'max', 1);
    if (!(options.windowSeconds > 0)) throw new TypeError('grantry: rate limit window must be positive');
    this.#windowMs = secondsToMs(options.windowSeconds);
    this.#sourceMax = whole(options.sourceMax ?? 100, 'sourceMax', 1);
    this.#slowdownAfter = whole(options.slowdownAfter ?? 5, 'slowdownAfter', 0);
    this.#slowdownMs = whole(options.slowdownMs ?? 100, 'slowdownMs', 0);
    this.#slowdownMaxMs = whole(options.slowdownMaxMs ?? 1000, 'slowdownMaxMs', 0);
    this.#lockoutThreshold = whole(options.lockoutThreshold ?? 0, 'lockoutThreshold', 0);
    this.#lockoutMs = secondsToMs(whole(options.lockoutSeconds ?? 900, 'lockoutSeconds', 1));
  }

  /** How far back failures matter: the window, or a lockout if that is longer (for pruning). */
  get horizonSeconds(): number {
    return msToSeconds(Math.max(this.#windowMs, this.#lockoutThreshold > 0 ? this.#lockoutMs : 0));
  }

  /**
   * Before any check: the seconds this source must wait before presenting one of these credentials again (it
   * guessed that credential `max` times, or the credential is locked), or `undefined` to go on.
   */
  async admit(source: string, credentials: readonly Credential[]): Promise<number | undefined> {
    if (credentials.length === 0) return undefined;
    const now = this.options.clock.now();
    const [pairs, locks] = await Promise.all([
      this.store.count(credentials.map((c) => pairKey(source, c)), now - this.#windowMs),
      this.#lockoutThreshold > 0 ? this.store.count(credentials.map(lockKey), now - this.#lockoutMs) : new Map<string, { count: number; oldest: number }>(),
    ]);
    let refusal: { retryAfter: number; reason: 'guessing' | 'locked'; credential: Credential } | undefined;
    for (const credential of credentials) {
      const pair = pairs.get(pairKey(source, credential));
      const lock = locks.get(lockKey(credential));
      const candidates = [
        ...(pair && pair.count >= this.options.max ? [{ retryAfter: secondsUntil(pair.oldest + this.#windowMs, now), reason: 'guessing' as const, credential }] : []),
        ...(lock ? [{ retryAfter: secondsUntil(lock.oldest + this.#lockoutMs, now), reason: 'locked' as const, credential }] : []),
      ];
      for (const candidate of candidates) if (!refusal || candidate.retryAfter > refusal.retryAfter) refusal = candidate;
    }
    if (!refusal) return undefined;
    const { kind, subject } = refusal.credential;
    this.#emit({ type: 'throttled', reason: refusal.reason, source, kind, subject, retryAfter: refusal.retryAfter });
    return refusal.retryAfter;
  }

  /**
   * Counts a failed guess from `source`, then delays the failed answer as the model says. Only failures wait:
   * the rightful owner's successful requests are never delayed.
   */
  async fail(source: string, guess: Guess): Promise<FailOutcome> {
    const now = this.options.clock.now();
    const credential = guess.subject === undefined ? undefined : { kind: guess.kind, subject: guess.subject };
    const keys = [sourceKey(source), ...(credential ? [pairKey(source, credential), credentialKey(credential)] : [])];
    await this.store.record(keys, now);
    const counts = await this.store.count(keys, now - this.#windowMs);
    let delay = 0;
    if (credential) {
      const failures = counts.get(credentialKey(credential))?.count ?? 0;
      if (failures > this.#slowdownAfter) delay = (failures - this.#slowdownAfter) * this.#slowdownMs;
      if (failures === this.#slowdownAfter + 1) this.#emit({ type: 'credential_guessing', kind: credential.kind, subject: credential.subject, failures });
      if (this.#lockoutThreshold > 0 && failures >= this.#lockoutThreshold) {
        await this.store.record([lockKey(credential)], now);
        this.#emit({ type: 'credential_locked', kind: credential.kind, subject: credential.subject, failures, seconds: msToSeconds(this.#lockoutMs) });
      }
    }
    const fromSource = counts.get(sourceKey(source));
    let retryAfter: number | undefined;
    if (fromSource && fromSource.count > this.#sourceMax) {
      retryAfter = secondsUntil(fromSource.oldest + this.#windowMs, now);
      delay = Math.max(delay, (fromSource.count - this.#sourceMax) * this.#slowdownMs);
      this.#emit({ type: 'throttled', reason: 'spraying', source, kind: guess.kind, subject: guess.subject, retryAfter });
    }
    delay = Math.min(delay, this.#slowdownMaxMs);
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    return { delayMs: delay, retryAfter };
  }

  /** Drops failures that no longer matter (run now and then). */
  async prune(): Promise<void> {
    await this.store.prune(this.options.clock.now() - secondsToMs(this.horizonSeconds));
  }

  #emit(event: LimiterEvent): void {
    try {
      this.options.onEvent?.(event);
    } catch {
      // A listener's failure must not change the answer.
    }
  }
}

/**
 * Failures kept in process memory.
 *
 * @example
 * ```ts
 * const store = new MemoryRateLimitStore();
 * ```
 */
export class MemoryRateLimitStore implements RateLimitStore {
  readonly #failures = new Map<string, number[]>();

  async record(keys: readonly string[], now: number): Promise<void> {
    for (const key of keys) {
      const list = this.#failures.get(key);
      if (list) list.push(now);
      else this.#failures.set(key, [now]);
    }
  }

  async count(keys: readonly string[], since: number): Promise<Map<string, { count: number; oldest: number }>> {
    const out = new Map<string, { count: number; oldest: number }>();
    for (const key of keys) {
      const recent = (this.#failures.get(key) ?? []).filter((t) => t > since);
      if (recent.length > 0) out.set(key, { count: recent.length, oldest: Math.min(...recent) });
    }
    return out;
  }

  async prune(before: number, limit = Infinity): Promise<number> {
    let removed = 0;
    for (const [key, list] of this.#failures) {
      if (removed >= limit) break;
      // A key's failures are in time order: the oldest go first.
      const old = Math.min(list.filter((t) => t <= before).length, limit - removed);
      removed += old;
      if (old === list.length) this.#failures.delete(key);
      else if (old > 0) this.#failures.set(key, list.slice(old));
    }
    return removed;
  }
}
