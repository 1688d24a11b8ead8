import { afterEach } from 'vitest';
import type { ManagedStorage } from '../../src/storage/managed-storage.js';
import { createMemoryStorage } from '../../src/storage/memory/index.js';
import { openSqliteStorage } from '../../src/storage/sqlite/index.js';
import { serverOn, testClock } from '../support/fixtures.js';
import { PG_SKIP, openTestPostgres } from '../storage/support/postgres.js';

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

/** Every storage engine; PostgreSQL is skipped when DATABASE_URL is unset (`.ci/run` sets it). */
export const engines: { name: string; skip: string | undefined; open: () => Promise<ManagedStorage> }[] = [
  { name: 'memory', skip: undefined, open: async () => createMemoryStorage() },
  {
    name: 'SQLite',
    skip: undefined,
    open: async () => {
      const s = openSqliteStorage({ filename: ':memory:' });
      await s.migrate();
      cleanup = () => s.close();
      return s;
    },
  },
  {
    name: 'PostgreSQL',
    skip: PG_SKIP,
    open: async () => {
      const pg = await openTestPostgres(undefined, 2);
      cleanup = pg.drop;
      return pg.storage;
    },
  },
];

/** A server over a storage engine, no grants enabled, with an injected clock. */
export function serverOver(storage: ManagedStorage) {
  const clock = testClock();
  const server = serverOn(storage, clock);
  return { server, clock };
}
