import { describe, expect, it } from 'vitest';
import { AuthorizationError } from '../../src/contracts/authorization-error.js';
import { hashClientSecret } from '../../src/contracts/client-secret.js';
import { AuthorizationCodeGrant } from '../../src/grants/authorization-code-grant.js';
import { ClientCredentialsGrant } from '../../src/grants/client-credentials-grant.js';
import { DeviceCodeGrant } from '../../src/grants/device-code-grant.js';
import { PasswordGrant } from '../../src/grants/password-grant.js';
import type { ManagedStorage } from '../../src/storage/managed-storage.js';
import { CLIENT_SECRET, ISSUER, basic, tokenRequest } from '../support/fixtures.js';
import { engines, serverOver } from './engines.js';

/**
 * No RFC 6749 Appendix A grammar admits control characters: client-id is *VSCHAR (%x20-7E), username and password
 * are *UNICODECHARNOCRLF. A NUL reaching PostgreSQL fails the query ("invalid byte sequence"); such input must be
 * answered as the client's error, never as a 500 (RFC 6749 §5.2).
 */
async function setup(open: () => Promise<ManagedStorage>) {
  const storage = await open();
  await storage.admin.createClient({
    id: 'app',
    name: 'App',
    secretHash: await hashClientSecret(CLIENT_SECRET),
    redirectUris: ['https://app.example.test/callback'],
    grantTypes: ['password', 'client_credentials', 'authorization_code', 'urn:ietf:params:oauth:grant-type:device_code'],
    scopes: [],
  });
  const { server } = serverOver(storage);
  server.enableGrantType(new PasswordGrant(storage.users), 'PT1H');
  server.enableGrantType(new ClientCredentialsGrant(), 'PT1H');
  server.enableGrantType(new AuthorizationCodeGrant(storage.authCodes), 'PT1H');
  server.enableGrantType(new DeviceCodeGrant(storage.deviceCodes), 'PT1H');
  return server;
}

const tokenCases: [string, Record<string, string>, Record<string, string>, string, number][] = [
  ['a NUL in client_id (body)', { grant_type: 'client_credentials', client_id: 'a\0b', client_secret: 'x' }, {}, 'invalid_client', 401],
  ['a NUL in a public client_id', { grant_type: 'client_credentials', client_id: '\0' }, {}, 'invalid_client', 401],
  ['a NUL in the Basic client id', { grant_type: 'client_credentials' }, { authorization: basic('a\0b', 'x') }, 'invalid_client', 401],
  ['a line feed in client_id', { grant_type: 'client_credentials', client_id: 'a\nb', client_secret: 'x' }, {}, 'invalid_client', 401],
  ['a NUL in the username', { grant_type: 'password', username: 'ali\0ce', password: 'pw' }, { authorization: basic('app', CLIENT_SECRET) }, 'invalid_request', 400],
  ['a NUL in the password', { grant_type: 'password', username: 'alice', password: 'p\0w' }, { authorization: basic('app', CLIENT_SECRET) }, 'invalid_request', 400],
];

describe.each(engines)('control characters in identifiers on $name (RFC 6749 Appendix A, §5.2)', ({ skip, open }) => {
  it.skipIf(skip !== undefined).each(tokenCases)('answers %s at the token endpoint with an OAuth error, not a 500', async (_, params, headers, code, status) => {
    const server = await setup(open);
    const res = await server.handleTokenRequest(tokenRequest(params, headers));
    expect(res.status).toBe(status);
    expect(((await res.json()) as { error: string }).error).toBe(code);
    expect(res.headers.get('cache-control')).toBe('no-store');
  });

  it.skipIf(skip !== undefined)('answers a NUL in client_id at the authorization endpoint with a non-redirectable invalid_request', async () => {
    const server = await setup(open);
    const request = new Request(`${ISSUER}/authorize?response_type=code&client_id=%00&redirect_uri=https%3A%2F%2Fapp.example.test%2Fcallback`);
    const error = await server.validateAuthorizationRequest(request).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AuthorizationError);
    expect((error as AuthorizationError).redirectable).toBe(false);
    expect((error as AuthorizationError).code).toBe('invalid_request');
  });

  it.skipIf(skip !== undefined)('answers a NUL in a typed user code as unknown on the verification API (RFC 8628 §3.3)', async () => {
    const server = await setup(open);
    expect(await server.findDeviceAuthorization('WDJB\0MJHT')).toBeUndefined();
    expect(await server.completeDeviceAuthorization('WDJB\0MJHT', { user: { id: 'u' }, approved: true })).toBe(false);
  });
});
