import { describe, expect, it } from 'vitest';
import { DeviceCodeGrant, type DeviceAuthorizationResponseBody } from '../../src/grants/device-code-grant.js';
import { USER_CODE_ALPHABET } from '../../src/grants/user-code.js';
import { CLIENT_SECRET, ISSUER, basic, createTestServer, tokenRequest } from '../support/fixtures.js';
import { USER } from './helpers.js';

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';


async function setup(options: ConstructorParameters<typeof DeviceCodeGrant>[1] = {}) {
  const t = await createTestServer();
  t.server.enableGrantType(new DeviceCodeGrant(t.storage.deviceCodes, { refreshTokens: t.storage.refreshTokens, ...options }), 'PT1H');
  t.storage.clients.clients.set('tv', { id: 'tv', name: 'Living-room TV', redirectUris: [], grantTypes: [DEVICE_GRANT, 'refresh_token'], scopes: [] });
  return t;
}

function deviceRequest(params: Record<string, string>, headers: Record<string, string> = {}): Request {
  return tokenRequest(params, headers, `${ISSUER}/device_authorization`);
}

async function start(t: Awaited<ReturnType<typeof setup>>, scope = 'read'): Promise<DeviceAuthorizationResponseBody> {
  const res = await t.server.handleDeviceAuthorizationRequest(deviceRequest({ client_id: 'tv', scope }));
  expect(res.status).toBe(200);
  return (await res.json()) as DeviceAuthorizationResponseBody;
}

const poll = (t: Awaited<ReturnType<typeof setup>>, deviceCode: string, clientId = 'tv') =>
  t.server.handleTokenRequest(tokenRequest({ grant_type: DEVICE_GRANT, device_code: deviceCode, client_id: clientId }));

async function expectError(res: Response, code: string, status = 400) {
  expect(((await res.json()) as { error: string }).error).toBe(code);
  expect(res.status).toBe(status);
  expect(res.headers.get('cache-control')).toBe('no-store');
}

describe('device authorization endpoint (RFC 8628 §3.1, §3.2)', () => {
  it('answers device_code, a readable user_code, verification URIs, expires_in and interval', async () => {
    const t = await setup();
    const res = await t.server.handleDeviceAuthorizationRequest(deviceRequest({ client_id: 'tv', scope: 'read' }));
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = (await res.json()) as DeviceAuthorizationResponseBody;
    expect(body.device_code).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(body.user_code).toMatch(new RegExp(`^[${USER_CODE_ALPHABET}]{4}-[${USER_CODE_ALPHABET}]{4}$`));
    expect(body.verification_uri).toBe(`${ISSUER}/device`);
    expect(body.verification_uri_complete).toBe(`${ISSUER}/device?user_code=${body.user_code}`);
    expect(body).toMatchObject({ expires_in: 600, interval: 5 });
  });

  it('stores only the SHA-256 of the device code (RFC 8628 §5.2)', async () => {
    const t = await setup();
    const body = await start(t);
    const record = await t.storage.deviceCodes.findByUserCode(body.user_code.replace('-', ''));
    expect(record).toBeDefined();
    expect(JSON.stringify(record)).not.toContain(body.device_code);
  });

  it('uses the configured verification URI', async () => {
    const t = await setup({ verificationUri: 'https://tv.example.test/activate' });
    const body = await start(t);
    expect(body.verification_uri).toBe('https://tv.example.test/activate');
    expect(body.verification_uri_complete.startsWith('https://tv.example.test/activate?user_code=')).toBe(true);
  });

  it('answers an unknown client with invalid_client 401', async () => {
    const t = await setup();
    await expectError(await t.server.handleDeviceAuthorizationRequest(deviceRequest({ client_id: 'nobody' })), 'invalid_client', 401);
  });

  it('answers a confidential client with a wrong secret with invalid_client 401', async () => {
    const t = await setup();
    await expectError(await t.server.handleDeviceAuthorizationRequest(deviceRequest({}, { authorization: basic('app', 'bad') })), 'invalid_client', 401);
  });

  it('answers a client not registered for the grant with unauthorized_client', async () => {
    const t = await setup();
    await expectError(
      await t.server.handleDeviceAuthorizationRequest(deviceRequest({}, { authorization: basic('app', CLIENT_SECRET) })),
      'unauthorized_client',
    );
  });

  it('answers a repeated parameter with invalid_request (RFC 6749 §3.1)', async () => {
    const t = await setup();
    const request = new Request(`${ISSUER}/device_authorization`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'client_id=tv&scope=read&scope=write',
    });
    await expectError(await t.server.handleDeviceAuthorizationRequest(request), 'invalid_request');
  });

  it('answers an unknown scope with invalid_scope', async () => {
    const t = await setup();
    await expectError(await t.server.handleDeviceAuthorizationRequest(deviceRequest({ client_id: 'tv', scope: 'read tv:everything' })), 'invalid_scope');
  });

  it('answers with unsupported_grant_type while the grant is not enabled', async () => {
    const t = await createTestServer();
    await expectError(await t.server.handleDeviceAuthorizationRequest(deviceRequest({ client_id: 'tv' })), 'unsupported_grant_type');
  });
});

