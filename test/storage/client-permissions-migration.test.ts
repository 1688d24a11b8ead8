import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { POSTGRES_MIGRATIONS, migratePostgres } from '../../src/storage/postgres/postgres-migrations.js';
import { openPostgresStorage } from '../../src/storage/postgres/index.js';
import { SQLITE_MIGRATIONS, migrateSqlite } from '../../src/storage/sqlite/sqlite-migrations.js';
import { openSqliteStorage } from '../../src/storage/sqlite/index.js';
import { DATABASE_URL, PG_SKIP, dropSchema, uniqueSchema } from './support/postgres.js';
import { tempDir } from './support/temp-sqlite.js';

const tmp = tempDir();
const schemas: string[] = [];
afterAll(async () => {
  tmp.remove();
  for (const schema of schemas) await dropSchema(schema);
});

const V1_CLIENT = `INSERT INTO grantry_clients (id, name, secret_hash, redirect_uris, grant_types, scopes, created_at)
  VALUES ('old', 'Old client', NULL, '["https://app.example/cb"]', '["authorization_code"]', '', 0)`;

describe('migration 2 (client permissions) on a database made by migration 1', () => {
  it('SQLite: keeps existing clients, with no permission, and stores new ones', async () => {
    const file = tmp.file('v1.db');
    const db = new Database(file);
    migrateSqlite(db, SQLITE_MIGRATIONS.filter((m) => m.version === 1));
    db.exec(V1_CLIENT);
    db.close();
    const storage = openSqliteStorage({ filename: file });
    try {
      expect((await storage.migrate()).applied).toContain(2);
      const old = await storage.clients.getClient('old');
      expect(old).toEqual({ id: 'old', name: 'Old client', redirectUris: ['https://app.example/cb'], grantTypes: ['authorization_code'], scopes: [] });
      await storage.admin.updateClient({ ...old!, permissions: ['introspect'] });
      expect((await storage.clients.getClient('old'))?.permissions).toEqual(['introspect']);
    } finally {
      await storage.close();
    }
  });

  it.skipIf(PG_SKIP !== undefined)('PostgreSQL: keeps existing clients, with no permission, and stores new ones', async () => {
    const schema = uniqueSchema();
    schemas.push(schema);
    const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 2 });
    const storage = openPostgresStorage({ pool, schema });
    try {
      // Version 1 only, through the engine's own migrator, then a row as version 1 wrote it.
      const { PostgresQueries } = await import('../../src/storage/postgres/postgres-queries.js');
      await migratePostgres(new PostgresQueries(pool), schema, POSTGRES_MIGRATIONS.filter((m) => m.version === 1));
      await pool.query(`SET search_path TO "${schema}"; ${V1_CLIENT}`);
      expect((await storage.migrate()).applied).toContain(2);
      const old = await storage.clients.getClient('old');
      expect(old?.permissions).toBeUndefined();
      await storage.admin.updateClient({ ...old!, permissions: ['introspect'] });
      expect((await storage.admin.getClient('old'))?.permissions).toEqual(['introspect']);
    } finally {
      await storage.close();
      await pool.end();
    }
  });
});
