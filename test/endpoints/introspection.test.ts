import { describe, expect, it } from 'vitest';
import { signJwt } from '../../src/tokens/jwt.js';
import { SigningKeySet } from '../../src/tokens/signing-key-set.js';
import { loadCryptoBackend } from '../../src/tokens/crypto/crypto-backend.js';
import { generateKeyPairSync } from 'node:crypto';
import { basic, CLIENT_SECRET, ISSUER, mintTokens, refreshRequest, type TestServer } from '../support/fixtures.js';
import { asOther, createEndpointServer, formPost } from './support.js';

const introspect = (t: TestServer, params: Record<string, string>, headers?: Record<string, string>) =>
  t.server.handleIntrospectionRequest(formPost('/introspect', params, headers));

async function bodyOf(res: Response): Promise<Record<string, unknown>> {
  expect(res.status).toBe(200);
  expect(res.headers.get('cache-control')).toBe('no-store');
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  return (await res.json()) as Record<string, unknown>;
}

describe('introspection endpoint (RFC 7662)', () => {
  it('reports an active access token with the RFC 7662 §2.2 members', async () => {
    const t = await createEndpointServer();
    const minted = await mintTokens(t, 'app', ['read', 'write']);
    const body = await bodyOf(await introspect(t, { token: minted.access_token }));
    const iat = Math.floor(t.clock.now() / 1000);
    expect(body).toEqual({
      active: true,
      scope: 'read write',
      client_id: 'app',
      username: 'alice',
      token_type: 'Bearer',
      exp: iat + 3600,
      iat,
      sub: 'user-1',
      aud: ISSUER,
      iss: ISSUER,
      jti: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
    });
  });

  it('reports an active refresh token with its grant scope, client, user and expiry', async () => {
    const t = await createEndpointServer();
    const minted = await mintTokens(t, 'app', ['read']);
    const body = await bodyOf(await introspect(t, { token: minted.refresh_token!, token_type_hint: 'refresh_token' }));
    expect(body).toEqual({
      active: true,
      scope: 'read',
      client_id: 'app',
      username: 'alice',
      exp: Math.floor(t.clock.now() / 1000) + 30 * 86400,
      sub: 'user-1',
      iss: ISSUER,
    });
  });

  it('omits username when the server has no user repository', async () => {
    const t = await createEndpointServer({ users: undefined as never });
    const minted = await mintTokens(t);
    const body = await bodyOf(await introspect(t, { token: minted.access_token }));
    expect(body.active).toBe(true);
    expect(body).not.toHaveProperty('username');
  });

  it.each([
    ['access_token', 'refresh_token'],
    ['refresh_token', 'access_token'],
  ] as const)('finds a %s hinted as %s: the hint is only a hint (RFC 7662 §2.1)', async (which, hint) => {
    const t = await createEndpointServer();
    const minted = await mintTokens(t);
    const token = which === 'access_token' ? minted.access_token : minted.refresh_token!;
    expect((await bodyOf(await introspect(t, { token, token_type_hint: hint }))).active).toBe(true);
  });

  it("lets a resource server registered as another client with the introspect permission introspect the token (RFC 7662 §2.1, §4)", async () => {
    const t = await createEndpointServer();
    const other = (await t.storage.clients.getClient('other'))!;
    t.storage.clients.clients.set('other', { ...other, permissions: ['introspect'] });
    const minted = await mintTokens(t);
    const body = await bodyOf(await introspect(t, { token: minted.access_token }, asOther));
    expect(body).toMatchObject({ active: true, client_id: 'app' });
  });

  it('answers {"active": false} when the canIntrospect hook refuses the caller this token (RFC 7662 §2.2, §4)', async () => {
    const seen: string[] = [];
    const t = await createEndpointServer({
      canIntrospect: (caller, token) => {
        seen.push(`${caller.id}->${token.clientId}:${token.scopes.join(' ')}`);
        return caller.id === token.clientId;
      },
    });
    const minted = await mintTokens(t, 'app', ['read']);
    expect(await bodyOf(await introspect(t, { token: minted.access_token }, asOther))).toEqual({ active: false });
    expect((await bodyOf(await introspect(t, { token: minted.access_token }))).active).toBe(true);
    expect(seen).toEqual(['other->app:read', 'app->app:read']);
  });

  type Case = [string, (t: TestServer) => Promise<string>];
  const inactive: Case[] = [
    ['garbage', async () => 'not-a-token'],
    ['an expired access token', async (t) => {
      const minted = await mintTokens(t);
      t.clock.advance(3600);
      return minted.access_token;
    }],
    ['an expired refresh token', async (t) => {
      const minted = await mintTokens(t);
      t.clock.advance(30 * 86400);
      return minted.refresh_token!;
    }],
    ['a revoked access token', async (t) => {
      const minted = await mintTokens(t);
      await t.server.handleRevocationRequest(formPost('/revoke', { token: minted.access_token }));
      return minted.access_token;
    }],
    ['a refresh token used up by rotation', async (t) => {
      const minted = await mintTokens(t);
      expect((await t.server.handleTokenRequest(refreshRequest(minted.refresh_token!))).status).toBe(200);
      return minted.refresh_token!;
    }],
    ['the access token replaced by a refresh', async (t) => {
      const minted = await mintTokens(t);
      await t.server.handleTokenRequest(refreshRequest(minted.refresh_token!));
      return minted.access_token;
    }],
    ['an access token with a tampered payload', async (t) => {
      const [h, p, s] = (await mintTokens(t)).access_token.split('.');
      const claims = JSON.parse(Buffer.from(p!, 'base64url').toString());
      return [h, Buffer.from(JSON.stringify({ ...claims, scope: 'admin' })).toString('base64url'), s].join('.');
    }],
    ['an access token re-signed by a foreign key under the server key id', async (t) => {
      const minted = await mintTokens(t);
      const claims = JSON.parse(Buffer.from(minted.access_token.split('.')[1]!, 'base64url').toString());
      const { kid } = (await t.server.context()).signingKeys.active;
      const foreign = await SigningKeySet.load(await loadCryptoBackend(), [{ key: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey as never, kid, status: 'active' }]);
      return signJwt(foreign.active, claims, 'at+jwt');
    }],
    ['a signed access token this server has no record of', async (t) => {
      const key = (await t.server.context()).signingKeys.active;
      const now = Math.floor(t.clock.now() / 1000);
      return signJwt(key, { iss: ISSUER, sub: 'user-1', aud: ISSUER, client_id: 'app', iat: now, exp: now + 60, jti: 'unknown' }, 'at+jwt');
    }],
  ];
  it.each(inactive)('answers {"active": false} and nothing else for %s (RFC 7662 §2.2)', async (_name, make) => {
    const t = await createEndpointServer();
    const token = await make(t);
    expect(await bodyOf(await introspect(t, { token }))).toEqual({ active: false });
  });

  it('refuses a public client, which cannot authenticate, with 401 invalid_client (RFC 7662 §2.1)', async () => {
    const t = await createEndpointServer();
    const minted = await mintTokens(t, 'spa');
    const res = await introspect(t, { token: minted.access_token, client_id: 'spa' }, {});
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: 'invalid_client' });
  });

  it('refuses a wrong client secret with 401 invalid_client and a Basic challenge (RFC 7662 §2.3)', async () => {
    const t = await createEndpointServer();
    const res = await introspect(t, { token: 'x' }, { authorization: basic('app', 'nope') });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Basic /);
    expect(await res.json()).toMatchObject({ error: 'invalid_client' });
  });

  it('refuses a request without the token parameter with invalid_request (RFC 7662 §2.1 "token REQUIRED")', async () => {
    const t = await createEndpointServer();
    const res = await introspect(t, {});
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'invalid_request' });
  });

  it('accepts POST only (RFC 7662 §2.1)', async () => {
    const t = await createEndpointServer();
    const res = await t.server.handleIntrospectionRequest(new Request(`${ISSUER}/introspect`, { headers: { authorization: basic('app', CLIENT_SECRET) } }));
    expect(res.status).toBe(405);
  });
});
