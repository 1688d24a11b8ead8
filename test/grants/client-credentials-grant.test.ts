import { describe, expect, it } from 'vitest';
import { ClientCredentialsGrant } from '../../src/grants/client-credentials-grant.js';
import { CLIENT_SECRET, basic, createTestServer, tokenRequest } from '../support/fixtures.js';

const claims = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;

async function setup(grant = new ClientCredentialsGrant()) {
  const t = await createTestServer();
  t.server.enableGrantType(grant, 'PT30M');
  const spa = (await t.storage.clients.getClient('spa'))!;
  t.storage.clients.clients.set('spa', { ...spa, grantTypes: [...spa.grantTypes, 'client_credentials'] });
  return t;
}

const ccRequest = (extra: Record<string, string> = {}, headers: Record<string, string> = { authorization: basic('app', CLIENT_SECRET) }) =>
  tokenRequest({ grant_type: 'client_credentials', ...extra }, headers);

async function expectError(res: Response, code: string, status = 400) {
  expect(((await res.json()) as { error: string }).error).toBe(code);
  expect(res.status).toBe(status);
}

describe('client credentials grant (RFC 6749 §4.4)', () => {
  it('issues an access token without a refresh token to an authenticated client (RFC 6749 §4.4.3)', async () => {
    const t = await setup();
    const res = await t.server.handleTokenRequest(ccRequest({ scope: 'read' }));
    const body = (await res.json()) as Record<string, unknown>;
    expect(res.status).toBe(200);
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 1800, scope: 'read' });
    expect(body.refresh_token).toBeUndefined();
    expect(res.headers.get('cache-control')).toBe('no-store');
  });

  it('gives the token a client subject that cannot be a user id (RFC 9068 §5)', async () => {
    const t = await setup();
    const body = (await (await t.server.handleTokenRequest(ccRequest())).json()) as { access_token: string };
    expect(claims(body.access_token)).toMatchObject({ sub: 'client:app', client_id: 'app' });
  });

  it('accepts client_secret_post authentication too (RFC 6749 §2.3.1)', async () => {
    const t = await setup();
    const res = await t.server.handleTokenRequest(ccRequest({ client_id: 'app', client_secret: CLIENT_SECRET }, {}));
    expect(res.status).toBe(200);
  });

  it('uses the default scopes when none are asked for (RFC 6749 §3.3)', async () => {
    const t = await setup();
    Object.assign(t.storage.scopes, { defaultScopes: async () => ['read'] });
    const body = (await (await t.server.handleTokenRequest(ccRequest())).json()) as { scope: string };
    expect(body.scope).toBe('read');
  });

  it('issues a refresh token only when configured to', async () => {
    const t = await createTestServer();
    t.server.enableGrantType(new ClientCredentialsGrant({ refreshTokens: t.storage.refreshTokens }));
    const body = (await (await t.server.handleTokenRequest(ccRequest())).json()) as { refresh_token?: string };
    expect(body.refresh_token).toBeTruthy();
  });

  it('issues no refresh token, even when configured to, to a client not registered for refresh_token (the rule of every grant)', async () => {
    const t = await createTestServer();
    t.server.enableGrantType(new ClientCredentialsGrant({ refreshTokens: t.storage.refreshTokens }));
    const app = (await t.storage.clients.getClient('app'))!;
    t.storage.clients.clients.set('app', { ...app, grantTypes: ['client_credentials'] });
    const res = await t.server.handleTokenRequest(ccRequest());
    expect(res.status).toBe(200);
    const body = (await res.json()) as { access_token?: string; refresh_token?: string };
    expect(body.access_token).toEqual(expect.any(String));
    expect(body.refresh_token).toBeUndefined();
  });

  it('refuses a public client with unauthorized_client: confidential clients only (RFC 6749 §4.4)', async () => {
    const t = await setup();
    await expectError(await t.server.handleTokenRequest(ccRequest({ client_id: 'spa' }, {})), 'unauthorized_client');
  });

  it('refuses a wrong secret with invalid_client 401 and WWW-Authenticate (RFC 6749 §5.2)', async () => {
    const t = await setup();
    const res = await t.server.handleTokenRequest(ccRequest({}, { authorization: basic('app', 'nope') }));
    expect(res.headers.get('www-authenticate')).toMatch(/^Basic/);
    await expectError(res, 'invalid_client', 401);
  });

  it('refuses a client not registered for the grant with unauthorized_client (RFC 6749 §5.2)', async () => {
    const t = await setup();
    const app = (await t.storage.clients.getClient('app'))!;
    t.storage.clients.clients.set('app', { ...app, grantTypes: ['authorization_code'] });
    await expectError(await t.server.handleTokenRequest(ccRequest()), 'unauthorized_client');
  });

  it.each([
    ['an unknown scope', 'read nuclear'],
    ['a malformed scope', 'read\\write'],
  ])('refuses %s with invalid_scope (RFC 6749 §5.2)', async (_name, scope) => {
    const t = await setup();
    await expectError(await t.server.handleTokenRequest(ccRequest({ scope })), 'invalid_scope');
  });

  it('refuses a scope outside the client registration with invalid_scope', async () => {
    const t = await setup();
    const app = (await t.storage.clients.getClient('app'))!;
    t.storage.clients.clients.set('app', { ...app, scopes: ['read'] });
    await expectError(await t.server.handleTokenRequest(ccRequest({ scope: 'read write' })), 'invalid_scope');
  });

  it('answers unsupported_grant_type while the grant is not enabled (RFC 6749 §5.2)', async () => {
    const t = await createTestServer();
    await expectError(await t.server.handleTokenRequest(ccRequest()), 'unsupported_grant_type');
  });
});
