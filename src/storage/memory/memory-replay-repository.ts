import type { ReplayRepository } from '../../contracts/replay-repository.js';

/**
 * In-memory {@link ReplayRepository}: one map keyed by `(namespace, id)`; the check and the insert are one
 * synchronous step, so two concurrent calls cannot both succeed. Expired entries are swept by the storage's
 * clean-up.
 *
 * @example
 * ```ts
 * const replays = new MemoryReplayRepository(() => Date.now());
 * await replays.useOnce('dpop', jti, Date.now() + 60_000); // true, then false
 * ```
 */
export class MemoryReplayRepository implements ReplayRepository {
  /** `namespace NUL id` → expiry (ms since the epoch); public for tests and the sweep. */
  readonly records = new Map<string, { expiresAt: number }>();

  constructor(
    private readonly now: () => number,
    private readonly onWrite: () => void = () => undefined,
  ) {}

  async useOnce(namespace: string, id: string, expiresAt: number): Promise<boolean> {
    const key = `${namespace}\u0000${id}`;
    const existing = this.records.get(key);
    if (existing !== undefined && existing.expiresAt > this.now()) return false;
    this.records.set(key, { expiresAt });
    this.onWrite();
    return true;
  }
}
