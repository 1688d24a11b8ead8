import { statfs } from 'node:fs/promises';
import { dirname } from 'node:path';
import type Database from 'better-sqlite3';
import type { Pool } from 'pg';
import { StorageUnavailableError, toStorageError } from '../storage/storage-unavailable.js';

const TABLE = 'grantry_server_health';

/** Below this much free space on the SQLite file system, writes are about to fail: not ready. */
export const MIN_FREE_BYTES = 256 * 1024;

/**
 * A cheap, honest check that the database takes writes: one upsert of a one-row table. It throws a
 * `StorageUnavailableError` saying what failed.
 *
 * @example
 * ```ts
 * const probe: StorageProbe = sqliteProbe(db, './data/grantry.db');
 * await probe(); // throws StorageUnavailableError on a full disk or a read-only file
 * ```
 */
export type StorageProbe = () => Promise<void>;

/**
 * The probe of a SQLite file. A small write alone cannot see a full disk: SQLite reuses the space its write-ahead
 * log already holds, so a tiny commit may succeed while any larger one fails. So the probe also asks the file
 * system for its free space (`statfs`) and fails under {@link MIN_FREE_BYTES}.
 *
 * @example
 * ```ts
 * const probe = sqliteProbe(new Database('./data/grantry.db'), './data/grantry.db');
 * await probe();
 * ```
 */
export function sqliteProbe(db: Database.Database, filename: string): StorageProbe {
  db.exec(`CREATE TABLE IF NOT EXISTS ${TABLE} (id INTEGER PRIMARY KEY CHECK (id = 1), at INTEGER NOT NULL)`);
  const upsert = db.prepare(`INSERT INTO ${TABLE} (id, at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET at = excluded.at`);
  const onDisk = filename !== ':memory:' && !filename.startsWith('file::memory:');
  return async () => {
    try {
      upsert.run(Date.now());
      if (!onDisk) return;
      const fs = await statfs(dirname(filename));
      const free = fs.bavail * fs.bsize;
      if (free < MIN_FREE_BYTES) {
        throw new StorageUnavailableError('disk_full', `the disk is full: ${free} bytes free beside ${filename}, under ${MIN_FREE_BYTES}`);
      }
    } catch (error) {
      throw toStorageError(error);
    }
  };
}

/**
 * The probe of a PostgreSQL database: an upsert of a one-row table (bounded by the pool's query timeout), which
 * fails on a lost connection, a read-only standby or a full disk on the database server.
 *
 * @example
 * ```ts
 * const probe = await postgresProbe(pool);
 * await probe();
 * ```
 */
export async function postgresProbe(pool: Pool): Promise<StorageProbe> {
  await pool.query(`CREATE TABLE IF NOT EXISTS ${TABLE} (id SMALLINT PRIMARY KEY CHECK (id = 1), at BIGINT NOT NULL)`).catch(async (error: unknown) => {
    // Two first starts racing on CREATE TABLE: the loser sees a duplicate type; the table exists either way.
    const exists = await pool.query(`SELECT to_regclass($1) AS t`, [TABLE]);
    if ((exists.rows[0] as { t: string | null }).t === null) throw error;
  });
  return async () => {
    try {
      await pool.query(`INSERT INTO ${TABLE} (id, at) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET at = excluded.at`, [Date.now()]);
    } catch (error) {
      throw toStorageError(error);
    }
  };
}

/**
 * What {@link checkStorage} found.
 *
 * @example
 * ```ts
 * const check: StorageCheck = await checkStorage(store);
 * if (!check.ok) console.warn(check.reason, check.error);
 * ```
 */
export type StorageCheck = { readonly ok: true } | { readonly ok: false; readonly reason: string; readonly error: string };

/**
 * Readiness of the storage for writes: runs the store's probe and says what failed. Never throws.
 *
 * @example
 * ```ts
 * const check = await checkStorage(store);
 * return new Response(null, { status: check.ok ? 200 : 503 });
 * ```
 */
export async function checkStorage(store: { probe(): Promise<void> }): Promise<StorageCheck> {
  try {
    await store.probe();
    return { ok: true };
  } catch (error) {
    const e = toStorageError(error);
    return {
      ok: false,
      reason: e instanceof StorageUnavailableError ? e.reason : 'error',
      error: e instanceof Error ? e.message : String(e),
    };
  }
}
