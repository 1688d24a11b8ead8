import { afterAll, describe, expect, it } from 'vitest';
import type { ManagedStorage } from '../../src/storage/managed-storage.js';
import { createMemoryStorage } from '../../src/storage/memory/index.js';
import { openSqliteStorage } from '../../src/storage/sqlite/index.js';
import { openTestPostgres, PG_SKIP } from './support/postgres.js';
import { tempDir } from './support/temp-sqlite.js';

// Remembered consents (issue 14, item 7) on every engine: one per user and client, revocable, forgotten with the
// user or the client, and never kept for a client whose operator turned remembering off.

const tmp = tempDir();
const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const close of closers) await close();
  tmp.remove();
});

const engines: [string, () => Promise<ManagedStorage>, string | undefined][] = [
  ['memory', async () => createMemoryStorage(), undefined],
  ['SQLite', async () => {
    const storage = openSqliteStorage({ filename: tmp.file(`c-${Math.random()}.db`) });
    await storage.migrate();
    closers.push(() => storage.close());
    return storage;
  }, undefined],
  ['PostgreSQL', async () => {
    const { storage, drop } = await openTestPostgres(undefined, 2);
    closers.push(drop);
    return storage;
  }, PG_SKIP],
];

describe.each(engines)('remembered consents on %s', (_name, open, skip) => {
  it.skipIf(skip !== undefined)('stores one consent per user and client, replaces it, lists and revokes it', async () => {
    const storage = await open();
    const { consents } = storage;
    expect(await consents.find('u1', 'app')).toBeUndefined();
    await consents.remember({ userId: 'u1', clientId: 'app', scopes: ['read'], createdAt: 1000 });
    await consents.remember({ userId: 'u1', clientId: 'app', scopes: ['read', 'write'], createdAt: 2000 });
    await consents.remember({ userId: 'u1', clientId: 'other', scopes: [], createdAt: 3000 });
    await consents.remember({ userId: 'u2', clientId: 'app', scopes: ['read'], createdAt: 4000 });
    expect(await consents.find('u1', 'app')).toEqual({ userId: 'u1', clientId: 'app', scopes: ['read', 'write'], createdAt: 2000 });
    expect((await consents.listByUser('u1')).map((c) => [c.clientId, c.scopes])).toEqual([['app', ['read', 'write']], ['other', []]]);
    expect(await consents.revoke('u1', 'app')).toBe(true);
    expect(await consents.revoke('u1', 'app')).toBe(false);
    expect(await consents.find('u1', 'app')).toBeUndefined();
    expect(await consents.find('u2', 'app')).toBeDefined();
  });

  it.skipIf(skip !== undefined)('turning remembering off for a client forgets its consents; on again allows new ones', async () => {
    const storage = await open();
    const { consents } = storage;
    await consents.remember({ userId: 'u1', clientId: 'app', scopes: ['read'], createdAt: 1 });
    await consents.remember({ userId: 'u1', clientId: 'keep', scopes: ['read'], createdAt: 1 });
    expect(await consents.rememberAllowed('app')).toBe(true);
    await consents.setRememberAllowed('app', false);
    await consents.setRememberAllowed('app', false); // idempotent
    expect(await consents.rememberAllowed('app')).toBe(false);
    expect(await consents.find('u1', 'app')).toBeUndefined();
    expect(await consents.find('u1', 'keep')).toBeDefined();
    await consents.setRememberAllowed('app', true);
    expect(await consents.rememberAllowed('app')).toBe(true);
  });

  it.skipIf(skip !== undefined)('deleting the user or the client forgets their consents (and the client opt-out)', async () => {
    const storage = await open();
    await storage.admin.createClient({ id: 'app', name: 'App', redirectUris: ['https://app.example/cb'], grantTypes: ['authorization_code'], scopes: [] });
    const user = await storage.admin.createUser({ username: 'alice', password: 'correct horse battery' });
    await storage.consents.remember({ userId: user.id, clientId: 'app', scopes: [], createdAt: 1 });
    await storage.consents.remember({ userId: 'u9', clientId: 'app', scopes: [], createdAt: 1 });
    expect(await storage.admin.deleteUser(user.id)).toBe(true);
    expect(await storage.consents.find(user.id, 'app')).toBeUndefined();
    expect(await storage.consents.find('u9', 'app')).toBeDefined();
    await storage.consents.setRememberAllowed('app', false);
    expect(await storage.admin.deleteClient('app')).toBe(true);
    expect(await storage.consents.rememberAllowed('app')).toBe(true);
    await storage.consents.remember({ userId: 'u9', clientId: 'x', scopes: [], createdAt: 1 });
    expect((await storage.consents.listByUser('u9')).map((c) => c.clientId)).toEqual(['x']);
  });
});
