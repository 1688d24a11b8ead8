import { randomBytes } from 'node:crypto';
import { decodeJwt } from 'jose';
import { describe, expect, it } from 'vitest';
import { RefreshTokenGrant } from '../../src/grants/refresh-token-grant.js';
import { issueTokens } from '../../src/grants/issue-tokens.js';
import type { RefreshTokenRepository } from '../../src/contracts/repositories.js';
import {
  basic,
  CLIENT_SECRET,
  createTestServer,
  mintTokens,
  refreshRequest,
  serverOn,
  tokenRequest,
  type TestServer,
} from '../support/fixtures.js';

async function refresh(t: TestServer, token: string, extra: Record<string, string> = {}) {
  const res = await t.server.handleTokenRequest(refreshRequest(token, extra));
  return { res, body: (await res.json()) as Record<string, unknown> };
}

function expectError(res: Response, body: Record<string, unknown>, status: number, error: string) {
  expect({ status: res.status, error: body.error }).toEqual({ status, error });
  expect(res.headers.get('cache-control')).toBe('no-store');
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
}

describe('refresh token grant (RFC 6749 §6)', () => {
  it('answers a new token pair with Bearer type, expires_in and the granted scope (RFC 6749 §5.1)', async () => {
    const t = await createTestServer();
    const minted = await mintTokens(t);
    const { res, body } = await refresh(t, minted.refresh_token!);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('pragma')).toBe('no-cache');
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: 'read write' });
    expect(typeof body.access_token).toBe('string');
    expect(body.refresh_token).not.toBe(minted.refresh_token);
    expect(decodeJwt(body.access_token as string)).toMatchObject({ sub: 'user-1', client_id: 'app', scope: 'read write' });
  });

  it('requires the refresh_token parameter (invalid_request)', async () => {
    const t = await createTestServer();
    const res = await t.server.handleTokenRequest(
      tokenRequest({ grant_type: 'refresh_token' }, { authorization: basic('app', CLIENT_SECRET) }),
    );
    expectError(res, await res.json(), 400, 'invalid_request');
  });

  it.each([
    ['garbage', 'not-a-token'],
    ['a JWT instead of a sealed token', 'eyJhbGciOiJub25lIn0.eyJ9.'],
    ['five empty parts', '....'],
    ['a huge value', 'a'.repeat(10_000)],
  ])('refuses a malformed token (%s) with invalid_grant', async (_, token) => {
    const t = await createTestServer();
    const { res, body } = await refresh(t, token);
    expectError(res, body, 400, 'invalid_grant');
  });

  it('refuses a tampered token with invalid_grant, and the genuine one still works', async () => {
    const t = await createTestServer();
    const minted = await mintTokens(t);
    const parts = minted.refresh_token!.split('.');
    const ct = parts[3]!;
    parts[3] = (ct[0] === 'A' ? 'B' : 'A') + ct.slice(1);
    const tampered = await refresh(t, parts.join('.'));
    expectError(tampered.res, tampered.body, 400, 'invalid_grant');
    expect((await refresh(t, minted.refresh_token!)).res.status).toBe(200);
  });

  it('refuses a token sealed with another server key (invalid_grant)', async () => {
    const foreign = await createTestServer({ encryptionKey: randomBytes(32).toString('base64') });
    const minted = await mintTokens(foreign);
    const t = await createTestServer();
    const { res, body } = await refresh(t, minted.refresh_token!);
    expectError(res, body, 400, 'invalid_grant');
  });

  it('refuses a token issued to another client and leaves it usable by its owner (RFC 6749 §6)', async () => {
    const t = await createTestServer();
    const minted = await mintTokens(t, 'other');
    const rejected: unknown[] = [];
    t.server.events.on('refresh_token.rejected', (e) => rejected.push(e));
    const { res, body } = await refresh(t, minted.refresh_token!);
    expectError(res, body, 400, 'invalid_grant');
    expect(rejected).toEqual([{ reason: 'foreign_client', clientId: 'app' }]);
    const own = await t.server.handleTokenRequest(
      tokenRequest({ grant_type: 'refresh_token', refresh_token: minted.refresh_token! }, { authorization: basic('other', CLIENT_SECRET) }),
    );
    expect(own.status).toBe(200);
  });

  it('refuses an expired token with invalid_grant', async () => {
    const t = await createTestServer();
    const minted = await mintTokens(t);
    t.clock.advance(30 * 86400 + 1);
    const { res, body } = await refresh(t, minted.refresh_token!);
    expectError(res, body, 400, 'invalid_grant');
  });

  it('refuses a revoked token with invalid_grant', async () => {
    const t = await createTestServer();
    const minted = await mintTokens(t);
    const ctx = await t.server.context();
    const opened = await ctx.refreshTokenCodec.open(minted.refresh_token!);
    const record = await t.storage.refreshTokens.find(opened!.id);
    await t.storage.refreshTokens.revokeFamily(record!.familyId);
    const { res, body } = await refresh(t, minted.refresh_token!);
    expectError(res, body, 400, 'invalid_grant');
  });

  it('narrows the scope of the access token but keeps the original scope in the new refresh token (RFC 6749 §6)', async () => {
    const t = await createTestServer();
    const minted = await mintTokens(t);
    const narrowed = await refresh(t, minted.refresh_token!, { scope: 'read' });
    expect(narrowed.res.status).toBe(200);
    expect(narrowed.body.scope).toBe('read');
    expect(decodeJwt(narrowed.body.access_token as string).scope).toBe('read');
    // The original grant survives rotation: the next refresh without scope gets all of it back.
    const full = await refresh(t, narrowed.body.refresh_token as string);
    expect(full.res.status).toBe(200);
    expect(full.body.scope).toBe('read write');
    expect(decodeJwt(full.body.access_token as string).scope).toBe('read write');
  });

  it.each([['read admin'], ['admin'], ['read  write'], ['"quoted"']])(
    'refuses a widened or malformed scope %j with invalid_scope (RFC 6749 §6, §3.3)',
    async (scope) => {
      const t = await createTestServer();
      const minted = await mintTokens(t);
      const { res, body } = await refresh(t, minted.refresh_token!, { scope });
      expectError(res, body, 400, 'invalid_scope');
    },
  );

  it('lets finalizeScopes narrow the scopes but never widen them', async () => {
    const t = await createTestServer();
    const seen: unknown[] = [];
    t.storage.scopes.finalizeScopes = async (scopes, ctx) => {
      seen.push({ grantType: ctx.grantType, client: ctx.client.id, user: ctx.userId });
      return [...scopes.filter((s) => s !== 'write'), 'admin'];
    };
    const minted = await mintTokens(t);
    const { body } = await refresh(t, minted.refresh_token!);
    expect(body.scope).toBe('read');
    expect(seen).toEqual([{ grantType: 'refresh_token', client: 'app', user: 'user-1' }]);
  });

  it('rotates: the used refresh token no longer works and its access token is revoked', async () => {
    const t = await createTestServer();
    const minted = await mintTokens(t);
    const first = await refresh(t, minted.refresh_token!);
    expect(first.res.status).toBe(200);
    const oldJti = decodeJwt(minted.access_token).jti!;
    expect(await t.storage.accessTokens.isRevoked(oldJti)).toBe(true);
    const again = await refresh(t, minted.refresh_token!);
    expectError(again.res, again.body, 400, 'invalid_grant');
  });

  it('detects reuse of a rotated token and revokes the whole family, the newest token included (RFC 9700 §4.14.2)', async () => {
    const t = await createTestServer();
    const reuse: unknown[] = [];
    t.server.events.on('refresh_token.reuse_detected', (e) => reuse.push(e));
    const minted = await mintTokens(t);
    const second = await refresh(t, minted.refresh_token!);
    const third = await refresh(t, second.body.refresh_token as string);
    expect(third.res.status).toBe(200);

    const replay = await refresh(t, minted.refresh_token!);
    expectError(replay.res, replay.body, 400, 'invalid_grant');
    expect(reuse).toHaveLength(1);
    expect(reuse[0]).toMatchObject({ clientId: 'app' });

    const newest = await refresh(t, third.body.refresh_token as string);
    expectError(newest.res, newest.body, 400, 'invalid_grant');
    expect(await t.storage.accessTokens.isRevoked(decodeJwt(third.body.access_token as string).jti!)).toBe(true);
  });

  it('serves exactly one of 50 simultaneous refreshes of one token; the rest are invalid_grant', async () => {
    const t = await createTestServer();
    const minted = await mintTokens(t);
    const results = await Promise.all(Array.from({ length: 50 }, () => refresh(t, minted.refresh_token!)));
    const ok = results.filter((r) => r.res.status === 200);
    expect(ok).toHaveLength(1);
    for (const r of results.filter((x) => x.res.status !== 200)) expectError(r.res, r.body, 400, 'invalid_grant');
  });

  it('lets a public client refresh with its client_id alone', async () => {
    const t = await createTestServer();
    const minted = await mintTokens(t, 'spa');
    const res = await t.server.handleTokenRequest(
      tokenRequest({ grant_type: 'refresh_token', refresh_token: minted.refresh_token!, client_id: 'spa' }),
    );
    expect(res.status).toBe(200);
  });

  it('refuses a client not registered for the refresh_token grant with unauthorized_client (RFC 6749 §5.2)', async () => {
    const t = await createTestServer();
    const app = (await t.storage.clients.getClient('app'))!;
    t.storage.clients.clients.set('app', { ...app, grantTypes: ['client_credentials'] });
    const minted = await mintTokens(t);
    const { res, body } = await refresh(t, minted.refresh_token!);
    expectError(res, body, 400, 'unauthorized_client');
  });

  it('without rotation, issues only an access token and the refresh token stays usable', async () => {
    const t = await createTestServer();
    const server = serverOn(t.storage, t.clock).enableGrantType(new RefreshTokenGrant(t.storage.refreshTokens, { rotate: false }), 60);
    const minted = await mintTokens(t);
    for (let i = 0; i < 2; i++) {
      const res = await server.handleTokenRequest(refreshRequest(minted.refresh_token!));
      const body = await res.json();
      expect(res.status).toBe(200);
      expect(body.refresh_token).toBeUndefined();
      expect(body.expires_in).toBe(60);
    }
  });

  it('works the same with opaque refresh tokens, stored only as their hash', async () => {
    const t = await createTestServer({ tokenFormat: 'opaque' });
    const minted = await mintTokens(t);
    expect(minted.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await t.storage.refreshTokens.find(minted.refresh_token!)).toBeUndefined();
    const first = await refresh(t, minted.refresh_token!);
    expect(first.res.status).toBe(200);
    const replay = await refresh(t, minted.refresh_token!);
    expectError(replay.res, replay.body, 400, 'invalid_grant');
    const newest = await refresh(t, first.body.refresh_token as string);
    expectError(newest.res, newest.body, 400, 'invalid_grant');
  });

  it('refuses an opaque token presented by another client and revokes its family as stolen', async () => {
    const t = await createTestServer({ tokenFormat: 'opaque' });
    const minted = await mintTokens(t, 'other');
    const { res, body } = await refresh(t, minted.refresh_token!);
    expectError(res, body, 400, 'invalid_grant');
  });

  it('answers server_error without details when storage fails, and logs the cause', async () => {
    const t = await createTestServer();
    const logged: unknown[] = [];
    const broken: RefreshTokenRepository = {
      save: (r) => t.storage.refreshTokens.save(r),
      find: (id) => t.storage.refreshTokens.find(id),
      revoke: (id) => t.storage.refreshTokens.revoke(id),
      revokeFamily: (id) => t.storage.refreshTokens.revokeFamily(id),
      consume: () => Promise.reject(new Error('database is on fire: secret=xyz')),
    };
    const server = serverOn(t.storage, t.clock, { logger: { error: (m, d) => logged.push([m, d]) } })
      .enableGrantType(new RefreshTokenGrant(broken));
    const minted = await mintTokens(t);
    const res = await server.handleTokenRequest(refreshRequest(minted.refresh_token!));
    const text = await res.text();
    expect(res.status).toBe(500);
    expect(JSON.parse(text).error).toBe('server_error');
    expect(text).not.toContain('fire');
    expect(JSON.stringify(logged)).toContain('database is on fire');
  });

  it('issues refresh tokens that survive a restart of the server object (same keys, same storage)', async () => {
    const t = await createTestServer();
    const ctx = await t.server.context();
    const client = (await t.storage.clients.getClient('app'))!;
    const body = await issueTokens(
      { server: ctx, client, accessTokenTTL: 60 },
      { userId: 'u', scopes: ['read'], grantType: 'password', refresh: { repository: t.storage.refreshTokens, ttl: 600, scopes: ['read'] } },
    );
    const restarted = serverOn(t.storage, t.clock).enableGrantType(new RefreshTokenGrant(t.storage.refreshTokens));
    expect((await restarted.handleTokenRequest(refreshRequest(body.refresh_token!))).status).toBe(200);
  });
});
