import pg from 'pg';
import { quoteIdent } from './postgres-migrations.js';

/**
 * How grantry's `pg.Pool` bounds every wait, so that a database outage answers 503 within a bound and the server
 * serves again by itself once the database is back. The defaults suit a database on the same network.
 *
 * @example
 * ```ts
 * const limits: PostgresPoolOptions = { queryTimeoutMs: 2000, connectTimeoutMs: 2000, keepAliveInitialDelayMs: 5000 };
 * const storage = openPostgresStorage({ connectionString: process.env.DATABASE_URL!, ...limits });
 * ```
 */
export interface PostgresPoolOptions {
  /** Connections in the pool (default 10). */
  readonly max?: number;
  /**
   * The longest a statement may take (default 5000 ms): PostgreSQL cancels it (`statement_timeout`), and the
   * client gives up waiting for the answer (`query_timeout`) even when the network is silent; the connection is
   * then dropped from the pool.
   */
  readonly queryTimeoutMs?: number;
  /** The longest to wait for a connection, new or from a full pool (default 5000 ms; `connectionTimeoutMillis`). */
  readonly connectTimeoutMs?: number;
  /** An idle connection is closed after this long (default 30000 ms). */
  readonly idleTimeoutMs?: number;
  /** TCP keepalive probes start after this much silence on a connection (default 10000 ms). */
  readonly keepAliveInitialDelayMs?: number;
}

/** The defaults of {@link PostgresPoolOptions}. */
const DEFAULTS = { max: 10, queryTimeoutMs: 5000, connectTimeoutMs: 5000, idleTimeoutMs: 30_000, keepAliveInitialDelayMs: 10_000 };

const positive = (name: string, value: number | undefined, fallback: number): number => {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) throw new TypeError(`grantry: the PostgreSQL option ${name} must be a positive number of milliseconds`);
  return Math.ceil(value);
};

/**
 * The `pg.Pool` configuration for {@link PostgresPoolOptions}: statement and query timeouts, a connection
 * timeout, TCP keepalive, an idle timeout, and `idle_in_transaction_session_timeout` so that PostgreSQL itself
 * ends a transaction whose client went silent (its row locks would otherwise block others).
 *
 * @example
 * ```ts
 * const pool = new pg.Pool(postgresPoolConfig({ connectionString: process.env.DATABASE_URL!, queryTimeoutMs: 2000 }));
 * ```
 */
export function postgresPoolConfig(options: PostgresPoolOptions & { readonly connectionString?: string; readonly schema?: string | undefined }): pg.PoolConfig {
  const queryTimeout = positive('queryTimeoutMs', options.queryTimeoutMs, DEFAULTS.queryTimeoutMs);
  return {
    ...(options.connectionString === undefined ? {} : { connectionString: options.connectionString }),
    max: Math.max(1, Math.floor(options.max ?? DEFAULTS.max)),
    statement_timeout: queryTimeout,
    query_timeout: queryTimeout,
    idle_in_transaction_session_timeout: Math.max(queryTimeout * 2, 1000),
    connectionTimeoutMillis: positive('connectTimeoutMs', options.connectTimeoutMs, DEFAULTS.connectTimeoutMs),
    idleTimeoutMillis: positive('idleTimeoutMs', options.idleTimeoutMs, DEFAULTS.idleTimeoutMs),
    keepAlive: true,
    keepAliveInitialDelayMillis: positive('keepAliveInitialDelayMs', options.keepAliveInitialDelayMs, DEFAULTS.keepAliveInitialDelayMs),
    ...(options.schema === undefined ? {} : { options: `-c search_path=${quoteIdent(options.schema)}` }),
  };
}

/**
 * A `pg.Pool` with {@link postgresPoolConfig}. A connection that fails while idle in the pool (a database restart,
 * a reset) is dropped by the pool and reported to `onIdleError`; it never crashes the process, and the next
 * query opens a new connection.
 *
 * @example
 * ```ts
 * const pool = createPostgresPool({ connectionString: process.env.DATABASE_URL!, queryTimeoutMs: 2000 });
 * const storage = openPostgresStorage({ pool });
 * ```
 */
export function createPostgresPool(
  options: PostgresPoolOptions & { readonly connectionString?: string; readonly schema?: string | undefined },
  onIdleError: (error: Error) => void = () => undefined,
): pg.Pool {
  const pool = new pg.Pool(postgresPoolConfig(options));
  pool.on('error', (error) => onIdleError(error));
  return pool;
}
