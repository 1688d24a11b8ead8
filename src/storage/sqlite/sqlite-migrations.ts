import type { Database } from 'better-sqlite3';
import type { MigrationReport } from '../managed-storage.js';

/**
 * A schema version: applied once, in order, inside the migration transaction.
 *
 * @example
 * ```ts
 * const latest: SqliteMigration | undefined = SQLITE_MIGRATIONS.at(-1);
 * console.log(`schema v${latest?.version}: ${latest?.name}`);
 * ```
 */
export interface SqliteMigration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/**
 * grantry's SQLite schema, version by version. Never edit a released version: add the next one.
 *
 * @example
 * ```ts
 * const db = new Database('grantry.db');
 * const { version } = migrateSqlite(db, SQLITE_MIGRATIONS); // the default list
 * version === SQLITE_MIGRATIONS.length; // true
 * ```
 */
export const SQLITE_MIGRATIONS: readonly SqliteMigration[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
      CREATE TABLE grantry_clients (
        id TEXT PRIMARY KEY, name TEXT NOT NULL, secret_hash TEXT, redirect_uris TEXT NOT NULL,
        grant_types TEXT NOT NULL, scopes TEXT NOT NULL, created_at INTEGER NOT NULL);
      CREATE TABLE grantry_scopes (id TEXT PRIMARY KEY, description TEXT);
      CREATE TABLE grantry_users (
        id TEXT PRIMARY KEY, username TEXT NOT NULL UNIQUE, password_hash TEXT NOT NULL, created_at INTEGER NOT NULL);
      CREATE TABLE grantry_access_tokens (
        id TEXT PRIMARY KEY, client_id TEXT NOT NULL, user_id TEXT, scopes TEXT NOT NULL,
        expires_at INTEGER NOT NULL, family_id TEXT, revoked INTEGER NOT NULL DEFAULT 0);
      CREATE INDEX grantry_access_tokens_family ON grantry_access_tokens (family_id) WHERE family_id IS NOT NULL;
      CREATE INDEX grantry_access_tokens_expiry ON grantry_access_tokens (expires_at);
      CREATE TABLE grantry_refresh_tokens (
        id TEXT PRIMARY KEY, family_id TEXT NOT NULL, client_id TEXT NOT NULL, user_id TEXT, scopes TEXT NOT NULL,
        expires_at INTEGER NOT NULL, access_token_id TEXT,
        consumed INTEGER NOT NULL DEFAULT 0, revoked INTEGER NOT NULL DEFAULT 0);
      CREATE INDEX grantry_refresh_tokens_family ON grantry_refresh_tokens (family_id);
      CREATE INDEX grantry_refresh_tokens_expiry ON grantry_refresh_tokens (expires_at);
      CREATE TABLE grantry_auth_codes (
        id TEXT PRIMARY KEY, family_id TEXT NOT NULL, client_id TEXT NOT NULL, user_id TEXT NOT NULL,
        scopes TEXT NOT NULL, redirect_uri TEXT, code_challenge TEXT, code_challenge_method TEXT,
        expires_at INTEGER NOT NULL, consumed INTEGER NOT NULL DEFAULT 0, revoked INTEGER NOT NULL DEFAULT 0);
      CREATE INDEX grantry_auth_codes_family ON grantry_auth_codes (family_id);
      CREATE INDEX grantry_auth_codes_expiry ON grantry_auth_codes (expires_at);
      CREATE TABLE grantry_device_codes (
        id TEXT PRIMARY KEY, user_code TEXT NOT NULL UNIQUE, client_id TEXT NOT NULL, scopes TEXT NOT NULL,
        expires_at INTEGER NOT NULL, poll_interval INTEGER NOT NULL, last_polled_at INTEGER,
        status TEXT NOT NULL, user_id TEXT);
      CREATE INDEX grantry_device_codes_expiry ON grantry_device_codes (expires_at);
      CREATE TABLE grantry_revoked_families (family_id TEXT PRIMARY KEY, revoked_at INTEGER NOT NULL);
    `,
  },
  {
    version: 2,
    name: 'client permissions',
    // A JSON list such as ["introspect"]; existing clients get none (RFC 7662 §4: introspect own tokens only).
    sql: `ALTER TABLE grantry_clients ADD COLUMN permissions TEXT NOT NULL DEFAULT '[]';`,
  },
  {
    version: 3,
    name: 'refresh family start, server-side sessions, revocation by user',
    sql: `
      ALTER TABLE grantry_refresh_tokens ADD COLUMN auth_time INTEGER;
      CREATE INDEX grantry_refresh_tokens_user ON grantry_refresh_tokens (user_id) WHERE user_id IS NOT NULL;
      CREATE INDEX grantry_access_tokens_user ON grantry_access_tokens (user_id) WHERE user_id IS NOT NULL;
      CREATE TABLE grantry_sessions (
        id TEXT PRIMARY KEY, user_id TEXT NOT NULL, username TEXT,
        created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL);
      CREATE INDEX grantry_sessions_user ON grantry_sessions (user_id);
      CREATE INDEX grantry_sessions_expiry ON grantry_sessions (expires_at);
    `,
  },
  {
    version: 4,
    name: 'refresh token rotation: when a token was spent and its successor, for the reuse grace window',
    sql: `
      ALTER TABLE grantry_refresh_tokens ADD COLUMN spent_at INTEGER;
      ALTER TABLE grantry_refresh_tokens ADD COLUMN successor_id TEXT;
    `,
  },
  {
    version: 5,
    name: 'remembered consents of the pages, and clients that never remember',
    sql: `
      CREATE TABLE grantry_consents (
        user_id TEXT NOT NULL, client_id TEXT NOT NULL, scopes TEXT NOT NULL, created_at INTEGER NOT NULL,
        PRIMARY KEY (user_id, client_id));
      CREATE INDEX grantry_consents_client ON grantry_consents (client_id);
      CREATE TABLE grantry_consent_opt_outs (client_id TEXT PRIMARY KEY);
    `,
  },
  {
    version: 6,
    name: 'resource indicators (RFC 8707): registered resources, the resources a client may use, and those of a grant',
    // Resource lists are JSON; NULL on a code, refresh token or device code means none (the default audience).
    sql: `
      CREATE TABLE grantry_resources (
        id TEXT PRIMARY KEY, name TEXT, scopes TEXT NOT NULL, access_token_ttl INTEGER, access_token_format TEXT,
        created_at INTEGER NOT NULL);
      ALTER TABLE grantry_clients ADD COLUMN resources TEXT NOT NULL DEFAULT '[]';
      ALTER TABLE grantry_auth_codes ADD COLUMN resources TEXT;
      ALTER TABLE grantry_refresh_tokens ADD COLUMN resources TEXT;
      ALTER TABLE grantry_device_codes ADD COLUMN resources TEXT;
    `,
  },
  {
    version: 7,
    name: 'dynamic client registration (RFC 7591/7592): client origin, registrations, initial access tokens',
    sql: `
      ALTER TABLE grantry_clients ADD COLUMN origin TEXT NOT NULL DEFAULT 'operator';
      CREATE TABLE grantry_client_registrations (
        client_id TEXT PRIMARY KEY, access_token_hash TEXT NOT NULL, metadata TEXT NOT NULL, issued_at INTEGER NOT NULL);
      CREATE TABLE grantry_initial_access_tokens (
        id TEXT PRIMARY KEY, description TEXT, created_at INTEGER NOT NULL, expires_at INTEGER, uses_left INTEGER);
    `,
  },
  {
    version: 8,
    name: 'DPoP (RFC 9449): single-use identifiers, key-bound refresh tokens and codes, clients that require DPoP',
    sql: `
      CREATE TABLE grantry_replays (
        namespace TEXT NOT NULL, id TEXT NOT NULL, expires_at INTEGER NOT NULL, PRIMARY KEY (namespace, id));
      CREATE INDEX grantry_replays_expiry ON grantry_replays (expires_at);
      ALTER TABLE grantry_refresh_tokens ADD COLUMN dpop_jkt TEXT;
      ALTER TABLE grantry_auth_codes ADD COLUMN dpop_jkt TEXT;
      ALTER TABLE grantry_clients ADD COLUMN dpop_bound INTEGER NOT NULL DEFAULT 0;
    `,
  },
  {
    version: 9,
    name: 'client authentication methods (private_key_jwt, client_secret_jwt) and pushed authorization requests',
    sql: `
      ALTER TABLE grantry_clients ADD COLUMN token_endpoint_auth_method TEXT;
      ALTER TABLE grantry_clients ADD COLUMN jwks TEXT;
      ALTER TABLE grantry_clients ADD COLUMN jwks_uri TEXT;
      ALTER TABLE grantry_clients ADD COLUMN secret_for_jwt TEXT;
      ALTER TABLE grantry_clients ADD COLUMN require_pushed_requests INTEGER NOT NULL DEFAULT 0;
      CREATE TABLE grantry_pushed_requests (
        id TEXT PRIMARY KEY, client_id TEXT NOT NULL, params TEXT NOT NULL, expires_at INTEGER NOT NULL,
        consumed INTEGER NOT NULL DEFAULT 0);
      CREATE INDEX grantry_pushed_requests_expiry ON grantry_pushed_requests (expires_at);
    `,
  },
  {
    version: 10,
    name: 'opaque access tokens: a client\'s access-token format, an opaque token\'s claims',
    // access_token_format: 'jwt', 'opaque' or NULL (the server's default); claims: JSON, only for opaque tokens.
    sql: `
      ALTER TABLE grantry_clients ADD COLUMN access_token_format TEXT;
      ALTER TABLE grantry_access_tokens ADD COLUMN claims TEXT;
    `,
  },
];

/**
 * Applies pending migrations under `BEGIN IMMEDIATE`: the write lock serialises concurrent migrators (in this or
 * other processes; the busy timeout makes the second one wait), which then find the schema current.
 *
 * @example
 * ```ts
 * const { applied, version } = migrateSqlite(db);
 * ```
 */
export function migrateSqlite(db: Database, migrations: readonly SqliteMigration[] = SQLITE_MIGRATIONS): MigrationReport {
  db.exec('BEGIN IMMEDIATE');
  try {
    db.exec(
      'CREATE TABLE IF NOT EXISTS grantry_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)',
    );
    const row = db.prepare('SELECT MAX(version) AS version FROM grantry_migrations').get() as { version: number | null };
    let version = row.version ?? 0;
    const applied: number[] = [];
    const record = db.prepare('INSERT INTO grantry_migrations (version, name, applied_at) VALUES (?, ?, ?)');
    for (const m of migrations) {
      if (m.version <= version) continue;
      db.exec(m.sql);
      record.run(m.version, m.name, Date.now());
      applied.push(m.version);
      version = m.version;
    }
    db.exec('COMMIT');
    return { applied, version };
  } catch (error) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw error;
  }
}
