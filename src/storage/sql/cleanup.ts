import { DEFAULT_CLEANUP_BATCH, DEFAULT_CLEANUP_MAX_BATCHES, type CleanupOptions, type CleanupReport } from '../managed-storage.js';
import { FAMILY_GRACE_MS } from './rows.js';
import { PUSHED_REQUEST_KEEP_MS } from '../../contracts/pushed-authorization-request-repository.js';

const TOKEN_TABLES = [
  ['accessTokens', 'grantry_access_tokens'],
  ['refreshTokens', 'grantry_refresh_tokens'],
  ['authCodes', 'grantry_auth_codes'],
  ['deviceCodes', 'grantry_device_codes'],
  ['sessions', 'grantry_sessions'],
] as const;

/** How one SQL engine writes the clean-up's statements. */
export interface CleanupDialect {
  /** The two parameters of every batch statement: the cut-off time and the batch size (`?`/`?` or `$1`/`$2`). */
  readonly params: readonly [string, string];
  /** Appended to each batch's row selection, e.g. PostgreSQL's `FOR UPDATE SKIP LOCKED`. */
  readonly lockRows: string;
  /** Runs one batch statement with (cut-off, batch size) and resolves with the number of rows it deleted. */
  deleteBatch(sql: string, before: number, limit: number): number | Promise<number>;
}

/**
 * The clean-up both SQL engines share: expired tokens, codes, device codes and sessions, then revoked families of which no
 * record is left, each deleted in batches of `batchSize`, at most `maxBatches` per kind (short transactions).
 * Internal (exported with the storage engines).
 *
 * @example
 * ```ts
 * const report = await cleanupSql({ params: ['?', '?'], lockRows: '', deleteBatch: (sql, t, n) => db.prepare(sql).run(t, n).changes }, {});
 * ```
 */
export async function cleanupSql(dialect: CleanupDialect, options: CleanupOptions): Promise<CleanupReport> {
  const now = options.now ?? Date.now();
  const batchSize = Math.max(1, Math.floor(options.batchSize ?? DEFAULT_CLEANUP_BATCH));
  const maxBatches = Math.max(1, Math.floor(options.maxBatches ?? DEFAULT_CLEANUP_MAX_BATCHES));
  const [before, limit] = dialect.params;
  let complete = true;
  const drain = async (sql: string, cutoff: number): Promise<number> => {
    let total = 0;
    for (let batch = 0; batch < maxBatches; batch++) {
      const changed = await dialect.deleteBatch(sql, cutoff, batchSize);
      total += changed;
      if (changed < batchSize) return total;
    }
    complete = false;
    return total;
  };
  const counts: Record<string, number> = {};
  for (const [key, table] of TOKEN_TABLES) {
    counts[key] = await drain(
      `DELETE FROM ${table} WHERE id IN (SELECT id FROM ${table} WHERE expires_at <= ${before} LIMIT ${limit} ${dialect.lockRows})`,
      now,
    );
  }
  // Expired single-use identifiers (migration 8), keyed by (namespace, id).
  const replays = await drain(
    `DELETE FROM grantry_replays WHERE (namespace, id) IN (
       SELECT namespace, id FROM grantry_replays WHERE expires_at <= ${before} LIMIT ${limit} ${dialect.lockRows})`,
    now,
  );
  // A pushed request outlives its expiry by the time a sign-in in progress may still need it (consumed at the end).
  const pushed = await drain(
    `DELETE FROM grantry_pushed_requests WHERE id IN (SELECT id FROM grantry_pushed_requests WHERE expires_at <= ${before} LIMIT ${limit} ${dialect.lockRows})`,
    now - PUSHED_REQUEST_KEEP_MS,
  );
  // A revoked family is forgotten once no token of it is left (and a grace period has passed).
  const families = await drain(
    `DELETE FROM grantry_revoked_families WHERE family_id IN (
       SELECT f.family_id FROM grantry_revoked_families f WHERE f.revoked_at <= ${before}
         AND NOT EXISTS (SELECT 1 FROM grantry_refresh_tokens r WHERE r.family_id = f.family_id)
         AND NOT EXISTS (SELECT 1 FROM grantry_access_tokens a WHERE a.family_id = f.family_id)
         AND NOT EXISTS (SELECT 1 FROM grantry_auth_codes c WHERE c.family_id = f.family_id)
       LIMIT ${limit} ${dialect.lockRows})`,
    now - FAMILY_GRACE_MS,
  );
  return {
    accessTokens: counts.accessTokens ?? 0,
    refreshTokens: counts.refreshTokens ?? 0,
    authCodes: counts.authCodes ?? 0,
    deviceCodes: counts.deviceCodes ?? 0,
    sessions: counts.sessions ?? 0,
    replays,
    pushedAuthorizationRequests: pushed,
    families,
    complete,
  };
}
