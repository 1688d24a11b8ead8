import type { Clock } from '../core/clock.js';

/**
 * Where the limiter keeps its failures: memory for one process, a database table when instances share
 * PostgreSQL (or SQLite on one machine) so that an attacker cannot spread guesses over instances.
 *
 * @example
 * ```ts
 * const store: RateLimitStore = new MemoryRateLimitStore();
 * await store.record(['client:app'], Date.now());
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
 * Settings of a {@link RateLimiter}.
 *
 * @example
 * ```ts
 * const options: RateLimiterOptions = { max: 10, windowSeconds: 300, clock: systemClock };
 * ```
 */
export interface RateLimiterOptions {
  /** Failures allowed per key within the window; the next attempt is refused. */
  readonly max: number;
  /** The sliding window, in seconds. */
  readonly windowSeconds: number;
  readonly clock: Clock;
  /**
   * A different limit for some keys: by default a source address (`…ip:` keys) may fail five times as often as one
   * client id or username, since many honest users can share one address (a NAT, a proxy).
   */
  readonly maxFor?: (key: string) => number;
  /** Extra wait per failure past half the limit, in ms (default 100; 0 turns slowing off). */
  readonly slowdownMs?: number;
}

/** The default per-key limit: sources (keys containing `ip:`) get five times `max`. */
export const defaultMaxFor = (max: number) => (key: string): number => (key.includes('ip:') ? max * 5 : max);

/** Keys carry client input (usernames, client ids): control characters, NUL above all, are replaced so every store can hold them. */
// eslint-disable-next-line no-control-regex
const storableKey = (key: string): string => key.replace(/[\u0000-\u001f\u007f]/g, '\ufffd');

/**
 * A sliding-window brute-force limiter (RFC 6749 §2.3.1 / §10.10, RFC 7009 §5, RFC 8628 §5.1): after `max`
 * failures of one key (a client id, a username; five times that for a source address) within the window, attempts are refused until
 * the oldest failure leaves the window. Refused attempts are not counted, so the rightful owner gets back in once
 * the guessing stops: nobody is locked out for good.
 *
 * @example
 * ```ts
 * const limiter = new RateLimiter(new MemoryRateLimitStore(), { max: 10, windowSeconds: 300, clock: systemClock });
 * const wait = await limiter.retryAfter(['client:app', 'ip:10.0.0.1']);
 * if (wait !== undefined) return OAuthError.tooManyRequests(wait).toResponse();
 * ```
 */
export class RateLimiter {
  constructor(
    readonly store: RateLimitStore,
    readonly options: RateLimiterOptions,
  ) {
    if (!Number.isInteger(options.max) || options.max < 1) throw new TypeError('grantry: rate limit max must be a positive integer');
    if (!(options.windowSeconds > 0)) throw new TypeError('grantry: rate limit window must be positive');
  }

  /** Seconds to wait if any key is over its limit, else `undefined`. */
  async retryAfter(rawKeys: readonly string[]): Promise<number | undefined> {
    const keys = rawKeys.map(storableKey);
    const now = this.options.clock.now();
    const windowMs = this.options.windowSeconds * 1000;
    const counts = await this.store.count(keys, now - windowMs);
    const maxFor = this.options.maxFor ?? defaultMaxFor(this.options.max);
    let wait: number | undefined;
    for (const [key, { count, oldest }] of counts) {
      if (count < maxFor(key)) continue;
      const seconds = Math.max(1, Math.ceil((oldest + windowMs - now) / 1000));
      wait = Math.max(wait ?? 0, seconds);
    }
    return wait;
  }

  /**
   * Counts a failure against each key, then slows the failed answer: past half the limit, each further failure
   * waits 100 ms more (at most 1 s), so a guesser is slowed before being refused. Only failures wait: the
   * rightful owner's successful requests are never delayed. Resolves with the delay applied, in ms.
   */
  async fail(rawKeys: readonly string[]): Promise<number> {
    const keys = rawKeys.map(storableKey);
    const now = this.options.clock.now();
    await this.store.record(keys, now);
    const counts = await this.store.count(keys, now - this.options.windowSeconds * 1000);
    const maxFor = this.options.maxFor ?? defaultMaxFor(this.options.max);
    let excess = 0;
    for (const [key, { count }] of counts) excess = Math.max(excess, count - Math.floor(maxFor(key) / 2));
    const delay = Math.min(excess * (this.options.slowdownMs ?? 100), 1000);
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    return delay;
  }

  /** Drops failures that have left the window (run now and then). */
  async prune(): Promise<void> {
    await this.store.prune(this.options.clock.now() - this.options.windowSeconds * 1000);
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
