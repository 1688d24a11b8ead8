import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresStorage, type PostgresStorage } from '../../src/storage/postgres/index.js';
import { classifyStorageError } from '../../src/storage/storage-unavailable.js';
import { DATABASE_URL, PG_SKIP, dropSchema, uniqueSchema } from './support/postgres.js';

describe.skipIf(PG_SKIP !== undefined)('the PostgreSQL pool of openPostgresStorage', () => {
  const schema = uniqueSchema();
  const application = `grantry_pool_${randomBytes(4).toString('hex')}`;
  let storage: PostgresStorage;

  beforeAll(async () => {
    const url = new URL(DATABASE_URL!);
    url.searchParams.set('application_name', application);
    storage = openPostgresStorage({ connectionString: url.toString(), schema, queryTimeoutMs: 1500, connectTimeoutMs: 2000 });
    await storage.migrate();
  });
  afterAll(async () => {
    await storage?.close();
    await dropSchema(schema);
  });

  it('bounds every statement on the server and in the client (statement_timeout, idle_in_transaction_session_timeout)', async () => {
    const show = async (name: string) => ((await storage.pool.query(`SHOW ${name}`)).rows[0] as Record<string, string>)[name];
    expect(await show('statement_timeout')).toBe('1500ms');
    expect(await show('idle_in_transaction_session_timeout')).toBe('3s');
    const slow = await storage.pool.query('SELECT pg_sleep(5)').catch((error: unknown) => error);
    expect(classifyStorageError(slow)?.reason).toBe('timeout');
  });

  it('drops connections that the database ends while idle, without crashing, and serves the next query', async () => {
    await Promise.all([1, 2, 3].map(() => storage.clients.getClient('nobody')));
    expect(storage.pool.idleCount).toBeGreaterThan(0);
    const admin = new pg.Client({ connectionString: DATABASE_URL });
    await admin.connect();
    try {
      const { rowCount } = await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [application]);
      expect(rowCount).toBeGreaterThan(0);
    } finally {
      await admin.end();
    }
    // The pool notices the ended connections (an 'error' on each idle client) and removes them.
    for (let i = 0; i < 50 && storage.pool.totalCount > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(storage.pool.totalCount).toBe(0);
    expect(await storage.clients.getClient('nobody')).toBeUndefined();
  });
});
