import Database from 'better-sqlite3';
import {
  DEFAULT_CLEANUP_BATCH,
  DEFAULT_CLEANUP_MAX_BATCHES,
  type CleanupOptions,
  type CleanupReport,
  type ManagedStorage,
  type MigrationReport,
} from '../managed-storage.js';
import { FAMILY_GRACE_MS } from '../sql/rows.js';
import { SqliteCheckpointer } from './sqlite-checkpointer.js';
import { SqliteClientRepository, SqliteScopeRepository, SqliteStorageAdmin, SqliteUserRepository } from './sqlite-admin.js';
import { migrateSqlite } from './sqlite-migrations.js';
import { SqliteStatements } from './sqlite-statements.js';
import {
  SqliteAccessTokenRepository,
  SqliteAuthCodeRepository,
  SqliteDeviceCodeRepository,
  SqliteRefreshTokenRepository,
} from './sqlite-token-repositories.js';

/**
 * Options of {@link openSqliteStorage}.
 *
 * @example
 * ```ts
 * const options: SqliteStorageOptions = { filename: '/var/lib/grantry/grantry.db', synchronous: 'full', busyTimeoutMs: 10_000 };
 * const storage = openSqliteStorage(options);
 * await storage.migrate();
 * ```
 */
export interface SqliteStorageOptions {
  /** The database file (created if missing), or `':memory:'`. */
  readonly filename: string;
  /**
   * `'normal'` (default) or `'full'`. The database always runs in WAL mode. With `normal`, a commit is in the WAL
   * file (the OS's page cache) before the call returns, so a crashed or killed process loses nothing and the file
   * is never corrupted; only a power loss or OS crash may roll back the last commits (a client then signs in
   * again). `full` also fsyncs every commit, surviving power loss, at about 1.5 ms per write on typical disks.
   */
  readonly synchronous?: 'normal' | 'full';
  /** How long a writer waits for another process's write lock (default 5000 ms). */
  readonly busyTimeoutMs?: number;
  /**
   * `'background'` (default for files): WAL checkpoints run in a worker thread every 250 ms, so their fsync never
   * stalls the event loop. `'inline'`: SQLite's own automatic checkpoints on the server's connection.
   */
  readonly checkpoint?: 'background' | 'inline';
  /** The page cache of the connection in KiB (default 32768). */
  readonly cacheSizeKiB?: number;
}

const TOKEN_TABLES = [
  ['accessTokens', 'grantry_access_tokens'],
  ['refreshTokens', 'grantry_refresh_tokens'],
  ['authCodes', 'grantry_auth_codes'],
  ['deviceCodes', 'grantry_device_codes'],
] as const;

/**
 * grantry's storage on SQLite: every repository, administration, migrations and clean-up on one file.
 *
 * @example
 * ```ts
 * import { openSqliteStorage } from 'grantry/storage/sqlite';
 * const storage = openSqliteStorage({ filename: 'grantry.db' });
 * await storage.migrate();
 * const server = new AuthorizationServer({ clients: storage.clients, accessTokens: storage.accessTokens,
 *   scopes: storage.scopes, privateKey, encryptionKey, issuer });
 * server.enableGrantType(new RefreshTokenGrant(storage.refreshTokens), 'PT1H');
 * ```
 */
