import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { scheduleCleanup } from '../../src/server/cleanup-schedule.js';
import { openServerStore } from '../../src/server/server-store.js';

const dir = mkdtempSync(join(tmpdir(), 'grantry-schedule-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('scheduleCleanup', () => {
  it('removes expired records on its own within one interval of start-up, and keeps live ones', async () => {
    const store = await openServerStore(join(dir, 'a.db'), dir);
    await store.storage.migrate();
    const now = Date.now();
    for (let i = 0; i < 30; i++) {
      await store.storage.accessTokens.save({ id: `old-${i}`, clientId: 'app', userId: undefined, scopes: [], expiresAt: now - 1, familyId: undefined });
    }
    await store.storage.accessTokens.save({ id: 'live', clientId: 'app', userId: undefined, scopes: [], expiresAt: now + 3_600_000, familyId: undefined });
    await store.rateLimits.record(['client:x'], now - 120_000);
    const logs: Record<string, unknown>[] = [];
    const schedule = scheduleCleanup(store, { intervalSeconds: 1, rateLimitWindowSeconds: 60, log: (line) => logs.push(line) });
    for (let i = 0; i < 50 && logs.length === 0; i++) await sleep(100);
    await schedule.stop();
    expect(logs).toEqual([expect.objectContaining({ level: 'info', msg: 'expired records removed', accessTokens: 30, rateLimitFailures: 1 })]);
    expect(await store.storage.accessTokens.find('old-0')).toBeUndefined();
    expect(await store.storage.accessTokens.find('live')).toBeDefined();
    await store.close();
  });

  it('logs a failed run and tries again at the next interval', async () => {
    const store = await openServerStore(join(dir, 'b.db'), dir);
    await store.storage.migrate();
    await store.storage.close(); // every run now fails: the database is closed
    const logs: Record<string, unknown>[] = [];
    const schedule = scheduleCleanup(store, { intervalSeconds: 1, rateLimitWindowSeconds: 60, log: (line) => logs.push(line) });
    for (let i = 0; i < 60 && logs.length < 2; i++) await sleep(100);
    await schedule.stop();
    expect(logs.length).toBeGreaterThanOrEqual(2);
    for (const line of logs.slice(0, 2)) {
      expect(line).toMatchObject({ level: 'error', msg: 'removing expired records failed; retrying at the next interval' });
      expect(String(line.error)).toMatch(/database connection is not open/);
    }
    await store.close();
  });
});
