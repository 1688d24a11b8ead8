import Database from 'better-sqlite3';
import { SqliteReplayRepository } from './sqlite-replay-repository.js';
import {
  type CleanupOptions,
  type CleanupReport,
  type ManagedStorage,
  type MigrationReport,
} from '../managed-storage.js';
import { cleanupSql } from '../sql/cleanup.js';
import { guardStorageErrors } from '../storage-unavailable.js';
import { DEFAULT_WAL_LIMIT_MIB, SqliteCheckpointer, walTruncateBytes } from './sqlite-checkpointer.js';
import { SqliteClientRepository, SqliteResourceRepository, SqliteScopeRepository, SqliteStorageAdmin, SqliteUserRepository } from './sqlite-admin.js';
import { migrateSqlite } from './sqlite-migrations.js';
import { SqliteSessionRepository } from './sqlite-session-repository.js';
import { SqliteConsentRepository } from './sqlite-consent-repository.js';
import { SqlitePushedRequestRepository } from './sqlite-pushed-request-repository.js';
import { SqliteStatements } from './sqlite-statements.js';
import { SqliteClientRegistrationRepository, SqliteInitialAccessTokenRepository } from './sqlite-registration-repositories.js';
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
  /**
   * The bound of the `-wal` file beside the database, in MiB (default 64). With background checkpoints, a
   * TRUNCATE checkpoint empties the file whenever it passes a quarter of this, so that sustained writes cannot grow
   * it further; with inline checkpoints, `journal_size_limit` shrinks it to a quarter of this each time the log
   * restarts. Only a reader holding one snapshot for long (another process) can hold the file above it.
   */
  readonly walLimitMiB?: number;
  /** The page cache of the connection in KiB (default 32768). */
  readonly cacheSizeKiB?: number;
}

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
  const walLimitMiB = options.walLimitMiB ?? DEFAULT_WAL_LIMIT_MIB;
  const truncateAt = walTruncateBytes(walLimitMiB);
  const db = new Database(options.filename);
  const busyTimeoutMs = Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000));
  db.pragma(`busy_timeout = ${busyTimeoutMs}`);
  enableWal(db, busyTimeoutMs);
  db.pragma(`synchronous = ${synchronous.toUpperCase()}`);
  db.pragma(`cache_size = -${Math.max(256, Math.floor(options.cacheSizeKiB ?? 32768))}`);
  const onDisk = options.filename !== ':memory:' && !options.filename.startsWith('file::memory:');
  db.pragma(`journal_size_limit = ${truncateAt}`);
  const checkpointer = onDisk && options.checkpoint !== 'inline' ? SqliteCheckpointer.start(db, options.filename, { walLimitMiB }) : undefined;
  return new SqliteStorage(db, checkpointer);
}

/**
 * Switches to WAL. Changing the journal mode takes a lock for which SQLite does not call the busy handler, so two
 * processes opening a new database at once (one of them migrating) can get SQLITE_BUSY here: retried until the busy
 * timeout, as any other lock wait.
 */
function enableWal(db: InstanceType<typeof Database>, timeoutMs: number): void {
  const deadline = Date.now() + timeoutMs;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      db.pragma('journal_mode = WAL');
      return;
    } catch (error) {
      if ((error as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() >= deadline) throw error;
      Atomics.wait(pause, 0, 0, 10);
    }
  }
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
  readonly resources: SqliteResourceRepository;
  readonly accessTokens: SqliteAccessTokenRepository;
  readonly refreshTokens: SqliteRefreshTokenRepository;
  readonly authCodes: SqliteAuthCodeRepository;
  readonly deviceCodes: SqliteDeviceCodeRepository;
  readonly admin: SqliteStorageAdmin;
  readonly sessions: SqliteSessionRepository;
  readonly consents: SqliteConsentRepository;
  readonly registrations: SqliteClientRegistrationRepository;
  readonly initialAccessTokens: SqliteInitialAccessTokenRepository;
  readonly replays: SqliteReplayRepository;
  readonly pushedAuthorizationRequests: SqlitePushedRequestRepository;

  constructor(
    readonly database: Database.Database,
    private readonly checkpointer?: SqliteCheckpointer,
  ) {
    const sql = (this.#sql = new SqliteStatements(database, checkpointer ? () => checkpointer.afterCommit() : undefined));
    // A full disk, a read-only file or a lock held too long is StorageUnavailableError (503), not a 500.
    const guard = guardStorageErrors;
    this.clients = guard(new SqliteClientRepository(sql));
    this.scopes = guard(new SqliteScopeRepository(sql));
    this.users = guard(new SqliteUserRepository(sql));
    this.resources = guard(new SqliteResourceRepository(sql));
    this.accessTokens = guard(new SqliteAccessTokenRepository(sql));
    this.refreshTokens = guard(new SqliteRefreshTokenRepository(sql, this.accessTokens));
    this.authCodes = guard(new SqliteAuthCodeRepository(sql, { accessTokens: this.accessTokens, refreshTokens: this.refreshTokens }));
    this.deviceCodes = guard(new SqliteDeviceCodeRepository(sql));
    this.admin = guard(new SqliteStorageAdmin(sql));
    this.sessions = guard(new SqliteSessionRepository(sql));
    this.consents = guard(new SqliteConsentRepository(sql));
    this.registrations = guard(new SqliteClientRegistrationRepository(sql, this.admin));
    this.initialAccessTokens = guard(new SqliteInitialAccessTokenRepository(sql));
    this.replays = guard(new SqliteReplayRepository(sql));
    this.pushedAuthorizationRequests = guard(new SqlitePushedRequestRepository(sql));
  }

  async migrate(): Promise<MigrationReport> {
    return migrateSqlite(this.database);
  }

  async cleanup(options: CleanupOptions = {}): Promise<CleanupReport> {
    return cleanupSql(
      { params: ['?', '?'], lockRows: '', deleteBatch: (sql, before, limit) => this.#sql.get(sql).run(before, limit).changes },
      options,
    );
  }

  async close(): Promise<void> {
    await this.checkpointer?.stop();
    if (this.database.open) this.database.close();
  }
}
