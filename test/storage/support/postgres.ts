import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openPostgresStorage, type PostgresStorage } from '../../../src/storage/postgres/index.js';

/** The PostgreSQL server of the tests: `.ci/run` always sets it; unset locally, the PostgreSQL tests are skipped. */
export const DATABASE_URL = process.env.DATABASE_URL;
export const PG_SKIP = DATABASE_URL ? undefined : 'DATABASE_URL is not set; .ci/run sets it';

/** A schema name of its own per test file and run, so that parallel files never collide. */
export const uniqueSchema = (): string => `grantry_test_${randomBytes(6).toString('hex')}`;

/** Opens (and migrates) a storage in a fresh schema; `drop()` closes it and removes the schema. */
export async function openTestPostgres(schema = uniqueSchema(), max = 10): Promise<{ storage: PostgresStorage; schema: string; drop: () => Promise<void> }> {
  const storage = openPostgresStorage({ connectionString: DATABASE_URL!, schema, max });
  await storage.migrate();
  return { storage, schema, drop: async () => {
    await storage.close();
    await dropSchema(schema);
  } };
}

export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}
