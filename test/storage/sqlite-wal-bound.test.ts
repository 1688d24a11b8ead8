import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqliteStorage } from '../../src/storage/sqlite/index.js';

const dir = mkdtempSync(join(tmpdir(), 'grantry-wal-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const walSize = (file: string): number => {
  try {
    return statSync(`${file}-wal`).size;
  } catch {
    return 0;
  }
};

describe('SQLite write-ahead log under sustained writes', () => {
  it('stays under walLimitMiB while many times that volume goes through it', async () => {
    const MiB = 1024 * 1024;
    const limit = 8;
    const file = join(dir, 'sustained.db');
    const storage = openSqliteStorage({ filename: file, walLimitMiB: limit });
    await storage.migrate();
    // Writes as fast as the connection commits (100 records per transaction). After each commit the -wal file is at
    // its largest for that commit (it only grows inside a transaction); `appended` sums its growth between samples,
    // a lower bound of what went through the log.
    let max = 0;
    let appended = 0;
    let previous = walSize(file);
    const deadline = Date.now() + 25_000;
    for (let round = 0; round < 20_000 && appended < 6 * limit * MiB && Date.now() < deadline; round++) {
      const writes: Promise<void>[] = [];
      for (let i = 0; i < 50; i++) {
        const id = `${round}-${i}`;
        const expiresAt = Date.now() + 60_000;
        writes.push(storage.accessTokens.save({ id: `a${id}`, clientId: 'app', userId: 'alice', scopes: ['read'], expiresAt, familyId: `f${id}` }));
        writes.push(storage.refreshTokens.save({ id: `r${id}`, familyId: `f${id}`, clientId: 'app', userId: 'alice', scopes: ['read'], expiresAt, accessTokenId: `a${id}` }));
      }
      await Promise.all(writes);
      const size = walSize(file);
      max = Math.max(max, size);
      if (size > previous) appended += size - previous;
      previous = size;
    }
    // The load pushed several times the bound through the log, and the file never passed it.
    expect(appended).toBeGreaterThanOrEqual(6 * limit * MiB);
    expect(max).toBeLessThan(limit * MiB);
    await storage.close();
    // Closing runs a last TRUNCATE checkpoint: nothing is left in the log.
    expect(walSize(file)).toBe(0);
  }, 40_000);

  it('refuses a walLimitMiB below 1 with a TypeError at start-up', () => {
    expect(() => openSqliteStorage({ filename: join(dir, 'bad.db'), walLimitMiB: 0 })).toThrow(TypeError);
  });
});
