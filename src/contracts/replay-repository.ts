/**
 * Single use of short-lived identifiers within their lifetime: a DPoP proof's `jti` (RFC 9449 §11.1), a client
 * assertion's `jti` (RFC 7523 §3, item 7). Every engine implements `useOnce` as one atomic step (an insert that
 * fails on a duplicate key), so two servers sharing a database cannot both accept the same identifier.
 *
 * @example
 * ```ts
 * const first = await storage.replays.useOnce('dpop', proof.jti, now + 300_000); // true
 * const again = await storage.replays.useOnce('dpop', proof.jti, now + 300_000); // false: a replay
 * ```
 */
export interface ReplayRepository {
  /**
   * Records `id` under `namespace` until `expiresAt` (milliseconds since the epoch). Resolves `true` the first time,
   * `false` when the same `(namespace, id)` is already recorded and has not expired.
   */
  useOnce(namespace: string, id: string, expiresAt: number): Promise<boolean>;
}
