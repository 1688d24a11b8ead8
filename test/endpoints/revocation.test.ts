import { describe, expect, it } from 'vitest';
import { ResourceServer } from '../../src/core/resource-server.js';
import { RefreshTokenGrant } from '../../src/grants/refresh-token-grant.js';
import { basic, CLIENT_SECRET, mintTokens, refreshRequest, serverOn, tokenRequest, type TestServer } from '../support/fixtures.js';
import { apiRequest, asOther, createEndpointServer, formPost } from './support.js';

const revoke = (t: TestServer, params: Record<string, string>, headers?: Record<string, string>) =>
  t.server.handleRevocationRequest(formPost('/revoke', params, headers));
const introspect = async (t: TestServer, token: string): Promise<Record<string, unknown>> =>
  (await t.server.handleIntrospectionRequest(formPost('/introspect', { token }))).json() as Promise<Record<string, unknown>>;
const refresh = (t: TestServer, token: string) => t.server.handleTokenRequest(refreshRequest(token));

async function expectRevokedOk(res: Response): Promise<void> {
  expect(res.status).toBe(200);
  expect(res.headers.get('cache-control')).toBe('no-store');
  expect(await res.text()).toBe('');
}

describe('revocation endpoint (RFC 7009)', () => {
  it('revokes a refresh token with 200 and ends its family: the refresh token and its access tokens stop working (RFC 7009 §2.1)', async () => {
    const t = await createEndpointServer();
    const first = await mintTokens(t);
    const rotated = await (await refresh(t, first.refresh_token!)).json();
    const rs = await ResourceServer.forAuthorizationServer(t.server);
    await rs.validateAuthenticatedRequest(apiRequest(rotated.access_token)); // live before

    await expectRevokedOk(await revoke(t, { token: rotated.refresh_token, token_type_hint: 'refresh_token' }));

    const again = await refresh(t, rotated.refresh_token);
    expect(again.status).toBe(400);
    expect((await again.json()).error).toBe('invalid_grant');
    expect(await introspect(t, rotated.access_token)).toEqual({ active: false });
    expect(await introspect(t, rotated.refresh_token)).toEqual({ active: false });
    const denied = await rs.validateAuthenticatedRequest(apiRequest(rotated.access_token)).catch((e: unknown) => e);
    const response = (denied as { toResponse(): Response }).toResponse();
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer error="invalid_token", error_description="The access token was revoked."');
  });

  it('revokes an opaque refresh token (tokenFormat: opaque) and its family the same way', async () => {
    const t = await createEndpointServer({ tokenFormat: 'opaque' });
    const minted = await mintTokens(t);
    expect(minted.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await introspect(t, minted.refresh_token!)).active).toBe(true);
    await expectRevokedOk(await revoke(t, { token: minted.refresh_token! }, asOther));
    expect((await introspect(t, minted.refresh_token!)).active).toBe(true);
    await expectRevokedOk(await revoke(t, { token: minted.refresh_token! }));
    expect(await introspect(t, minted.refresh_token!)).toEqual({ active: false });
    expect(await introspect(t, minted.access_token)).toEqual({ active: false });
  });

  it('revoking an older, already rotated refresh token of a family still ends the whole family', async () => {
    const t = await createEndpointServer();
    const first = await mintTokens(t);
    const rotated = await (await refresh(t, first.refresh_token!)).json();
    await expectRevokedOk(await revoke(t, { token: first.refresh_token! }));
    expect((await refresh(t, rotated.refresh_token)).status).toBe(400);
    expect(await introspect(t, rotated.access_token)).toEqual({ active: false });
  });

  it('emits token.revoked for a revoked token, and nothing for a token of another client', async () => {
    const t = await createEndpointServer();
    const events: unknown[] = [];
    t.server.events.on('token.revoked', (e) => events.push(e));
    const minted = await mintTokens(t);
    await revoke(t, { token: minted.refresh_token! }, asOther);
    expect(events).toEqual([]);
    await revoke(t, { token: minted.refresh_token! });
    expect(events).toEqual([{ type: 'refresh_token', id: expect.any(String), familyId: expect.any(String), clientId: 'app' }]);
  });

  it('revokes an access token alone: its refresh token keeps working (RFC 7009 §2.1 "MAY revoke the respective refresh token")', async () => {
    const t = await createEndpointServer();
    const minted = await mintTokens(t);
    await expectRevokedOk(await revoke(t, { token: minted.access_token, token_type_hint: 'access_token' }));
    expect(await introspect(t, minted.access_token)).toEqual({ active: false });
    expect((await refresh(t, minted.refresh_token!)).status).toBe(200);
  });

  it.each([
    ['an access token hinted as a refresh token', 'access_token', 'refresh_token'],
    ['a refresh token hinted as an access token', 'refresh_token', 'access_token'],
    ['a token with an unknown hint value', 'refresh_token', 'id_token'],
  ] as const)('revokes %s: the hint is only a hint (RFC 7009 §2.1)', async (_name, which, hint) => {
    const t = await createEndpointServer();
    const minted = await mintTokens(t);
    const token = which === 'access_token' ? minted.access_token : minted.refresh_token!;
    await expectRevokedOk(await revoke(t, { token, token_type_hint: hint }));
    expect(await introspect(t, token)).toEqual({ active: false });
  });

  it.each([
    ['an unknown random string', 'not-a-token'],
    ['a JWT-shaped string', 'eyJhbGciOiJub25lIn0.eyJqdGkiOiJ4In0.'],
    ['a five-part JWE-shaped string', 'a..b.c.d'],
  ])('answers 200 for %s: invalid tokens do not cause an error (RFC 7009 §2.2)', async (_name, token) => {
    const t = await createEndpointServer();
    await expectRevokedOk(await revoke(t, { token }));
  });

  it('answers 200 when the token was already revoked (RFC 7009 §2.2)', async () => {
    const t = await createEndpointServer();
    const minted = await mintTokens(t);
    await expectRevokedOk(await revoke(t, { token: minted.refresh_token! }));
    await expectRevokedOk(await revoke(t, { token: minted.refresh_token! }));
  });

  it.each(['refresh_token', 'access_token'] as const)(
    "does not revoke another client's %s and answers it like an invalid token, 200 (RFC 7009 §2.1, §2.2)",
    async (which) => {
      const t = await createEndpointServer();
      const minted = await mintTokens(t);
      const token = which === 'access_token' ? minted.access_token : minted.refresh_token!;
      await expectRevokedOk(await revoke(t, { token }, asOther));
      expect((await introspect(t, token)).active).toBe(true);
    },
  );

  it('lets a public client revoke its own refresh token with its client_id (RFC 7009 §5)', async () => {
    const t = await createEndpointServer();
    const minted = await mintTokens(t, 'spa');
    await expectRevokedOk(await revoke(t, { token: minted.refresh_token!, client_id: 'spa' }, {}));
    const res = await t.server.handleTokenRequest(tokenRequest({ grant_type: 'refresh_token', refresh_token: minted.refresh_token!, client_id: 'spa' }));
    expect(res.status).toBe(400);
  });

  it('refuses a request without the token parameter with invalid_request (RFC 7009 §2.1 "token REQUIRED")', async () => {
    const t = await createEndpointServer();
    const res = await revoke(t, { token_type_hint: 'access_token' });
    expect(res.status).toBe(400);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toMatchObject({ error: 'invalid_request' });
  });

  it('refuses a client with a wrong secret with 401 invalid_client and a Basic challenge (RFC 7009 §2.2.1, RFC 6749 §5.2)', async () => {
    const t = await createEndpointServer();
    const minted = await mintTokens(t);
    const res = await revoke(t, { token: minted.refresh_token! }, { authorization: basic('app', 'wrong') });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Basic /);
    expect(await res.json()).toMatchObject({ error: 'invalid_client' });
    expect((await introspect(t, minted.refresh_token!)).active).toBe(true);
  });

  it('refuses a request without client credentials with 401 invalid_client', async () => {
    const t = await createEndpointServer();
    const res = await revoke(t, { token: 'x' }, {});
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: 'invalid_client' });
  });

  it('accepts POST only: GET is 405 with Allow (RFC 7009 §2.1)', async () => {
    const t = await createEndpointServer();
    const res = await t.server.handleRevocationRequest(new Request('https://auth.example.test/revoke?token=x', { headers: { authorization: basic('app', CLIENT_SECRET) } }));
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
  });

  it('finds refresh tokens through the refresh grant when the server was not given their repository', async () => {
    const t = await createEndpointServer();
    const server = serverOn(t.storage, t.clock);
    server.enableGrantType(new RefreshTokenGrant(t.storage.refreshTokens));
    const minted = await mintTokens(t);
    await expectRevokedOk(await server.handleRevocationRequest(formPost('/revoke', { token: minted.refresh_token! })));
    const again = await server.handleTokenRequest(refreshRequest(minted.refresh_token!));
    expect(again.status).toBe(400);
    expect((await again.json()).error).toBe('invalid_grant');
  });
});
