import type { CleanupReport } from '../storage/managed-storage.js';
import type { ServerStore } from './server-store.js';
import { secondsToMs } from '../tokens/time-units.js';

/**
 * What {@link removeExpired} deleted: the storage engine's counts plus the brute-force limiter's failures.
 *
 * @example
 * ```ts
 * const removed: RemovedRecords = await removeExpired(store, { rateLimitWindowSeconds: 300 });
 * console.log(removed.accessTokens, removed.rateLimitFailures);
 * ```
 */
export type RemovedRecords = Omit<CleanupReport, 'complete'> & { readonly rateLimitFailures: number };

/**
 * Settings of {@link removeExpired}.
 *
 * @example
 * ```ts
 * const options: RemoveExpiredOptions = { rateLimitWindowSeconds: 300, batchSize: 500, shouldStop: () => stopping };
 * ```
 */
export interface RemoveExpiredOptions {
  /** Limiter failures older than this window are forgotten. */
  readonly rateLimitWindowSeconds: number;
  /** Rows per statement, per table (default 500): each batch is one short transaction. */
  readonly batchSize?: number;
  /** The current time in ms (default `Date.now`); read once, so a run ends even while new records keep expiring. */
  readonly now?: () => number;
  /** Checked between batches: `true` ends the run early (the server is stopping). */
  readonly shouldStop?: () => boolean;
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Deletes everything that had expired when the run started: tokens, codes, device codes, revoked families whose
 * last token is gone, and the limiter's failures that have left its window. It works in batches of `batchSize`
 * rows per table and yields to the event loop between them, so that a running server keeps answering while a large
 * backlog goes; it loops until nothing expired is left. Expired login sessions go with them.
 *
 * @example
 * ```ts
 * const removed = await removeExpired(store, { rateLimitWindowSeconds: config.rateLimitWindow });
 * console.log(`deleted ${removed.accessTokens} access tokens`);
 * ```
 */
export async function removeExpired(store: ServerStore, options: RemoveExpiredOptions): Promise<RemovedRecords> {
  const now = options.now?.() ?? Date.now();
  const batchSize = Math.max(1, Math.floor(options.batchSize ?? 500));
  const stop = options.shouldStop ?? (() => false);
  const totals = { accessTokens: 0, refreshTokens: 0, authCodes: 0, deviceCodes: 0, families: 0, sessions: 0, replays: 0, pushedAuthorizationRequests: 0, rateLimitFailures: 0 };
  for (let done = false; !done && !stop(); ) {
    const report = await store.storage.cleanup({ now, batchSize, maxBatches: 1 });
    totals.accessTokens += report.accessTokens;
    totals.refreshTokens += report.refreshTokens;
    totals.authCodes += report.authCodes;
    totals.deviceCodes += report.deviceCodes;
    totals.families += report.families;
    totals.sessions += report.sessions;
    totals.replays += report.replays;
    totals.pushedAuthorizationRequests += report.pushedAuthorizationRequests;
    done = report.complete;
    await nextTurn();
  }
  const before = now - secondsToMs(options.rateLimitWindowSeconds);
  for (let done = false; !done && !stop(); ) {
    const removed = await store.rateLimits.prune(before, batchSize);
    totals.rateLimitFailures += removed ?? 0;
    done = typeof removed !== 'number' || removed < batchSize;
    await nextTurn();
  }
  return totals;
}
