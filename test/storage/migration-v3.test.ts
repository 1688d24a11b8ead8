import { afterAll, describe, expect, it } from 'vitest';
import { migratePostgres, POSTGRES_MIGRATIONS } from '../../src/storage/postgres/postgres-migrations.js';
import { PostgresQueries } from '../../src/storage/postgres/postgres-queries.js';
import { openPostgresStorage } from '../../src/storage/postgres/index.js';
import { migrateSqlite, SQLITE_MIGRATIONS } from '../../src/storage/sqlite/sqlite-migrations.js';
import { openSqliteStorage } from '../../src/storage/sqlite/index.js';
import { DATABASE_URL, dropSchema, PG_SKIP, uniqueSchema } from './support/postgres.js';
import { tempDir } from './support/temp-sqlite.js';

// Migration 2 (issue 11) on a database written by version 1: the refresh token saved before keeps working, without
// a family start; sessions and the family start are stored from then on.

const LEGACY = `INSERT INTO grantry_refresh_tokens (id, family_id, client_id, user_id, scopes, expires_at, access_token_id)
  VALUES ('rt-legacy', 'fam-legacy', 'app', 'user-1', 'read', 4102444800000, NULL)`;

const tmp = tempDir();
const schemas: string[] = [];
afterAll(async () => {
  tmp.remove();
  for (const schema of schemas) await dropSchema(schema);
});

describe('migrations 2 to 4 over a version-1 database', () => {
  it('SQLite: keeps a version-1 refresh token consumable (no authTime) and adds the sessions table', async () => {
    const storage = openSqliteStorage({ filename: tmp.file('v1.db') });
    try {
      expect(migrateSqlite(storage.database, SQLITE_MIGRATIONS.slice(0, 1)).version).toBe(1);
      storage.database.exec(LEGACY);
      expect(await storage.migrate()).toEqual({ applied: SQLITE_MIGRATIONS.slice(1).map((m) => m.version), version: SQLITE_MIGRATIONS.at(-1)!.version });
      expect(await storage.refreshTokens.find('rt-legacy')).toMatchObject({ familyId: 'fam-legacy', authTime: undefined, consumed: false });
      expect((await storage.refreshTokens.consume('rt-legacy')).status).toBe('consumed');
      await storage.sessions.save({ id: 'h', userId: 'user-1', username: undefined, createdAt: 1, expiresAt: 2 });
      expect(await storage.sessions.find('h')).toEqual({ id: 'h', userId: 'user-1', username: undefined, createdAt: 1, expiresAt: 2 });
    } finally {
      await storage.close();
    }
  });

  it.skipIf(PG_SKIP !== undefined)('PostgreSQL: keeps a version-1 refresh token consumable (no authTime) and adds the sessions table', async () => {
    const schema = uniqueSchema();
    schemas.push(schema);
    const storage = openPostgresStorage({ connectionString: DATABASE_URL!, schema, max: 2 });
    try {
      expect((await migratePostgres(new PostgresQueries(storage.pool), schema, POSTGRES_MIGRATIONS.slice(0, 1))).version).toBe(1);
      await storage.pool.query(LEGACY);
      expect(await storage.migrate()).toEqual({ applied: POSTGRES_MIGRATIONS.slice(1).map((m) => m.version), version: POSTGRES_MIGRATIONS.at(-1)!.version });
      expect(await storage.refreshTokens.find('rt-legacy')).toMatchObject({ familyId: 'fam-legacy', authTime: undefined, consumed: false });
      expect((await storage.refreshTokens.consume('rt-legacy')).status).toBe('consumed');
      await storage.sessions.save({ id: 'h', userId: 'user-1', username: undefined, createdAt: 1, expiresAt: 2 });
      expect(await storage.sessions.find('h')).toEqual({ id: 'h', userId: 'user-1', username: undefined, createdAt: 1, expiresAt: 2 });
    } finally {
      await storage.close();
    }
  });
});
