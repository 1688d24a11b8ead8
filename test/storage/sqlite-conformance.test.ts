import { afterAll } from 'vitest';
import { describeStorageConformance } from '../../src/storage/conformance/index.js';
import { openSqliteStorage } from '../../src/storage/sqlite/index.js';
import { tempDir } from './support/temp-sqlite.js';

const tmp = tempDir();
afterAll(() => tmp.remove());

describeStorageConformance('SQLite', async () => {
  const storage = openSqliteStorage({ filename: tmp.file('conformance.db') });
  await storage.migrate();
  return storage;
});
