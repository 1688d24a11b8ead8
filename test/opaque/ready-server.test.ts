import { describe, expect, it } from 'vitest';
import { clientsCommand } from '../../src/cli/clients-command.js';
import { UsageError } from '../../src/cli/cli-error.js';
import { loadConfig } from '../../src/server/config.js';
import { basic } from '../support/fixtures.js';
import { createTestApp, type TestApp } from '../server/support.js';

const OPAQUE = /^gat_[A-Za-z0-9_-]{43}$/;

async function clientCredentialsToken(t: TestApp, clientId = t.clientId, secret = t.clientSecret): Promise<string> {
  const response = await t.send('/token', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(clientId, secret) },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'read' }).toString(),
  });
  expect(response.status).toBe(200);
  const body = (await response.json()) as { access_token: string; token_type: string };
  expect(body.token_type).toBe('Bearer');
  return body.access_token;
}

const isJwt = (token: string): boolean => token.split('.').length === 3;

describe('--access-token-format (ready server)', () => {
  it('defaults to jwt and takes opaque from the flag or GRANTRY_ACCESS_TOKEN_FORMAT; anything else is a start-up error', () => {
    expect(loadConfig({}, {}).accessTokenFormat).toBe('jwt');
    expect(loadConfig({ 'access-token-format': 'opaque' }, {}).accessTokenFormat).toBe('opaque');
    expect(loadConfig({}, { GRANTRY_ACCESS_TOKEN_FORMAT: 'opaque' }).accessTokenFormat).toBe('opaque');
    expect(() => loadConfig({ 'access-token-format': 'paseto' }, {})).toThrow(/--access-token-format must be jwt or opaque, got paseto/);
  });

  it('issues opaque tokens server-wide, which the server introspects and revokes (RFC 7662, RFC 7009)', async () => {
    const t = await createTestApp({ 'access-token-format': 'opaque' });
    const token = await clientCredentialsToken(t);
    expect(token).toMatch(OPAQUE);
    const post = (path: string) =>
      t.send(path, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(t.clientId, t.clientSecret) },
        body: new URLSearchParams({ token }).toString(),
      });
    expect(await (await post('/introspect')).json()).toMatchObject({ active: true, client_id: t.clientId, token_type: 'Bearer', scope: 'read' });
    expect((await post('/revoke')).status).toBe(200);
    expect(await (await post('/introspect')).json()).toEqual({ active: false });
  });
});

describe('grantry clients --access-token-format', () => {
  it('sets a client\'s format on create and update, shows it, and returns it to the server default', async () => {
    const t = await createTestApp(); // server default: jwt
    expect(isJwt(await clientCredentialsToken(t))).toBe(true);

    const updated = await clientsCommand(t.store, 'update', t.clientId, { 'access-token-format': 'opaque' });
    expect(updated.json).toMatchObject({ access_token_format: 'opaque' });
    expect(updated.text).toContain('access token format: opaque');
    expect(await clientCredentialsToken(t)).toMatch(OPAQUE);
    // Other changes keep the format.
    await clientsCommand(t.store, 'update', t.clientId, { name: 'Renamed' });
    expect((await t.store.storage.admin.getClient(t.clientId))?.accessTokenFormat).toBe('opaque');

    const reset = await clientsCommand(t.store, 'update', t.clientId, { 'access-token-format': 'default' });
    expect(reset.json).toMatchObject({ access_token_format: null });
    expect(isJwt(await clientCredentialsToken(t))).toBe(true);

    const created = await clientsCommand(t.store, 'create', undefined, { name: 'Bank', 'grant-types': 'client_credentials', scopes: 'read', 'access-token-format': 'opaque' });
    expect(created.json).toMatchObject({ access_token_format: 'opaque' });
    const { id, client_secret: secret } = created.json as { id: string; client_secret: string };
    expect(await clientCredentialsToken(t, id, secret)).toMatch(OPAQUE);
  });

  it.each([
    ['create', undefined, { name: 'X', 'grant-types': 'client_credentials', 'access-token-format': 'default' }],
    ['update', 'x', { 'access-token-format': 'paseto' }],
  ])('refuses a format it does not know (%s)', async (action, id, flags) => {
    const t = await createTestApp();
    await expect(clientsCommand(t.store, action, id === undefined ? undefined : t.clientId, flags)).rejects.toBeInstanceOf(UsageError);
  });
});
