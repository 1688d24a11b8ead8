import { describe, expect, it } from 'vitest';
import type { User } from '../../src/contracts/types.js';
import { RefreshTokenGrant, type RefreshTokenGrantOptions } from '../../src/grants/refresh-token-grant.js';
import { issueTokens } from '../../src/grants/issue-tokens.js';
import { createMemoryStorage } from '../../src/storage/memory/index.js';
import { confidentialClient, refreshRequest, serverOn, testClock } from '../support/fixtures.js';

// Issue 11: a refresh re-validates what it grants, before the token is spent.

async function setUp(options: RefreshTokenGrantOptions = {}) {
  const clock = testClock();
  const storage = createMemoryStorage(
    { clients: [await confidentialClient()], scopes: ['read', 'write'], users: [{ id: 'user-1', username: 'alice', password: 'x' }] },
    { clock },
  );
  const server = serverOn(storage, clock);
  server.enableGrantType(new RefreshTokenGrant(storage.refreshTokens, { users: storage.users, ...options }), 'PT1H');
  const reasons: string[] = [];
  server.events.on('refresh_token.rejected', ({ reason }) => reasons.push(reason));
  const mint = async (authTime?: number) => {
    const ctx = await server.context();
    const client = (await storage.clients.getClient('app'))!;
    const refresh = { repository: storage.refreshTokens, ttl: 30 * 86400, scopes: ['read', 'write'], ...(authTime === undefined ? {} : { authTime }) };
    return (await issueTokens({ server: ctx, client, accessTokenTTL: 3600 }, { userId: 'user-1', scopes: ['read', 'write'], grantType: 'password', refresh })).refresh_token!;
  };
  const refresh = async (token: string, extra: Record<string, string> = {}) => {
    const res = await server.handleTokenRequest(refreshRequest(token, extra));
    return { status: res.status, cacheControl: res.headers.get('cache-control'), body: (await res.json()) as Record<string, string> };
  };
  return { clock, storage, server, reasons, mint, refresh };
}

describe('refresh re-validates the user (issue 11)', () => {
  it('refuses a user who no longer exists with invalid_grant, without spending the token', async () => {
    const t = await setUp();
    const token = await t.mint();
    const alice = t.storage.users.users.get('user-1')!;
    t.storage.users.users.delete('user-1'); // gone from the directory, not through the admin
    expect(await t.refresh(token)).toMatchObject({ status: 400, cacheControl: 'no-store', body: { error: 'invalid_grant' } });
    expect(t.reasons).toEqual(['user_inactive']);
    t.storage.users.users.set('user-1', alice);
    expect((await t.refresh(token)).status).toBe(200); // not spent: no reuse detected
  });

  it('refuses a user the isUserActive hook says is disabled', async () => {
    const disabled = new Set<string>(['user-1']);
    const t = await setUp({ isUserActive: (user: User) => !disabled.has(user.id) });
    const token = await t.mint();
    expect(await t.refresh(token)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    disabled.clear();
    expect((await t.refresh(token)).status).toBe(200);
  });

  it('refuses isUserActive without a users repository at construction (TypeError)', () => {
    expect(() => new RefreshTokenGrant(createMemoryStorage().refreshTokens, { isUserActive: () => true })).toThrow(TypeError);
  });
});

describe('refresh re-validates the granted scopes (issue 11)', () => {
  it('refuses a grant holding a scope the server no longer knows, unless the request narrows to known ones', async () => {
    const t = await setUp();
    const token = await t.mint();
    t.storage.scopes.scopes.delete('write');
    expect(await t.refresh(token)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect(t.reasons).toEqual(['scope_withdrawn']);
    const narrowed = await t.refresh(token, { scope: 'read' });
    expect(narrowed).toMatchObject({ status: 200, body: { scope: 'read' } });
  });
});

describe('absolute lifetime of a refresh family (issue 11)', () => {
  it('caps a rotated token at the family end: expiry = min(now + TTL, start + absolute lifetime)', async () => {
    const t = await setUp({ refreshTokenTTL: 'P1D', refreshTokenAbsoluteTTL: 'P2D' });
    const start = t.clock.now();
    const first = await t.mint(start);
    t.clock.advance(36 * 3600);
    const rotated = await t.refresh(first);
    expect(rotated.status).toBe(200);
    const newest = [...t.storage.refreshTokens.records.values()].find((r) => !r.consumed)!;
    expect(newest.authTime).toBe(start);
    expect(newest.expiresAt).toBe(start + 2 * 86400_000); // not now + 1 day
    t.clock.advance(12 * 3600);
    expect(await t.refresh(rotated.body.refresh_token!)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });

  it('starts the clock at the next rotation for a record saved before the family start was stored', async () => {
    const t = await setUp({ refreshTokenAbsoluteTTL: 'P2D' });
    const legacy = await t.mint();
    const [id, record] = [...t.storage.refreshTokens.records.entries()][0]!;
    const { authTime: _, ...withoutStart } = record;
    t.storage.refreshTokens.records.set(id, withoutStart);
    t.clock.advance(3 * 86400); // older than the absolute lifetime, but its start is unknown
    const rotated = await t.refresh(legacy);
    expect(rotated.status).toBe(200);
    const newest = [...t.storage.refreshTokens.records.values()].find((r) => !r.consumed)!;
    expect(newest.authTime).toBe(t.clock.now());
  });
});