export function openSqliteStorage(options: SqliteStorageOptions): SqliteStorage {
  if (!options || typeof options.filename !== 'string' || options.filename === '') {
    throw new TypeError('grantry: openSqliteStorage needs a filename');
  }
  const synchronous = options.synchronous ?? 'normal';
  if (synchronous !== 'normal' && synchronous !== 'full') throw new TypeError('grantry: synchronous must be "normal" or "full"');
  const db = new Database(options.filename);
  db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous.toUpperCase()}`);
  db.pragma(`cache_size = -${Math.max(256, Math.floor(options.cacheSizeKiB ?? 32768))}`);
  const onDisk = options.filename !== ':memory:' && !options.filename.startsWith('file::memory:');
  const checkpointer = onDisk && options.checkpoint !== 'inline' ? SqliteCheckpointer.start(db, options.filename) : undefined;
  return new SqliteStorage(db, checkpointer);
}

/**
 * The bundle {@link openSqliteStorage} returns. `database` is the open better-sqlite3 handle.
 *
 * @example
 * ```ts
 * const storage: SqliteStorage = openSqliteStorage({ filename: 'grantry.db' });
 * await storage.migrate();
 * storage.database.pragma('journal_mode', { simple: true }); // 'wal': the better-sqlite3 handle
 * await storage.close();
 * ```
 */
export class SqliteStorage implements ManagedStorage {
  readonly engine = 'sqlite';
  readonly #sql: SqliteStatements;
  readonly clients: SqliteClientRepository;
  readonly scopes: SqliteScopeRepository;
  readonly users: SqliteUserRepository;
  readonly accessTokens: SqliteAccessTokenRepository;
  readonly refreshTokens: SqliteRefreshTokenRepository;
  readonly authCodes: SqliteAuthCodeRepository;
  readonly deviceCodes: SqliteDeviceCodeRepository;
  readonly admin: SqliteStorageAdmin;

  constructor(
    readonly database: Database.Database,
    private readonly checkpointer?: SqliteCheckpointer,
  ) {
    const sql = (this.#sql = new SqliteStatements(database));
    this.clients = new SqliteClientRepository(sql);
    this.scopes = new SqliteScopeRepository(sql);
    this.users = new SqliteUserRepository(sql);
    this.accessTokens = new SqliteAccessTokenRepository(sql);
    this.refreshTokens = new SqliteRefreshTokenRepository(sql);
    this.authCodes = new SqliteAuthCodeRepository(sql);
    this.deviceCodes = new SqliteDeviceCodeRepository(sql);
    this.admin = new SqliteStorageAdmin(sql);
  }

  async migrate(): Promise<MigrationReport> {
    return migrateSqlite(this.database);
  }

  async cleanup(options: CleanupOptions = {}): Promise<CleanupReport> {
    const now = options.now ?? Date.now();
    const batchSize = Math.max(1, Math.floor(options.batchSize ?? DEFAULT_CLEANUP_BATCH));
    const maxBatches = Math.max(1, Math.floor(options.maxBatches ?? DEFAULT_CLEANUP_MAX_BATCHES));
    let complete = true;
    const drain = (sql: string, ...params: unknown[]): number => {
      const statement = this.#sql.get(sql);
      let total = 0;
      for (let batch = 0; batch < maxBatches; batch++) {
        const { changes } = statement.run(...params, batchSize);
        total += changes;
        if (changes < batchSize) return total;
      }
      complete = false;
      return total;
    };
    const counts: Record<string, number> = {};
    for (const [key, table] of TOKEN_TABLES) {
      counts[key] = drain(`DELETE FROM ${table} WHERE id IN (SELECT id FROM ${table} WHERE expires_at <= ? LIMIT ?)`, now);
    }
    // A revoked family is forgotten once no token of it is left (and a grace period has passed).
    const families = drain(
      `DELETE FROM grantry_revoked_families WHERE family_id IN (
         SELECT f.family_id FROM grantry_revoked_families f WHERE f.revoked_at <= ?
           AND NOT EXISTS (SELECT 1 FROM grantry_refresh_tokens r WHERE r.family_id = f.family_id)
           AND NOT EXISTS (SELECT 1 FROM grantry_access_tokens a WHERE a.family_id = f.family_id)
           AND NOT EXISTS (SELECT 1 FROM grantry_auth_codes c WHERE c.family_id = f.family_id)
         LIMIT ?)`,
      now - FAMILY_GRACE_MS,
    );
    return {
      accessTokens: counts.accessTokens ?? 0,
      refreshTokens: counts.refreshTokens ?? 0,
      authCodes: counts.authCodes ?? 0,
      deviceCodes: counts.deviceCodes ?? 0,
      families,
      complete,
    };
  }

  async close(): Promise<void> {
    await this.checkpointer?.stop();
    if (this.database.open) this.database.close();
  }
}
