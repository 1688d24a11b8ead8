import { toEpochSeconds } from '../tokens/time-units.js';

/**
 * The source of time. Inject one in tests instead of faking global timers.
 *
 * @example
 * ```ts
 * let now = Date.parse('2026-01-01T00:00:00Z');
 * const clock: Clock = { now: () => now };
 * now += 3600_000; // an hour later
 * ```
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

/**
 * The wall clock.
 *
 * @example
 * ```ts
 * const server = new AuthorizationServer({ ...options, clock: systemClock }); // the default
 * ```
 */
export const systemClock: Clock = { now: () => Date.now() };

/**
 * Whole seconds since the epoch for a clock.
 *
 * @example
 * ```ts
 * const exp = epochSeconds(systemClock) + 3600; // a JWT `exp` one hour from now
 * ```
 */
export const epochSeconds = (clock: Clock): number => toEpochSeconds(clock.now());
