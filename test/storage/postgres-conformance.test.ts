import { afterAll } from 'vitest';
import { describeStorageConformance } from '../../src/storage/conformance/index.js';
import { dropSchema, openTestPostgres, PG_SKIP, uniqueSchema } from './support/postgres.js';

const schema = uniqueSchema();
afterAll(async () => {
  if (!PG_SKIP) await dropSchema(schema);
});

describeStorageConformance('PostgreSQL', async () => (await openTestPostgres(schema)).storage, { skip: PG_SKIP });
