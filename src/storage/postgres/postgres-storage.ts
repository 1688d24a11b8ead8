import { PostgresPushedRequestRepository } from './postgres-pushed-request-repository.js';
import pg from 'pg';
import { PostgresReplayRepository } from './postgres-replay-repository.js';
import {
  type CleanupOptions,
  type CleanupReport,
  type ManagedStorage,
  type MigrationReport,
} from '../managed-storage.js';
import { cleanupSql } from '../sql/cleanup.js';
import { ClientCache, PostgresClientRepository, PostgresResourceRepository, PostgresScopeRepository, PostgresStorageAdmin, PostgresUserRepository } from './postgres-admin.js';
import { migratePostgres } from './postgres-migrations.js';
import { createPostgresPool, type PostgresPoolOptions } from './postgres-pool.js';
import { PostgresQueries } from './postgres-queries.js';
import { PostgresSessionRepository } from './postgres-session-repository.js';
import { PostgresConsentRepository } from './postgres-consent-repository.js';
import { PostgresTokenWriter } from './postgres-token-writer.js';
import { PostgresClientRegistrationRepository, PostgresInitialAccessTokenRepository } from './postgres-registration-repositories.js';
import {
  PostgresAccessTokenRepository,
  PostgresAuthCodeRepository,
  PostgresDeviceCodeRepository,
  PostgresRefreshTokenRepository,
} from './postgres-token-repositories.js';

/**
 * Options of {@link openPostgresStorage}: a connection string or your own `pg.Pool`, and (for a connection string)
 * the pool's limits, {@link PostgresPoolOptions}: every wait on the database is bounded by default.
 *
 * @example
 * ```ts
 * const options: PostgresStorageOptions = { connectionString: process.env.DATABASE_URL!, schema: 'grantry', max: 20 };
 * const storage = openPostgresStorage(options);
 * await storage.migrate(); // creates the schema and its tables
 * ```
 */
export interface PostgresStorageOptions extends PostgresPoolOptions {
  /** e.g. `postgres://grantry:secret@db.internal:5432/grantry`. */
  readonly connectionString?: string;
  /** An existing pool (then `close()` leaves it open). */
  readonly pool?: pg.Pool;
  /** A schema for grantry's tables (created by `migrate()`); default: the connection's search path. */
  readonly schema?: string;
  /**
   * How long a client or scope read from the database is reused (default 1000 ms; 0 turns it off), so that a
   * token request does not spend a round trip on either. Changes made through this storage's `admin` are seen at
   * once; changes by other processes within this time.
   */
  readonly clientCacheMs?: number;
}

/**
 * grantry's storage on PostgreSQL, for several grantry instances sharing one database: every repository,
 * administration, migrations (advisory-locked) and clean-up.
 *
 * @example
 * ```ts
 * import { openPostgresStorage } from 'grantry/storage/postgres';
 * const storage = openPostgresStorage({ connectionString: process.env.DATABASE_URL! });
 * await storage.migrate();
 * server.enableGrantType(new RefreshTokenGrant(storage.refreshTokens), 'PT1H');
 * ```
 */
export function openPostgresStorage(options: PostgresStorageOptions): PostgresStorage {
  if (!options || (!options.pool && typeof options.connectionString !== 'string')) {
    throw new TypeError('grantry: openPostgresStorage needs a connectionString or a pool');
  }
  const { schema } = options;
  if (schema !== undefined && !/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(schema)) {
    throw new TypeError('grantry: the PostgreSQL schema must be a plain identifier');
  }
  const cache = new ClientCache(options.clientCacheMs ?? 1000);
  if (options.pool) return new PostgresStorage(options.pool, schema, false, cache);
  // Every wait is bounded (statement, query, connection) and TCP keepalive is on; a connection that dies while idle
  // (database restart, network reset) is dropped by the pool without crashing the process: the next query reconnects.
  const pool = createPostgresPool({ ...options, schema });
  return new PostgresStorage(pool, schema, true, cache);
}

/**
 * The bundle {@link openPostgresStorage} returns. `pool` is the `pg.Pool` it runs on.
 *
 * @example
 * ```ts
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * const storage: PostgresStorage = openPostgresStorage({ pool }); // your pool: close() leaves it open
 * await storage.migrate();
 * storage.pool === pool; // true
 * ```
 */
export class PostgresStorage implements ManagedStorage {
  readonly engine = 'postgres';
  readonly #sql: PostgresQueries;
  readonly clients: PostgresClientRepository;
  readonly scopes: PostgresScopeRepository;
  readonly users: PostgresUserRepository;
  readonly resources: PostgresResourceRepository;
  readonly accessTokens: PostgresAccessTokenRepository;
  readonly refreshTokens: PostgresRefreshTokenRepository;
  readonly authCodes: PostgresAuthCodeRepository;
  readonly deviceCodes: PostgresDeviceCodeRepository;
  readonly admin: PostgresStorageAdmin;
  readonly sessions: PostgresSessionRepository;
  readonly consents: PostgresConsentRepository;
  readonly registrations: PostgresClientRegistrationRepository;
  readonly initialAccessTokens: PostgresInitialAccessTokenRepository;
  readonly replays: PostgresReplayRepository;
  readonly pushedAuthorizationRequests: PostgresPushedRequestRepository;

  constructor(
    readonly pool: pg.Pool,
    readonly schema: string | undefined,
    private readonly ownsPool: boolean,
    cache = new ClientCache(),
  ) {
    const sql = (this.#sql = new PostgresQueries(pool));
    this.clients = new PostgresClientRepository(sql, cache);
    this.scopes = new PostgresScopeRepository(sql, cache);
    this.users = new PostgresUserRepository(sql);
    this.resources = new PostgresResourceRepository(sql);
    const writer = new PostgresTokenWriter(sql);
    this.accessTokens = new PostgresAccessTokenRepository(sql, writer);
    this.refreshTokens = new PostgresRefreshTokenRepository(sql, writer, this.accessTokens);
    this.authCodes = new PostgresAuthCodeRepository(sql, { accessTokens: this.accessTokens, refreshTokens: this.refreshTokens });
    this.deviceCodes = new PostgresDeviceCodeRepository(sql);
    this.admin = new PostgresStorageAdmin(sql, cache);
    this.sessions = new PostgresSessionRepository(sql);
    this.consents = new PostgresConsentRepository(sql);
    this.registrations = new PostgresClientRegistrationRepository(sql, this.admin, cache);
    this.initialAccessTokens = new PostgresInitialAccessTokenRepository(sql);
    this.replays = new PostgresReplayRepository(sql);
    this.pushedAuthorizationRequests = new PostgresPushedRequestRepository(sql);
  }

  async migrate(): Promise<MigrationReport> {
    return migratePostgres(this.#sql, this.schema);
  }

  async cleanup(options: CleanupOptions = {}): Promise<CleanupReport> {
    return cleanupSql(
      {
        params: ['$1', '$2'],
        // SKIP LOCKED: a clean-up never waits for (or blocks) a row that a request is consuming right now.
        lockRows: 'FOR UPDATE SKIP LOCKED',
        deleteBatch: (text, before, limit) => this.#sql.count(text, [before, limit]),
      },
      options,
    );
  }

  async close(): Promise<void> {
    if (this.ownsPool && !this.pool.ended) await this.pool.end();
  }
}
