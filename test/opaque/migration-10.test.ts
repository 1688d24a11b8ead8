import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { POSTGRES_MIGRATIONS, migratePostgres } from '../../src/storage/postgres/postgres-migrations.js';
import { PostgresQueries } from '../../src/storage/postgres/postgres-queries.js';
import { openPostgresStorage } from '../../src/storage/postgres/index.js';
import { SQLITE_MIGRATIONS, migrateSqlite } from '../../src/storage/sqlite/sqlite-migrations.js';
import { openSqliteStorage } from '../../src/storage/sqlite/index.js';
import type { ManagedStorage } from '../../src/storage/managed-storage.js';
import { DATABASE_URL, PG_SKIP, dropSchema } from '../storage/support/postgres.js';
import { tempDir } from '../storage/support/temp-sqlite.js';

const tmp = tempDir('grantry-h16c-migration-');
const schemas: string[] = [];
afterAll(async () => {
  tmp.remove();
  for (const schema of schemas) await dropSchema(schema);
});

// Rows as the schema before migration 10 wrote them.
const OLD_ROWS = `
  INSERT INTO grantry_clients (id, name, secret_hash, redirect_uris, grant_types, scopes, created_at, permissions)
    VALUES ('old', 'Old client', NULL, '[]', '["client_credentials"]', 'read', 0, '[]');
  INSERT INTO grantry_access_tokens (id, client_id, user_id, scopes, expires_at, family_id) VALUES ('jti-old', 'old', NULL, 'read', 4102444800000, NULL);`;
const before10 = <M extends { version: number }>(list: readonly M[]): M[] => list.filter((m) => m.version < 10);

/** What an engine reads back of the old rows, and that it stores the new columns afterwards. */
async function checkUpgraded(storage: ManagedStorage): Promise<void> {
  const old = await storage.clients.getClient('old');
  expect(old).toEqual({ id: 'old', name: 'Old client', redirectUris: [], grantTypes: ['client_credentials'], scopes: ['read'] });
  expect(await storage.accessTokens.find('jti-old')).toEqual({ id: 'jti-old', clientId: 'old', userId: undefined, scopes: ['read'], expiresAt: 4102444800000, familyId: undefined, revoked: false });
  await storage.admin.updateClient({ ...old!, accessTokenFormat: 'opaque' });
  expect((await storage.clients.getClient('old'))?.accessTokenFormat).toBe('opaque');
  const record = { id: 'hash', clientId: 'old', userId: undefined, scopes: ['read'], expiresAt: 4102444800000, familyId: undefined, claims: { sub: 'client:old' } };
  await storage.accessTokens.save(record);
  expect(await storage.accessTokens.find('hash')).toEqual({ ...record, revoked: false });
}

describe('migration 10 (opaque access tokens) on a database made before it', () => {
  it('SQLite: keeps clients (server default format) and JWT records (no claims), and stores the new columns', async () => {
    const file = tmp.file('v5.db');
    const db = new Database(file);
    migrateSqlite(db, before10(SQLITE_MIGRATIONS));
    db.exec(OLD_ROWS);
    db.close();
    const storage = openSqliteStorage({ filename: file });
    try {
      expect((await storage.migrate()).applied).toEqual([10]);
      await checkUpgraded(storage);
    } finally {
      await storage.close();
    }
  });

  it.skipIf(PG_SKIP !== undefined)('PostgreSQL: the same', async () => {
    const schema = `grantry_h16c_m10_${Math.random().toString(36).slice(2, 10)}`;
    schemas.push(schema);
    const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 2 });
    const storage = openPostgresStorage({ pool, schema });
    try {
      await migratePostgres(new PostgresQueries(pool), schema, before10(POSTGRES_MIGRATIONS));
      await pool.query(`SET search_path TO "${schema}"; ${OLD_ROWS}`);
      expect((await storage.migrate()).applied).toEqual([10]);
      await checkUpgraded(storage);
    } finally {
      await storage.close();
      await pool.end();
    }
  });
});
