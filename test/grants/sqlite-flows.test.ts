import { afterEach, describe, expect, it } from 'vitest';
import { hashClientSecret } from '../../src/contracts/client-secret.js';
import { AuthorizationCodeGrant } from '../../src/grants/authorization-code-grant.js';
import { DeviceCodeGrant } from '../../src/grants/device-code-grant.js';
import { RefreshTokenGrant } from '../../src/grants/refresh-token-grant.js';
import { openSqliteStorage, type SqliteStorage } from '../../src/storage/sqlite/index.js';
import { CLIENT_SECRET, ISSUER, basic, serverOn, testClock, tokenRequest } from '../support/fixtures.js';
import { USER, VERIFIER, authorize, codeParams } from './helpers.js';

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
let storage: SqliteStorage | undefined;
afterEach(async () => storage?.close());

/** The grants on a real database: SQLite in memory, every repository from it. */
async function sqliteServer() {
  storage = openSqliteStorage({ filename: ':memory:' });
  await storage.migrate();
  await storage.admin.createClient({
    id: 'app',
    name: 'Test app',
    secretHash: await hashClientSecret(CLIENT_SECRET),
    redirectUris: ['https://app.example.test/callback'],
    grantTypes: ['authorization_code', 'refresh_token', DEVICE_GRANT],
    scopes: [],
  });
  for (const id of ['read', 'write']) await storage.admin.addScope({ id });
  const clock = testClock();
  const server = serverOn(storage, clock);
  server.enableGrantType(new RefreshTokenGrant(storage.refreshTokens));
  server.enableGrantType(new AuthorizationCodeGrant(storage.authCodes, { refreshTokens: storage.refreshTokens }));
  server.enableGrantType(new DeviceCodeGrant(storage.deviceCodes, { refreshTokens: storage.refreshTokens }));
  return { server, storage, clock };
}

const APP = { authorization: basic('app', CLIENT_SECRET) };

describe('grants on SQLite storage', () => {
  it('redeems one code 20 times concurrently: one 200, the rest invalid_grant, the winner revoked', async () => {
    const t = await sqliteServer();
    const location = await authorize(t, codeParams());
    const code = location.searchParams.get('code')!;
    const request = () =>
      tokenRequest({ grant_type: 'authorization_code', code, redirect_uri: 'https://app.example.test/callback', code_verifier: VERIFIER }, APP);
    const responses = await Promise.all(Array.from({ length: 20 }, () => t.server.handleTokenRequest(request())));
    const bodies = (await Promise.all(responses.map((r) => r.json()))) as { error?: string; access_token?: string; refresh_token?: string }[];
    const winners = bodies.filter((_, i) => responses[i]!.status === 200);
    expect(winners).toHaveLength(1);
    expect(bodies.filter((b) => b.error === 'invalid_grant')).toHaveLength(19);
    const jti = (JSON.parse(Buffer.from(winners[0]!.access_token!.split('.')[1]!, 'base64url').toString()) as { jti: string }).jti;
    expect(await t.storage.accessTokens.isRevoked(jti)).toBe(true);
    const refresh = await t.server.handleTokenRequest(tokenRequest({ grant_type: 'refresh_token', refresh_token: winners[0]!.refresh_token! }, APP));
    expect(refresh.status).toBe(400);
  });

  it('runs the device flow: pending, slow_down, approval, tokens once', async () => {
    const t = await sqliteServer();
    const res = await t.server.handleDeviceAuthorizationRequest(tokenRequest({ scope: 'read' }, APP, `${ISSUER}/device_authorization`));
    const device = (await res.json()) as { device_code: string; user_code: string };
    const poll = async () => {
      const r = await t.server.handleTokenRequest(tokenRequest({ grant_type: DEVICE_GRANT, device_code: device.device_code }, APP));
      return r.status === 200 ? 'tokens' : ((await r.json()) as { error: string }).error;
    };
    expect(await poll()).toBe('authorization_pending');
    expect(await poll()).toBe('slow_down');
    expect(await t.server.completeDeviceAuthorization(device.user_code, { user: USER, approved: true })).toBe(true);
    t.clock.advance(30);
    expect(await poll()).toBe('tokens');
    t.clock.advance(30);
    expect(await poll()).toBe('invalid_grant');
  });
});
