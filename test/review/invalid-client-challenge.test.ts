import { describe, expect, it } from 'vitest';
import { DeviceCodeGrant } from '../../src/grants/device-code-grant.js';
import { ISSUER, createTestServer, tokenRequest } from '../support/fixtures.js';

const cases = [
  ['a wrong client_secret in the body', { client_id: 'app', client_secret: 'wrong' }],
  ['an unknown client_id', { client_id: 'nobody' }],
  ['a confidential client_id without its secret', { client_id: 'app' }],
  ['no client identification at all', {}],
] as const;

describe('invalid_client without HTTP Basic still carries a challenge (RFC 6749 §5.2, RFC 9110 §15.5.2)', () => {
  it.each(cases)('answers %s at the token endpoint 401 with WWW-Authenticate: Basic', async (_, creds) => {
    const t = await createTestServer();
    const res = await t.server.handleTokenRequest(tokenRequest({ grant_type: 'refresh_token', refresh_token: 'x', ...creds }));
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: string }).error).toBe('invalid_client');
    // RFC 9110 §15.5.2: "The server generating a 401 response MUST send a WWW-Authenticate header field".
    expect(res.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
    expect(res.headers.get('cache-control')).toBe('no-store');
  });

  it('answers a wrong client_secret at the device authorization endpoint 401 with WWW-Authenticate: Basic', async () => {
    const t = await createTestServer();
    t.server.enableGrantType(new DeviceCodeGrant(t.storage.deviceCodes), 'PT1H');
    const res = await t.server.handleDeviceAuthorizationRequest(
      tokenRequest({ client_id: 'app', client_secret: 'wrong' }, {}, `${ISSUER}/device_authorization`),
    );
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
  });
});
