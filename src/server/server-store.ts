import { chmodSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { randomUUID } from 'node:crypto';
import { generateClientSecret, hashClientSecret } from '../contracts/client-secret.js';
import type { AccessTokenFormat, Client, ClientJwks, ClientPermission, TokenEndpointAuthMethod, User } from '../contracts/types.js';
import type { ManagedStorage } from '../storage/managed-storage.js';
import type { PostgresPoolOptions } from '../storage/postgres/postgres-pool.js';
import { guardStorageErrors } from '../storage/storage-unavailable.js';
import type { ServerConfig } from './config.js';
import { dataPathError } from './data-dir-error.js';
import { importDriver } from './import-driver.js';
import { fileKeySource, type KeySource } from './key-store.js';
import type { KeysSecrets } from './keys-at-rest.js';
import { MemoryRateLimitStore, type RateLimitStore } from './rate-limiter.js';
import { postgresProbe, sqliteProbe, type StorageProbe } from './storage-probe.js';
import { secondsToMs } from '../tokens/time-units.js';

/**
 * A client to register from the command line.
 *
 * @example
 * ```ts
 * const input: NewClient = { name: 'CLI', grantTypes: ['client_credentials'], scopes: ['read'], redirectUris: [], public: false };
 * ```
 */
export interface NewClient {
  readonly id?: string | undefined;
  readonly name: string;
  readonly grantTypes: readonly string[];
  readonly scopes: readonly string[];
  readonly redirectUris: readonly string[];
  /** A public client has no secret (RFC 6749 §2.1). */
  readonly public: boolean;
  /** A secret chosen elsewhere (a client migrated from another server), stored as its hash; default: a new one. */
  readonly secret?: string | undefined;
  /** Permissions beyond the grants, e.g. `['introspect']` for a resource server's client (RFC 7662 §4). */
  readonly permissions?: readonly ClientPermission[] | undefined;
  /** The form of its access tokens; absent: the server's `--access-token-format`. */
  readonly accessTokenFormat?: AccessTokenFormat | undefined;
  /** RFC 9449 §5.2 `dpop_bound_access_tokens`: token requests without a DPoP proof are refused. */
  readonly dpopBoundAccessTokens?: boolean | undefined;
  /** The resources (RFC 8707) it may ask tokens for; absent or empty: any registered resource. */
  readonly resources?: readonly string[] | undefined;
  /**
   * How the client authenticates (RFC 7591 §2). `private_key_jwt` needs `jwks` or `jwksUri` and gets no secret;
   * `client_secret_jwt` gets a generated secret kept as given (HMAC needs it), returned once like any secret.
   */
  readonly authMethod?: TokenEndpointAuthMethod | undefined;
  readonly jwks?: ClientJwks | undefined;
  readonly jwksUri?: string | undefined;
  /** RFC 9126 §6: the client's authorization requests must be pushed. */
  readonly requirePushedAuthorizationRequests?: boolean | undefined;
}

/**
 * What the ready server and the `grantry` command open: a storage engine (repositories, admin, migrations,
 * clean-up) and the brute-force limiter's table in the same database. Nothing is cached, so a running server
 * sees a change made by the command (a new client, a deleted user) with its next request.
 *
 * @example
 * ```ts
 * const store = await openServerStore('./data/grantry.db', './data');
 * await store.storage.migrate();
 * const { client, secret } = await createClient(store, { name: 'App', grantTypes: ['client_credentials'], scopes: [], redirectUris: [], public: false });
 * await store.close();
 * ```
 */
export interface ServerStore {
  readonly storage: ManagedStorage;
  readonly rateLimits: RateLimitStore;
  /** The signing, encryption and session keys: the data directory's keys file, or a table in PostgreSQL. */
  readonly keys: KeySource;
  /**
   * A cheap real write (and, on SQLite, a free-space check): throws a `StorageUnavailableError` saying what
   * failed when the database does not take writes. Readiness ({@link checkStorage}) runs it.
   */
  probe(): Promise<void>;
  close(): Promise<void>;
}

/** Whether a `--database` value names PostgreSQL. */
export const isPostgresUrl = (database: string): boolean => /^postgres(ql)?:\/\//i.test(database);

/**
 * Opens the database named by `--database`: a `postgres://` URL or a SQLite file (created with its directory).
 * Connection problems throw a `TypeError` with a readable message (shown without a stack trace).
 *
 * @example
 * ```ts
 * const store = await openServerStore(process.env.DATABASE_URL ?? './data/grantry.db', './data');
 * await store.storage.migrate();
 * ```
 */
export async function openServerStore(
  database: string,
  dataDir: string,
  options: { readonly limits?: PostgresPoolOptions; readonly keysSecrets?: KeysSecrets | undefined } = {},
): Promise<ServerStore> {
  if (isPostgresUrl(database)) {
    // Every role that can read the table could otherwise forge tokens and sessions.
    if (!options.keysSecrets) {
      throw new TypeError(
        'with PostgreSQL the keys are stored in the database and must be encrypted: set GRANTRY_KEYS_SECRET (or --keys-secret-file) ' +
          'to a secret of at least 32 characters, e.g. from `openssl rand -base64 32`, the same on every instance',
      );
    }
    return openPostgres(database, options.limits ?? {}, options.keysSecrets);
  }
  return openSqlite(database, dataDir, options.keysSecrets);
}

/**
 * The PostgreSQL pool's limits from the server's settings (`--db-query-timeout` and the others).
 *
 * @example
 * ```ts
 * const store = await openServerStore(config.database, config.dataDir, { limits: poolOptionsOf(config), keysSecrets: config.keysSecrets });
 * ```
 */
export function poolOptionsOf(config: ServerConfig): PostgresPoolOptions {
  return {
    max: config.dbPoolSize,
    queryTimeoutMs: secondsToMs(config.dbQueryTimeout),
    connectTimeoutMs: secondsToMs(config.dbConnectTimeout),
    idleTimeoutMs: secondsToMs(config.dbIdleTimeout),
    keepAliveInitialDelayMs: secondsToMs(config.dbKeepaliveDelay),
  };
}

async function openSqlite(filename: string, dataDir: string, keysSecrets: KeysSecrets | undefined): Promise<ServerStore> {
  // The engines load only when chosen: their drivers are optional. A missing driver is reported before anything is
  // created on disk.
  const { default: Database } = await importDriver('better-sqlite3', 'the SQLite database', () => import('better-sqlite3'));
  const sqlite = await importDriver('better-sqlite3', 'the SQLite database', () => import('../storage/sqlite/index.js'));
  const { SqliteRateLimitStore } = await import('./sql-rate-limit-store.js');
  try {
    if (filename !== ':memory:') mkdirSync(dirname(filename), { recursive: true, mode: 0o700 });
  } catch (error) {
    throw dataPathError('open the SQLite database', filename, error);
  }
  let storage: InstanceType<typeof sqlite.SqliteStorage> | undefined;
  let db: InstanceType<typeof Database> | undefined;
  let probe: StorageProbe;
  let rateLimits: RateLimitStore;
  try {
    storage = sqlite.openSqliteStorage({ filename });
    db = filename === ':memory:' ? undefined : new Database(filename, { timeout: 5000 });
    // Owner-only, like the keys: SQLite gives its -wal and -shm files the database file's mode.
    if (db) chmodSync(filename, 0o600);
    // A full disk or a read-only file is StorageUnavailableError (503) for the limiter too.
    rateLimits = db ? guardStorageErrors(SqliteRateLimitStore.open(db)) : new MemoryRateLimitStore();
    probe = sqliteProbe(db ?? storage.database, filename);
  } catch (error) {
    await storage?.close().catch(() => undefined);
    if (db?.open) db.close();
    throw dataPathError('open the SQLite database', filename, error);
  }
  return {
    storage,
    rateLimits,
    keys: fileKeySource(dataDir, keysSecrets),
    probe,
    async close() {
      await storage.close();
      db?.close();
    },
  };
}

async function openPostgres(url: string, limits: PostgresPoolOptions, keysSecrets: KeysSecrets): Promise<ServerStore> {
  const { PostgresRateLimitStore } = await import('./sql-rate-limit-store.js');
  const { openPostgresKeySource } = await import('./postgres-key-source.js');
  const postgres = await importDriver('pg', 'a postgres:// database', () => import('../storage/postgres/index.js'));
  // Bounded waits, TCP keepalive, broken connections dropped: an outage answers 503 and passes by itself.
  const pool = postgres.createPostgresPool({ connectionString: url, ...limits });
  let rateLimits: RateLimitStore;
  let keys: KeySource;
  let probe: StorageProbe;
  try {
    rateLimits = guardStorageErrors(await PostgresRateLimitStore.open(pool));
    keys = await openPostgresKeySource(pool, keysSecrets);
    probe = await postgresProbe(pool);
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw new TypeError(`cannot reach the PostgreSQL database ${redactUrl(url)}: ${(error as Error).message}`);
  }
  const storage = postgres.openPostgresStorage({ pool });
  return {
    storage,
    rateLimits,
    keys,
    probe,
    async close() {
      await storage.close();
      await pool.end();
    },
  };
}

/** A database URL without its password, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}

/**
 * Registers a client: a random id unless given, and for a confidential client a new random secret, returned once
 * and stored only as its hash; or the imported `secret`, stored as its hash and not returned. Redirect URIs must
 * pass the registration rule (the admin throws `InvalidRedirectUriError` otherwise).
 *
 * @example
 * ```ts
 * const { client, secret } = await createClient(store, { name: 'CLI', grantTypes: ['client_credentials'], scopes: ['read'], redirectUris: [], public: false });
 * ```
 */
export async function createClient(store: ServerStore, input: NewClient): Promise<{ client: Client; secret: string | undefined }> {
  const method = input.authMethod;
  const keyed = method === 'private_key_jwt' || method === 'none' || input.public;
  const generated = keyed || input.secret !== undefined ? undefined : await generateClientSecret();
  const secret = keyed ? undefined : (input.secret ?? generated);
  const hmac = method === 'client_secret_jwt';
  const client: Client = {
    id: input.id ?? randomUUID(),
    name: input.name,
    // client_secret_jwt: the HMAC key must be recoverable, so it is kept as given, never in secretHash.
    ...(secret === undefined ? {} : hmac ? { secretForJwt: secret } : { secretHash: await hashClientSecret(secret) }),
    redirectUris: [...input.redirectUris],
    grantTypes: [...input.grantTypes],
    scopes: [...input.scopes],
    ...(input.permissions === undefined || input.permissions.length === 0 ? {} : { permissions: [...input.permissions] }),
    ...(input.accessTokenFormat === undefined ? {} : { accessTokenFormat: input.accessTokenFormat }),
    ...(input.dpopBoundAccessTokens === true ? { dpopBoundAccessTokens: true } : {}),
    ...(input.resources === undefined || input.resources.length === 0 ? {} : { resources: [...input.resources] }),
    ...(method === undefined ? {} : { tokenEndpointAuthMethod: method }),
    ...(input.jwks === undefined ? {} : { jwks: input.jwks }),
    ...(input.jwksUri === undefined ? {} : { jwksUri: input.jwksUri }),
    ...(input.requirePushedAuthorizationRequests === true ? { requirePushedAuthorizationRequests: true } : {}),
  };
  await store.storage.admin.createClient(client);
  return { client, secret: generated };
}

/** Finds a user by username (the admin API is keyed by id). */
export async function findUserByUsername(store: ServerStore, username: string): Promise<User | undefined> {
  return (await store.storage.admin.listUsers()).find((u) => u.username === username);
}

/** The pseudo-client the login page checks passwords for (the user repository's contract names one). */
export const LOGIN_PAGE_CLIENT: Client = { id: 'grantry-login', name: 'grantry login page', redirectUris: [], grantTypes: [], scopes: [] };

/** Checks a username and password against the stored scrypt hash. */
export async function verifyUser(store: ServerStore, username: string, password: string): Promise<User | undefined> {
  return store.storage.users.getUserByCredentials(username, password, 'authorization_code', LOGIN_PAGE_CLIENT);
}
