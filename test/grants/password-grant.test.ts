import { describe, expect, it } from 'vitest';
import { PasswordGrant } from '../../src/grants/password-grant.js';
import { CLIENT_SECRET, basic, createTestServer, tokenRequest } from '../support/fixtures.js';

async function setup(options: ConstructorParameters<typeof PasswordGrant>[1] = {}) {
  const t = await createTestServer();
  t.server.enableGrantType(new PasswordGrant(t.storage.users, { refreshTokens: t.storage.refreshTokens, ...options }), 'PT1H');
  const spa = (await t.storage.clients.getClient('spa'))!;
  t.storage.clients.clients.set('spa', { ...spa, grantTypes: [...spa.grantTypes, 'password'] });
  return t;
}

const APP = { authorization: basic('app', CLIENT_SECRET) };
const pwRequest = (extra: Record<string, string> = {}, headers: Record<string, string> = APP) =>
  tokenRequest({ grant_type: 'password', username: 'alice', password: 'wonderland', ...extra }, headers);

async function expectError(res: Response, code: string, status = 400) {
  expect(((await res.json()) as { error: string }).error).toBe(code);
  expect(res.status).toBe(status);
}

describe('resource owner password credentials grant (RFC 6749 §4.3)', () => {
  it('is off unless enabled: unsupported_grant_type (RFC 6749 §5.2)', async () => {
    const t = await createTestServer();
    await expectError(await t.server.handleTokenRequest(pwRequest()), 'unsupported_grant_type');
  });

  it('issues tokens for the right username and password (RFC 6749 §4.3.3)', async () => {
    const t = await setup();
    const res = await t.server.handleTokenRequest(pwRequest({ scope: 'read' }));
    const body = (await res.json()) as { access_token: string; refresh_token: string; scope: string };
    expect(res.status).toBe(200);
    expect(body.scope).toBe('read');
    expect(body.refresh_token).toBeTruthy();
    const claims = JSON.parse(Buffer.from(body.access_token.split('.')[1]!, 'base64url').toString()) as { sub: string };
    expect(claims.sub).toBe('user-1');
  });

  it('answers a wrong password with invalid_grant and emits user.authentication_failed (RFC 6749 §5.2)', async () => {
    const t = await setup();
    const events: { username: string; client: { id: string } }[] = [];
    t.server.events.on('user.authentication_failed', (e) => events.push(e));
    await expectError(await t.server.handleTokenRequest(pwRequest({ password: 'guess' })), 'invalid_grant');
    await expectError(await t.server.handleTokenRequest(pwRequest({ username: 'mallory' })), 'invalid_grant');
    expect(events.map((e) => [e.username, e.client.id])).toEqual([
      ['alice', 'app'],
      ['mallory', 'app'],
    ]);
  });

  it.each([['username'], ['password']])('answers a missing %s with invalid_request (RFC 6749 §4.3.2)', async (name) => {
    const t = await setup();
    await expectError(await t.server.handleTokenRequest(pwRequest({ [name]: '' })), 'invalid_request');
  });

  it('answers an unknown scope with invalid_scope before checking the password', async () => {
    const t = await setup();
    const events: unknown[] = [];
    t.server.events.on('user.authentication_failed', (e) => events.push(e));
    await expectError(await t.server.handleTokenRequest(pwRequest({ scope: 'root', password: 'guess' })), 'invalid_scope');
    expect(events).toHaveLength(0);
  });

  it('refuses public clients by default with unauthorized_client, and accepts them when allowed', async () => {
    const t = await setup();
    await expectError(await t.server.handleTokenRequest(pwRequest({ client_id: 'spa' }, {})), 'unauthorized_client');
    const open = await setup({ allowPublicClients: true });
    expect((await open.server.handleTokenRequest(pwRequest({ client_id: 'spa' }, {}))).status).toBe(200);
  });

  it('answers a wrong client secret with invalid_client 401 (RFC 6749 §5.2)', async () => {
    const t = await setup();
    await expectError(await t.server.handleTokenRequest(pwRequest({}, { authorization: basic('app', 'x') })), 'invalid_client', 401);
  });

  it('answers a client not registered for the grant with unauthorized_client (RFC 6749 §5.2)', async () => {
    const t = await setup();
    const other = (await t.storage.clients.getClient('other'))!;
    t.storage.clients.clients.set('other', { ...other, grantTypes: ['client_credentials'] });
    await expectError(await t.server.handleTokenRequest(pwRequest({}, { authorization: basic('other', CLIENT_SECRET) })), 'unauthorized_client');
  });
});
