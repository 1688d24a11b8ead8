import type { Storage } from './repositories.js';
import type { StorageAdmin } from './storage-admin.js';

/** Limits of one {@link ManagedStorage.cleanup} run. */
export interface CleanupOptions {
  /** Records that expired at or before this time (ms since the epoch) go; defaults to now. */
  readonly now?: number;
  /** Rows deleted per statement (default 1000): each batch is one short transaction. */
  readonly batchSize?: number;
  /** Batches per table at most (default 100), so one run stays bounded; run again while `complete` is false. */
  readonly maxBatches?: number;
}

/** What one clean-up run removed, per kind of record. */
export interface CleanupReport {
  readonly accessTokens: number;
  readonly refreshTokens: number;
  readonly authCodes: number;
  readonly deviceCodes: number;
  /** Revoked families whose last token is gone. */
  readonly families: number;
  /** `false` when a table hit `maxBatches` and may hold more expired rows. */
  readonly complete: boolean;
}

/** The outcome of {@link ManagedStorage.migrate}. */
export interface MigrationReport {
  /** Versions applied by this call (empty when the schema was current). */
  readonly applied: readonly number[];
  /** The schema version now. */
  readonly version: number;
}

/**
 * A storage engine as grantry ships it: every repository, administration, migrations, clean-up and shutdown.
 *
 * @example
 * ```ts
 * const storage: ManagedStorage = openSqliteStorage({ filename: 'grantry.db' });
 * await storage.migrate();                     // explicit, idempotent, safe from two processes at once
 * setInterval(() => void storage.cleanup(), 3600_000).unref();
 * process.on('SIGTERM', () => void storage.close());
 * ```
 */
export interface ManagedStorage extends Storage {
  readonly engine: 'memory' | 'sqlite' | 'postgres';
  readonly admin: StorageAdmin;
  /** Applies pending schema migrations. Safe to call twice and from several processes at once. */
  migrate(): Promise<MigrationReport>;
  /** Deletes expired records in bounded batches. */
  cleanup(options?: CleanupOptions): Promise<CleanupReport>;
  /** Closes the database (no-op in memory). */
  close(): Promise<void>;
}

export const DEFAULT_CLEANUP_BATCH = 1000;
export const DEFAULT_CLEANUP_MAX_BATCHES = 100;
