import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthorizationServer } from '../../src/core/authorization-server.js';
import { hashClientSecret } from '../../src/contracts/client-secret.js';
import { ClientCredentialsGrant } from '../../src/grants/client-credentials-grant.js';
import { issueTokens } from '../../src/grants/issue-tokens.js';
import { RefreshTokenGrant } from '../../src/grants/refresh-token-grant.js';
import type { ManagedStorage } from '../../src/storage/managed-storage.js';
import { createMemoryStorage } from '../../src/storage/memory/index.js';
import { openPostgresStorage } from '../../src/storage/postgres/index.js';
import { openSqliteStorage } from '../../src/storage/sqlite/index.js';
import { basic, encryptionKey, ISSUER, privateKeyPem, testClock, tokenRequest } from '../support/fixtures.js';
import { dropSchema, openTestPostgres, PG_SKIP } from './support/postgres.js';
import { tempDir } from './support/temp-sqlite.js';
import { jtiOf } from './support/test-deployment.js';

const tmp = tempDir();
afterAll(() => tmp.remove());

describe('SQLite engine settings', () => {
  it('runs in WAL mode with synchronous NORMAL by default and FULL on request', async () => {
    const file = tmp.file('settings.db');
    const normal = openSqliteStorage({ filename: file });
    const full = openSqliteStorage({ filename: file, synchronous: 'full' });
    try {
      expect(normal.database.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(normal.database.pragma('synchronous', { simple: true })).toBe(1);
      expect(full.database.pragma('synchronous', { simple: true })).toBe(2);
    } finally {
      await Promise.all([normal.close(), full.close()]);
    }
    // The file on disk is in WAL mode for every later connection too.
    const raw = new Database(file);
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    raw.close();
  });

  it('commits the writes of one event-loop turn together, and a failing one fails alone', async () => {
    const storage = openSqliteStorage({ filename: tmp.file('batch.db') });
    await storage.migrate();
    const record = (id: string) => ({ id, clientId: 'app', userId: undefined, scopes: ['read'], expiresAt: Date.now() + 60_000, familyId: undefined });
    try {
      const results = await Promise.allSettled([
        storage.accessTokens.save(record('a')),
        storage.accessTokens.save(record('a')), // duplicate id: a constraint error
        storage.accessTokens.save(record('b')),
      ]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect(await storage.accessTokens.find('a')).toBeDefined();
      expect(await storage.accessTokens.find('b')).toBeDefined();
      // Committed, not just done in a transaction that is still open: another connection sees them.
      const other = new Database(tmp.file('batch.db'), { readonly: true });
      expect(other.prepare('SELECT COUNT(*) FROM grantry_access_tokens').pluck().get()).toBe(2);
      other.close();
    } finally {
      await storage.close();
    }
  });

  it.each([[{}], [{ filename: '' }], [{ filename: 'x.db', synchronous: 'off' }]])('refuses bad options %j with a TypeError', (options) => {
    expect(() => openSqliteStorage(options as never)).toThrow(TypeError);
  });

  it('refuses a PostgreSQL schema that is not a plain identifier, and a missing connection string', () => {
    expect(() => openPostgresStorage({ connectionString: 'postgres://x', schema: 'a"; DROP TABLE x; --' })).toThrow(TypeError);
    expect(() => openPostgresStorage({})).toThrow(TypeError);
  });
});

describe('memory storage stays bounded', () => {
  it('sweeps expired records every autoCleanupEvery saves', async () => {
    const clock = testClock();
    const storage = createMemoryStorage({}, { clock, autoCleanupEvery: 100 });
    for (let i = 0; i < 1000; i++) {
      await storage.accessTokens.save({ id: `at-${i}`, clientId: 'app', userId: undefined, scopes: [], expiresAt: clock.now() + 1000, familyId: undefined });
      clock.advance(2);
    }
    expect(storage.accessTokens.records.size).toBeLessThanOrEqual(100);
    expect(await storage.accessTokens.find('at-999')).toBeDefined();
  });

  it('sweeps short-lived records that were saved behind long-lived ones (the periodic full sweep)', async () => {
    const clock = testClock();
    const storage = createMemoryStorage({}, { clock, autoCleanupEvery: 50 });
    // 300 long-lived records first: a sweep that stopped at the first live record would never reach what follows.
    for (let i = 0; i < 300; i++) await storage.refreshTokens.save({ id: `rt-${i}`, familyId: `f-${i}`, clientId: 'app', userId: 'u', scopes: [], expiresAt: clock.now() + 86_400_000, accessTokenId: undefined });
    for (let i = 0; i < 5000; i++) {
      await storage.refreshTokens.save({ id: `short-${i}`, familyId: `s-${i}`, clientId: 'app', userId: 'u', scopes: [], expiresAt: clock.now() + 1000, accessTokenId: undefined });
      clock.advance(2);
    }
    const records = [...storage.refreshTokens.records.keys()];
    // Every long-lived record is kept; of the 5,000 short-lived ones at most those of the last full sweep's period
    // (8 sweeps of 50 saves) and the live ones remain.
    expect(records.filter((id) => id.startsWith('rt-'))).toHaveLength(300);
    expect(records.filter((id) => id.startsWith('short-')).length).toBeLessThanOrEqual(8 * 50 + 500);
    expect(await storage.refreshTokens.find('short-4999')).toBeDefined();
    // cleanup() still walks everything: after the last short-lived record expires, only the long-lived ones are left.
    clock.advance(2);
    await storage.cleanup();
    expect(storage.refreshTokens.records.size).toBe(300);
  });
});

const engines: { name: string; skip?: string | undefined; open: () => Promise<{ storage: ManagedStorage; drop: () => Promise<void> }> }[] = [
  { name: 'memory', open: async () => ({ storage: createMemoryStorage(), drop: async () => undefined }) },
  {
    name: 'SQLite',
    open: async () => {
      const storage = openSqliteStorage({ filename: tmp.file('live.db') });
      await storage.migrate();
      return { storage, drop: () => storage.close() };
    },
  },
  {
    name: 'PostgreSQL',
    skip: PG_SKIP,
    open: async () => {
      const { storage, schema } = await openTestPostgres();
      return { storage, drop: async () => (await storage.close(), await dropSchema(schema)) };
    },
  },
];

describe.each(engines)('a running server on $name storage sees admin changes at once', ({ open, skip }) => {
  let storage: ManagedStorage;
  let drop: () => Promise<void>;
  let server: AuthorizationServer;
  beforeAll(async () => {
    if (skip) return;
    ({ storage, drop } = await open());
    server = new AuthorizationServer({ clients: storage.clients, accessTokens: storage.accessTokens, scopes: storage.scopes, privateKey: privateKeyPem, encryptionKey, issuer: ISSUER });
    server.enableGrantType(new ClientCredentialsGrant(), 'PT1H');
    server.enableGrantType(new RefreshTokenGrant(storage.refreshTokens), 'PT1H');
  });
  afterAll(async () => drop?.());

  // 32+ characters: shorter chosen secrets are stored under a slow hash, which these tests do not need.
  const SECRET_ONE = 'secret-one-'.padEnd(40, '1');
  const SECRET_TWO = 'secret-two-'.padEnd(40, '2');
  const request = (secret: string) => server.handleTokenRequest(tokenRequest({ grant_type: 'client_credentials' }, { authorization: basic('svc', secret) }));

  it('authenticates a client created, re-keyed and deleted while it runs (RFC 6749 §2.3.1)', async (t) => {
    if (skip) return t.skip(skip);
    expect((await request(SECRET_ONE)).status).toBe(401);
    const client = { id: 'svc', name: 'Service', secretHash: await hashClientSecret(SECRET_ONE), redirectUris: [], grantTypes: ['client_credentials'], scopes: [] };
    await storage.admin.createClient(client);
    expect((await request(SECRET_ONE)).status).toBe(200);
    await storage.admin.updateClient({ ...client, secretHash: await hashClientSecret(SECRET_TWO) });
    expect((await request(SECRET_ONE)).status).toBe(401);
    expect((await request(SECRET_TWO)).status).toBe(200);
    await storage.admin.deleteClient('svc');
    const gone = await request(SECRET_TWO);
    expect(gone.status).toBe(401);
    expect(await gone.json()).toMatchObject({ error: 'invalid_client' });
  });

  it('revokes the access token a rotation replaces, and stores the new pair (RFC 9700 §4.14.2)', async (t) => {
    if (skip) return t.skip(skip);
    const client = { id: 'rot', name: 'Rotating', secretHash: await hashClientSecret(SECRET_ONE), redirectUris: [], grantTypes: ['refresh_token'], scopes: [] };
    await storage.admin.createClient(client);
    const ctx = await server.context();
    const first = await issueTokens(
      { server: ctx, client, accessTokenTTL: 3600 },
      { userId: 'u', scopes: [], grantType: 'password', refresh: { repository: storage.refreshTokens, ttl: 3600, scopes: [] } },
    );
    const response = await server.handleTokenRequest(
      tokenRequest({ grant_type: 'refresh_token', refresh_token: first.refresh_token! }, { authorization: basic('rot', SECRET_ONE) }),
    );
    expect(response.status).toBe(200);
    const second = (await response.json()) as { access_token: string };
    expect(await storage.accessTokens.isRevoked(jtiOf(first.access_token))).toBe(true);
    expect(await storage.accessTokens.find(jtiOf(second.access_token))).toMatchObject({ revoked: false });
  });
});
