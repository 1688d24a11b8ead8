// The one place where seconds and milliseconds meet. Records, clocks and timers count milliseconds since the epoch
// (`Clock.now()`, `expiresAt`, `authTime`, `setTimeout`); lifetimes, settings and the wire count seconds (RFC 7519
// §2 NumericDate `exp`/`iat`/`nbf`, RFC 6749 §5.1 `expires_in`, RFC 8628 `interval`, HTTP `max-age`). Code converts
// between the two only through these helpers, so that each crossing is named. This file sits on the lowest floor
// (src/tokens) so that the token checks use it too.

const MS_PER_SECOND = 1000;

/**
 * Seconds (a lifetime, or a NumericDate from the wire) in milliseconds, for a record, a clock or a timer.
 *
 * @example
 * ```ts
 * const expiresAt = clock.now() + secondsToMs(ttl); // a record's expiry, ms since the epoch
 * ```
 */
export const secondsToMs = (seconds: number): number => seconds * MS_PER_SECOND;

/**
 * Milliseconds in seconds, exactly (fractions kept): for comparing with seconds, or for a measurement in seconds.
 *
 * @example
 * ```ts
 * if (msToSeconds(clock.now()) >= exp) reject(); // RFC 9068 §4: now must be before exp
 * ```
 */
export const msToSeconds = (ms: number): number => ms / MS_PER_SECOND;

/**
 * Milliseconds since the epoch in whole seconds since the epoch (a NumericDate, RFC 7519 §2: `exp`, `iat`).
 *
 * @example
 * ```ts
 * const exp = toEpochSeconds(record.expiresAt); // introspection's exp, RFC 7662 §2.2
 * ```
 */
export const toEpochSeconds = (ms: number): number => Math.floor(ms / MS_PER_SECOND);
