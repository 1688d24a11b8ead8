import type { MigrationReport } from '../managed-storage.js';
import type { PostgresQueries } from './postgres-queries.js';

/**
 * A schema version: applied once, in order, inside the migration transaction.
 *
 * @example
 * ```ts
 * const latest: PostgresMigration | undefined = POSTGRES_MIGRATIONS.at(-1);
 * console.log(`schema v${latest?.version}: ${latest?.name}`);
 * ```
 */
export interface PostgresMigration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/**
 * grantry's PostgreSQL schema, version by version. Never edit a released version: add the next one.
 *
 * @example
 * ```ts
 * const { version } = await openPostgresStorage({ connectionString: process.env.DATABASE_URL! }).migrate();
 * version === POSTGRES_MIGRATIONS.length; // true once every migration is applied
 * ```
 */
export const POSTGRES_MIGRATIONS: readonly PostgresMigration[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
      CREATE TABLE grantry_clients (
        id text PRIMARY KEY, name text NOT NULL, secret_hash text, redirect_uris text NOT NULL,
        grant_types text NOT NULL, scopes text NOT NULL, created_at bigint NOT NULL);
      CREATE TABLE grantry_scopes (id text PRIMARY KEY, description text);
      CREATE TABLE grantry_users (
        id text PRIMARY KEY, username text NOT NULL UNIQUE, password_hash text NOT NULL, created_at bigint NOT NULL);
      CREATE TABLE grantry_access_tokens (
        id text PRIMARY KEY, client_id text NOT NULL, user_id text, scopes text NOT NULL,
        expires_at bigint NOT NULL, family_id text, revoked boolean NOT NULL DEFAULT false);
      CREATE INDEX grantry_access_tokens_family ON grantry_access_tokens (family_id) WHERE family_id IS NOT NULL;
      CREATE INDEX grantry_access_tokens_expiry ON grantry_access_tokens (expires_at);
      CREATE TABLE grantry_refresh_tokens (
        id text PRIMARY KEY, family_id text NOT NULL, client_id text NOT NULL, user_id text, scopes text NOT NULL,
        expires_at bigint NOT NULL, access_token_id text,
        consumed boolean NOT NULL DEFAULT false, revoked boolean NOT NULL DEFAULT false);
      CREATE INDEX grantry_refresh_tokens_family ON grantry_refresh_tokens (family_id);
      CREATE INDEX grantry_refresh_tokens_expiry ON grantry_refresh_tokens (expires_at);
      CREATE TABLE grantry_auth_codes (
        id text PRIMARY KEY, family_id text NOT NULL, client_id text NOT NULL, user_id text NOT NULL,
        scopes text NOT NULL, redirect_uri text, code_challenge text, code_challenge_method text,
        expires_at bigint NOT NULL, consumed boolean NOT NULL DEFAULT false, revoked boolean NOT NULL DEFAULT false);
      CREATE INDEX grantry_auth_codes_family ON grantry_auth_codes (family_id);
      CREATE INDEX grantry_auth_codes_expiry ON grantry_auth_codes (expires_at);
      CREATE TABLE grantry_device_codes (
        id text PRIMARY KEY, user_code text NOT NULL UNIQUE, client_id text NOT NULL, scopes text NOT NULL,
        expires_at bigint NOT NULL, poll_interval integer NOT NULL, last_polled_at bigint,
        status text NOT NULL, user_id text);
      CREATE INDEX grantry_device_codes_expiry ON grantry_device_codes (expires_at);
      CREATE TABLE grantry_revoked_families (family_id text PRIMARY KEY, revoked_at bigint NOT NULL);
    `,
  },
  {
    version: 2,
    name: 'client permissions',
    // A JSON list such as ["introspect"]; existing clients get none (RFC 7662 §4: introspect own tokens only).
    sql: `ALTER TABLE grantry_clients ADD COLUMN permissions text NOT NULL DEFAULT '[]';`,
  },
  {
    version: 3,
    name: 'refresh family start, server-side sessions, revocation by user',
    sql: `
      ALTER TABLE grantry_refresh_tokens ADD COLUMN auth_time bigint;
      CREATE INDEX grantry_refresh_tokens_user ON grantry_refresh_tokens (user_id) WHERE user_id IS NOT NULL;
      CREATE INDEX grantry_access_tokens_user ON grantry_access_tokens (user_id) WHERE user_id IS NOT NULL;
      CREATE TABLE grantry_sessions (
        id text PRIMARY KEY, user_id text NOT NULL, username text,
        created_at bigint NOT NULL, expires_at bigint NOT NULL);
      CREATE INDEX grantry_sessions_user ON grantry_sessions (user_id);
      CREATE INDEX grantry_sessions_expiry ON grantry_sessions (expires_at);
    `,
  },
  {
    version: 4,
    name: 'refresh token rotation: when a token was spent and its successor, for the reuse grace window',
    sql: `
      ALTER TABLE grantry_refresh_tokens ADD COLUMN spent_at bigint;
      ALTER TABLE grantry_refresh_tokens ADD COLUMN successor_id text;
    `,
  },
  {
    version: 5,
    name: 'remembered consents of the pages, and clients that never remember',
    sql: `
      CREATE TABLE grantry_consents (
        user_id text NOT NULL, client_id text NOT NULL, scopes text NOT NULL, created_at bigint NOT NULL,
        PRIMARY KEY (user_id, client_id));
      CREATE INDEX grantry_consents_client ON grantry_consents (client_id);
      CREATE TABLE grantry_consent_opt_outs (client_id text PRIMARY KEY);
    `,
  },
  {
    version: 6,
    name: 'resource indicators (RFC 8707): registered resources, the resources a client may use, and those of a grant',
    // Resource lists are JSON text; NULL on a code, refresh token or device code means none (the default audience).
    sql: `
      CREATE TABLE grantry_resources (
        id text PRIMARY KEY, name text, scopes text NOT NULL, access_token_ttl integer, access_token_format text,
        created_at bigint NOT NULL);
      ALTER TABLE grantry_clients ADD COLUMN resources text NOT NULL DEFAULT '[]';
      ALTER TABLE grantry_auth_codes ADD COLUMN resources text;
      ALTER TABLE grantry_refresh_tokens ADD COLUMN resources text;
      ALTER TABLE grantry_device_codes ADD COLUMN resources text;
    `,
  },
  {
    version: 7,
    name: 'dynamic client registration (RFC 7591/7592): client origin, registrations, initial access tokens',
    sql: `
      ALTER TABLE grantry_clients ADD COLUMN origin text NOT NULL DEFAULT 'operator';
      CREATE TABLE grantry_client_registrations (
        client_id text PRIMARY KEY, access_token_hash text NOT NULL, metadata text NOT NULL, issued_at bigint NOT NULL);
      CREATE TABLE grantry_initial_access_tokens (
        id text PRIMARY KEY, description text, created_at bigint NOT NULL, expires_at bigint, uses_left integer);
    `,
  },
  {
    version: 8,
    name: 'DPoP (RFC 9449): single-use identifiers, key-bound refresh tokens and codes, clients that require DPoP',
    sql: `
      CREATE TABLE grantry_replays (
        namespace text NOT NULL, id text NOT NULL, expires_at bigint NOT NULL, PRIMARY KEY (namespace, id));
      CREATE INDEX grantry_replays_expiry ON grantry_replays (expires_at);
      ALTER TABLE grantry_refresh_tokens ADD COLUMN dpop_jkt text;
      ALTER TABLE grantry_auth_codes ADD COLUMN dpop_jkt text;
      ALTER TABLE grantry_clients ADD COLUMN dpop_bound boolean NOT NULL DEFAULT false;
    `,
  },
  {
    version: 9,
    name: 'client authentication methods (private_key_jwt, client_secret_jwt) and pushed authorization requests',
    sql: `
      ALTER TABLE grantry_clients ADD COLUMN token_endpoint_auth_method text;
      ALTER TABLE grantry_clients ADD COLUMN jwks text;
      ALTER TABLE grantry_clients ADD COLUMN jwks_uri text;
      ALTER TABLE grantry_clients ADD COLUMN secret_for_jwt text;
      ALTER TABLE grantry_clients ADD COLUMN require_pushed_requests boolean NOT NULL DEFAULT false;
      CREATE TABLE grantry_pushed_requests (
        id text PRIMARY KEY, client_id text NOT NULL, params text NOT NULL, expires_at bigint NOT NULL,
        consumed boolean NOT NULL DEFAULT false);
      CREATE INDEX grantry_pushed_requests_expiry ON grantry_pushed_requests (expires_at);
    `,
  },
  {
    version: 10,
    name: 'opaque access tokens: a client\'s access-token format, an opaque token\'s claims',
    // access_token_format: 'jwt', 'opaque' or NULL (the server's default); claims: JSON text, only for opaque tokens.
    sql: `
      ALTER TABLE grantry_clients ADD COLUMN access_token_format text;
      ALTER TABLE grantry_access_tokens ADD COLUMN claims text;
    `,
  },
];

/**
 * Quotes an identifier already checked against `^[A-Za-z_][A-Za-z0-9_]*$`.
 *
 * @example
 * ```ts
 * // Internal (exported with the engine): only for names already checked to be plain identifiers.
 * await pool.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent('grantry')}`); // "grantry"
 * ```
 */
