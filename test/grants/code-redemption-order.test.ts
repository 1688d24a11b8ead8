import { describe, expect, it } from 'vitest';
import { AuthorizationCodeGrant } from '../../src/grants/authorization-code-grant.js';
import { RefreshTokenGrant } from '../../src/grants/refresh-token-grant.js';
import { engines } from '../review/engines.js';
import { CLIENT_SECRET, basic, confidentialClient, serverOn, testClock, tokenRequest } from '../support/fixtures.js';
import { jtiOf } from '../storage/support/test-deployment.js';
import { VERIFIER, authorize, codeParams } from './helpers.js';

// Issue 11: a code is spent only by a request that proves it may redeem it (client authentication, redirect_uri,
// PKCE); only such a request, finding the code redeemed already, revokes the first redemption's tokens.

const REDIRECT = 'https://app.example.test/callback';
const OTHER_VERIFIER = 'x'.repeat(43);

const rightful = (code: string): Record<string, string> => ({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: VERIFIER });

/** Bad exchanges of a code: each fails, and none may spend the code or revoke anything. */
const BAD: [string, (code: string) => Request, number, string][] = [
  ['a wrong code_verifier', (code) => tokenRequest({ ...rightful(code), code_verifier: OTHER_VERIFIER }, { authorization: basic('app', CLIENT_SECRET) }), 400, 'invalid_grant'],
  ['a missing code_verifier', (code) => { const { code_verifier: _, ...rest } = rightful(code); return tokenRequest(rest, { authorization: basic('app', CLIENT_SECRET) }); }, 400, 'invalid_grant'],
  ['a wrong redirect_uri', (code) => tokenRequest({ ...rightful(code), redirect_uri: 'https://app.example.test/other' }, { authorization: basic('app', CLIENT_SECRET) }), 400, 'invalid_grant'],
  ['a wrong client secret', (code) => tokenRequest(rightful(code), { authorization: basic('app', 'not the secret') }), 401, 'invalid_client'],
  ['another client authenticated', (code) => tokenRequest(rightful(code), { authorization: basic('other', CLIENT_SECRET) }), 400, 'invalid_grant'],
];

async function setUp(open: () => Promise<import('../../src/storage/managed-storage.js').ManagedStorage>, tokenFormat: 'sealed' | 'opaque') {
  const storage = await open();
  await storage.admin.addScope({ id: 'read' });
  await storage.admin.addScope({ id: 'write' });
  await storage.admin.createClient(await confidentialClient());
  await storage.admin.createClient(await confidentialClient({ id: 'other', name: 'Other app' }));
  const server = serverOn(storage, testClock(Date.now()), { tokenFormat, refreshTokens: storage.refreshTokens });
  server.enableGrantType(new AuthorizationCodeGrant(storage.authCodes, { refreshTokens: storage.refreshTokens }), 'PT1H');
  server.enableGrantType(new RefreshTokenGrant(storage.refreshTokens), 'PT1H');
  const code = async (): Promise<string> => (await authorize({ server }, codeParams())).searchParams.get('code')!;
  const send = async (request: Request) => {
    const response = await server.handleTokenRequest(request);
    return { status: response.status, cacheControl: response.headers.get('cache-control'), body: (await response.json()) as Record<string, string> };
  };
  const refreshes = async (refreshToken: string) =>
    (await send(tokenRequest({ grant_type: 'refresh_token', refresh_token: refreshToken }, { authorization: basic('app', CLIENT_SECRET) }))).status;
  return { storage, code, send, refreshes };
}

const RUNS = engines.flatMap((e) => (['sealed', 'opaque'] as const).map((format) => ({ ...e, format })));

describe.each(RUNS)('code redemption on $name ($format codes)', ({ skip, open, format }) => {
  describe.skipIf(skip !== undefined)(skip ?? 'on this engine', () => {
    it.each(BAD)('an exchange with %s fails and leaves the code redeemable by the rightful request (RFC 7636 §4.6, RFC 6749 §4.1.3)', async (_name, bad, status, error) => {
      const s = await setUp(open, format);
      const code = await s.code();
      const refused = await s.send(bad(code));
      expect(refused).toMatchObject({ status, cacheControl: 'no-store', body: { error } });
      const redeemed = await s.send(tokenRequest(rightful(code), { authorization: basic('app', CLIENT_SECRET) }));
      expect(redeemed.status).toBe(200);
      expect(redeemed.body.access_token).toBeTypeOf('string');
    });

    it.each(BAD)('a replay of a redeemed code with %s fails and revokes nothing', async (_name, bad, status, error) => {
      const s = await setUp(open, format);
      const code = await s.code();
      const first = await s.send(tokenRequest(rightful(code), { authorization: basic('app', CLIENT_SECRET) }));
      expect(first.status).toBe(200);
      expect(await s.send(bad(code))).toMatchObject({ status, body: { error } });
      expect(await s.storage.accessTokens.isRevoked(jtiOf(first.body.access_token!))).toBe(false);
      expect(await s.refreshes(first.body.refresh_token!)).toBe(200);
    });

    it('a valid replay after redemption fails and revokes the first redemption’s tokens (RFC 6749 §4.1.2)', async () => {
      const s = await setUp(open, format);
      const code = await s.code();
      const first = await s.send(tokenRequest(rightful(code), { authorization: basic('app', CLIENT_SECRET) }));
      expect(first.status).toBe(200);
      const replay = await s.send(tokenRequest(rightful(code), { authorization: basic('app', CLIENT_SECRET) }));
      expect(replay).toMatchObject({ status: 400, cacheControl: 'no-store', body: { error: 'invalid_grant' } });
      expect(await s.storage.accessTokens.isRevoked(jtiOf(first.body.access_token!))).toBe(true);
      expect(await s.refreshes(first.body.refresh_token!)).toBe(400);
    });
  });
});