describe('device access token request (RFC 8628 §3.4, §3.5)', () => {
  it('walks pending, slow_down, approval and tokens, once', async () => {
    const t = await setup();
    const body = await start(t);
    await expectError(await poll(t, body.device_code), 'authorization_pending');
    t.clock.advance(2);
    // RFC 8628 §3.5: polling faster than the interval is slow_down, and the interval grows by 5 seconds.
    await expectError(await poll(t, body.device_code), 'slow_down');
    t.clock.advance(6); // 6 s < the new 10 s interval
    await expectError(await poll(t, body.device_code), 'slow_down');
    t.clock.advance(16); // the interval is now 15 s
    await expectError(await poll(t, body.device_code), 'authorization_pending');

    // The verification page (RFC 8628 §3.3): the user types the code in any case, with or without the dash.
    const typed = body.user_code.toLowerCase().replace('-', ' ');
    const pending = await t.server.findDeviceAuthorization(typed);
    expect(pending).toMatchObject({ userCode: body.user_code, clientId: 'tv', clientName: 'Living-room TV', scopes: ['read'] });
    expect(await t.server.completeDeviceAuthorization(typed, { user: USER, approved: true })).toBe(true);
    expect(await t.server.findDeviceAuthorization(typed)).toBeUndefined();
    expect(await t.server.completeDeviceAuthorization(typed, { user: USER, approved: false })).toBe(false);

    t.clock.advance(20);
    const res = await poll(t, body.device_code);
    const tokens = (await res.json()) as { access_token: string; refresh_token: string; scope: string };
    expect(res.status).toBe(200);
    expect(tokens.scope).toBe('read');
    expect(tokens.refresh_token).toBeTruthy();
    const claims = JSON.parse(Buffer.from(tokens.access_token.split('.')[1]!, 'base64url').toString()) as { sub: string; client_id: string };
    expect(claims).toMatchObject({ sub: 'user-1', client_id: 'tv' });

    t.clock.advance(20);
    await expectError(await poll(t, body.device_code), 'invalid_grant');
  });

  it('answers access_denied once the user denied (RFC 8628 §3.5)', async () => {
    const t = await setup();
    const body = await start(t);
    expect(await t.server.completeDeviceAuthorization(body.user_code, { user: USER, approved: false })).toBe(true);
    await expectError(await poll(t, body.device_code), 'access_denied');
  });

  it('answers expired_token after expiry, and the code can no longer be approved (RFC 8628 §3.5)', async () => {
    const t = await setup();
    const body = await start(t);
    await expectError(await poll(t, body.device_code), 'authorization_pending');
    t.clock.advance(601);
    expect(await t.server.findDeviceAuthorization(body.user_code)).toBeUndefined();
    expect(await t.server.completeDeviceAuthorization(body.user_code, { user: USER, approved: true })).toBe(false);
    await expectError(await poll(t, body.device_code), 'expired_token');
  });

  it('answers expired_token for an approved code not redeemed in time', async () => {
    const t = await setup();
    const body = await start(t);
    await t.server.completeDeviceAuthorization(body.user_code, { user: USER, approved: true });
    t.clock.advance(601);
    await expectError(await poll(t, body.device_code), 'expired_token');
  });

  it('answers an unknown device code with invalid_grant', async () => {
    const t = await setup();
    await expectError(await poll(t, 'A'.repeat(43)), 'invalid_grant');
  });

  it('answers a missing device_code with invalid_request', async () => {
    const t = await setup();
    await expectError(await t.server.handleTokenRequest(tokenRequest({ grant_type: DEVICE_GRANT, client_id: 'tv' })), 'invalid_request');
  });

  it('refuses a device code polled by another client with invalid_grant', async () => {
    const t = await setup();
    t.storage.clients.clients.set('tv2', { id: 'tv2', name: 'Other TV', redirectUris: [], grantTypes: [DEVICE_GRANT], scopes: [] });
    const body = await start(t);
    await expectError(await poll(t, body.device_code, 'tv2'), 'invalid_grant');
  });

  it('answers a client not registered for the grant with unauthorized_client (RFC 6749 §5.2)', async () => {
    const t = await setup();
    const body = await start(t);
    const spa = await poll(t, body.device_code, 'spa');
    await expectError(spa, 'unauthorized_client');
  });

  it('yields tokens once under concurrent polls', async () => {
    const t = await setup();
    const body = await start(t);
    await t.server.completeDeviceAuthorization(body.user_code, { user: USER, approved: true });
    const responses = await Promise.all(Array.from({ length: 10 }, () => poll(t, body.device_code)));
    expect(responses.filter((r) => r.status === 200)).toHaveLength(1);
  });

  it('lets the finalize hook see the approving user at the token request', async () => {
    const t = await setup();
    const seen: (string | undefined)[] = [];
    Object.assign(t.storage.scopes, {
      finalizeScopes: async (scopes: readonly string[], ctx: { userId?: string }) => {
        seen.push(ctx.userId);
        return scopes;
      },
    });
    const body = await start(t);
    await t.server.completeDeviceAuthorization(body.user_code, { user: USER, approved: true });
    expect((await poll(t, body.device_code)).status).toBe(200);
    expect(seen).toEqual(['user-1']);
  });
});