export const quoteIdent = (name: string): string => `"${name}"`;

/**
 * Applies pending migrations in one transaction holding an advisory lock keyed by the schema: concurrent migrators
 * (other processes included) wait for the first, then find the schema current. DDL is transactional in
 * PostgreSQL, so a failed migration leaves nothing behind.
 *
 * @example
 * ```ts
 * const { applied, version } = await migratePostgres(queries, 'grantry');
 * ```
 */
export async function migratePostgres(
  sql: PostgresQueries,
  schema: string | undefined,
  migrations: readonly PostgresMigration[] = POSTGRES_MIGRATIONS,
): Promise<MigrationReport> {
  return sql.transaction(async (client) => {
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`grantry:migrate:${schema ?? ''}`]);
    if (schema !== undefined) {
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
      await client.query(`SET LOCAL search_path TO ${quoteIdent(schema)}`);
    }
    await client.query(
      'CREATE TABLE IF NOT EXISTS grantry_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)',
    );
    const { rows } = await client.query<{ version: number | null }>('SELECT MAX(version) AS version FROM grantry_migrations');
    let version = rows[0]?.version ?? 0;
    const applied: number[] = [];
    for (const m of migrations) {
      if (m.version <= version) continue;
      await client.query(m.sql);
      await client.query('INSERT INTO grantry_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, Date.now()]);
      applied.push(m.version);
      version = m.version;
    }
    return { applied, version };
  });
}
