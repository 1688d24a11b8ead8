import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthorizationServer } from '../../src/core/authorization-server.js';
import type { Client } from '../../src/contracts/types.js';
import { issueTokens } from '../../src/grants/issue-tokens.js';
import { RefreshTokenGrant } from '../../src/grants/refresh-token-grant.js';
import type { ManagedStorage } from '../../src/storage/managed-storage.js';
import { createMemoryStorage } from '../../src/storage/memory/index.js';
import { openSqliteStorage } from '../../src/storage/sqlite/index.js';
import { confidentialClient, refreshRequest, serverOn, testClock } from '../support/fixtures.js';
import { dropSchema, openTestPostgres, PG_SKIP } from './support/postgres.js';
import { tempDir } from './support/temp-sqlite.js';
import { jtiOf } from './support/test-deployment.js';

const GRACE = 10;
const tmp = tempDir();
afterAll(() => tmp.remove());

interface Pair {
  access_token: string;
  refresh_token: string;
}

const engines: { name: string; skip?: string | undefined; open: () => Promise<{ storage: ManagedStorage; drop: () => Promise<void> }> }[] = [
  { name: 'memory', open: async () => ({ storage: createMemoryStorage(), drop: async () => undefined }) },
  {
    name: 'SQLite',
    open: async () => {
      const storage = openSqliteStorage({ filename: tmp.file('grace.db') });
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

describe.each(engines)('the refresh reuse grace window on $name storage (RFC 9700 §4.14.2)', ({ open, skip }) => {
  const clock = testClock();
  let storage: ManagedStorage;
  let drop: () => Promise<void>;
  let client: Client;
  /** Grace on (10 s) and off, on the same storage. */
  let graceful: AuthorizationServer;
  let strict: AuthorizationServer;

  beforeAll(async () => {
    if (skip) return;
    ({ storage, drop } = await open());
    client = await confidentialClient();
    await storage.admin.createClient(client);
    graceful = serverOn(storage, clock);
    graceful.enableGrantType(new RefreshTokenGrant(storage.refreshTokens, { reuseGraceSeconds: GRACE }), 'PT1H');
    strict = serverOn(storage, clock);
    strict.enableGrantType(new RefreshTokenGrant(storage.refreshTokens), 'PT1H');
  });
  afterAll(async () => drop?.());

  const mint = async (): Promise<Pair> => {
    const ctx = await graceful.context();
    const body = await issueTokens(
      { server: ctx, client, accessTokenTTL: 3600 },
      { userId: 'user-1', scopes: [], grantType: 'password', refresh: { repository: storage.refreshTokens, ttl: 86400, scopes: [] } },
    );
    return body as Pair;
  };
  const refresh = async (server: AuthorizationServer, token: string): Promise<{ status: number; body: Pair & { error?: string } }> => {
    const response = await server.handleTokenRequest(refreshRequest(token));
    return { status: response.status, body: (await response.json()) as Pair & { error?: string } };
  };
  const accessRevoked = (pair: Pair): Promise<boolean> => storage.accessTokens.isRevoked(jtiOf(pair.access_token));

  it('answers a retry within the window with a new pair, revokes the first answer, and the family lives on', async (t) => {
    if (skip) return t.skip(skip);
    const start = await mint();
    const first = await refresh(graceful, start.refresh_token);
    expect(first.status).toBe(200);
    clock.advance(GRACE - 1); // the client never saw `first` and retries
    const retry = await refresh(graceful, start.refresh_token);
    expect(retry.status).toBe(200);
    // The first answer gave way: its refresh token is revoked (without touching the family), its access token too.
    expect(await accessRevoked(first.body)).toBe(true);
    expect(await refresh(graceful, first.body.refresh_token)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect(await accessRevoked(retry.body)).toBe(false);
    const next = await refresh(graceful, retry.body.refresh_token);
    expect(next.status).toBe(200);
    expect(await accessRevoked(next.body)).toBe(false);
  });

  it('treats a presentation after the window as reuse and revokes the family', async (t) => {
    if (skip) return t.skip(skip);
    const start = await mint();
    const first = await refresh(graceful, start.refresh_token);
    expect(first.status).toBe(200);
    clock.advance(GRACE);
    expect(await refresh(graceful, start.refresh_token)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect(await accessRevoked(first.body)).toBe(true);
    expect(await refresh(graceful, first.body.refresh_token)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });

  it('treats a presentation within the window as reuse once the new token has been used', async (t) => {
    if (skip) return t.skip(skip);
    const start = await mint();
    const first = await refresh(graceful, start.refresh_token);
    const second = await refresh(graceful, first.body.refresh_token);
    expect(second.status).toBe(200);
    clock.advance(1);
    expect(await refresh(graceful, start.refresh_token)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect(await accessRevoked(second.body)).toBe(true);
    expect(await refresh(graceful, second.body.refresh_token)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });

  it('without the window, yields exactly one new pair from 50 concurrent uses and revokes the family', async (t) => {
    if (skip) return t.skip(skip);
    const start = await mint();
    const results = await Promise.all(Array.from({ length: 50 }, () => refresh(strict, start.refresh_token)));
    const ok = results.filter((r) => r.status === 200);
    expect(ok).toHaveLength(1);
    expect(results.filter((r) => r.status === 400 && r.body.error === 'invalid_grant')).toHaveLength(49);
    // The 49 others were reuse: the one new pair is revoked with its family.
    expect(await accessRevoked(ok[0]!.body)).toBe(true);
  });

  it('within the window, leaves exactly one working pair however many of 50 concurrent uses were answered', async (t) => {
    if (skip) return t.skip(skip);
    const start = await mint();
    const results = await Promise.all(Array.from({ length: 50 }, () => refresh(graceful, start.refresh_token)));
    const answered = results.filter((r) => r.status === 200).map((r) => r.body);
    expect(answered.length).toBeGreaterThanOrEqual(1);
    const liveAccess = (await Promise.all(answered.map(accessRevoked))).filter((revoked) => !revoked);
    expect(liveAccess).toHaveLength(1);
    const uses = [];
    for (const pair of answered) uses.push((await refresh(graceful, pair.refresh_token)).status);
    expect(uses.filter((status) => status === 200)).toHaveLength(1);
  });
});
