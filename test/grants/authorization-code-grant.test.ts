import { describe, expect, it } from 'vitest';
import { AuthorizationError } from '../../src/contracts/authorization-error.js';
import { AuthorizationCodeGrant } from '../../src/grants/authorization-code-grant.js';
import { MemoryAccessTokenRepository } from '../../src/storage/memory/index.js';
import type { AccessTokenRepository } from '../../src/contracts/repositories.js';
import { CLIENT_SECRET, ISSUER, basic, createTestServer, tokenRequest } from '../support/fixtures.js';
import {
  CHALLENGE,
  USER,
  VERIFIER,
  authorize,
  authorizeError,
  authorizeRequest,
  codeParams,
  createCodeServer,
  expectNotRedirected,
  obtainCode,
} from './helpers.js';

const APP_AUTH = { authorization: basic('app', CLIENT_SECRET) };
const REDIRECT = 'https://app.example.test/callback';

function codeTokenRequest(code: string, extra: Record<string, string> = {}, headers: Record<string, string> = APP_AUTH): Request {
  return tokenRequest({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: VERIFIER, ...extra }, headers);
}

const jti = (jwt: string): string => (JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as { jti: string }).jti;

async function expectError(res: Response, code: string, status = 400): Promise<void> {
  const body = (await res.json()) as { error: string };
  expect(body.error).toBe(code);
  expect(res.status).toBe(status);
  expect(res.headers.get('cache-control')).toBe('no-store');
}

describe('authorization code grant: authorization endpoint (RFC 6749 §4.1.1)', () => {
  it('redirects an approved request to the redirect URI with code, state and iss (RFC 6749 §4.1.2, RFC 9207 §2)', async () => {
    const t = await createCodeServer();
    const authRequest = await t.server.validateAuthorizationRequest(authorizeRequest(codeParams()));
    expect(authRequest).toMatchObject({ responseType: 'code', clientId: 'app', clientName: 'Test app', scopes: ['read', 'write'] });
    const res = await t.server.completeAuthorizationRequest(authRequest, { user: USER, approved: true });
    expect(res.status).toBe(302);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const location = new URL(res.headers.get('location')!);
    expect(location.origin + location.pathname).toBe(REDIRECT);
    expect(location.searchParams.get('state')).toBe('xyz-state');
    expect(location.searchParams.get('iss')).toBe(ISSUER);
    expect(location.searchParams.get('code')).toMatch(/^[A-Za-z0-9_.-]+$/);
  });

  it('accepts the authorization request as a POST form too (RFC 6749 §3.1)', async () => {
    const t = await createCodeServer();
    const request = new Request(`${ISSUER}/authorize`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(codeParams()).toString(),
    });
    await expect(t.server.validateAuthorizationRequest(request)).resolves.toMatchObject({ clientId: 'app' });
  });

  it('keeps the query of a registered redirect URI when adding parameters (RFC 6749 §3.1.2)', async () => {
    const t = await createCodeServer();
    const uri = 'https://app.example.test/cb?tenant=7';
    t.storage.clients.clients.set('q', { ...(await t.storage.clients.getClient('app'))!, id: 'q', redirectUris: [uri] });
    const location = await authorize(t, codeParams({ client_id: 'q', redirect_uri: uri }));
    expect(location.searchParams.get('tenant')).toBe('7');
    expect(location.searchParams.get('code')).toBeTruthy();
  });

  it('uses the only registered redirect URI when none is sent, and then needs none at the token endpoint', async () => {
    const t = await createCodeServer();
    const { redirect_uri: _, ...params } = codeParams();
    const location = await authorize(t, params);
    expect(location.origin + location.pathname).toBe(REDIRECT);
    const res = await t.server.handleTokenRequest(
      tokenRequest({ grant_type: 'authorization_code', code: location.searchParams.get('code')!, code_verifier: VERIFIER }, APP_AUTH),
    );
    expect(res.status).toBe(200);
  });

  it('redirects a denied consent with access_denied, state and iss (RFC 6749 §4.1.2.1)', async () => {
    const t = await createCodeServer();
    const authRequest = await t.server.validateAuthorizationRequest(authorizeRequest(codeParams()));
    const res = await t.server.completeAuthorizationRequest(authRequest, { user: USER, approved: false });
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get('location')!);
    expect(location.searchParams.get('error')).toBe('access_denied');
    expect(location.searchParams.get('state')).toBe('xyz-state');
    expect(location.searchParams.get('iss')).toBe(ISSUER);
    expect(location.searchParams.has('code')).toBe(false);
  });

  it.each([
    ['a missing client_id', { client_id: '' }],
    ['an unknown client_id', { client_id: 'nobody' }],
    ['an unregistered redirect_uri', { redirect_uri: 'https://evil.example/callback' }],
    ['a repeated parameter', { state: 'a&state=b' }],
  ])('never redirects %s: an error to show the user (RFC 6749 §4.1.2.1)', async (_name, extra: Record<string, string>) => {
    const t = await createCodeServer();
    const params = new URLSearchParams({ ...codeParams(), ...extra });
    if (extra.client_id === '') params.delete('client_id');
    const request = new Request(`${ISSUER}/authorize?${params.toString().replace('state=a%26state%3Db', 'state=a&state=b')}`);
    const res = await expectNotRedirected(t.server, request);
    expect(((await res.json()) as { error: string }).error).toBe('invalid_request');
  });

  it('never redirects when a client with several redirect URIs sends none (RFC 6749 §3.1.2.3)', async () => {
    const t = await createCodeServer();
    const app = (await t.storage.clients.getClient('app'))!;
    t.storage.clients.clients.set('multi', { ...app, id: 'multi', redirectUris: [REDIRECT, 'https://app.example.test/other'] });
    const { redirect_uri: _, ...params } = codeParams({ client_id: 'multi' });
    const { error, response } = await authorizeError(t, params);
    expect((error as AuthorizationError).redirectable).toBe(false);
    expect(response.headers.get('location')).toBeNull();
  });

  it.each([
    ['a missing response_type', { response_type: '' }, 'invalid_request'],
    ['an unknown response_type', { response_type: 'id_token' }, 'unsupported_response_type'],
    ['response_type=token while implicit is not enabled', { response_type: 'token' }, 'unsupported_response_type'],
    ['an unknown scope', { scope: 'read nuclear' }, 'invalid_scope'],
    ['a malformed scope', { scope: 'read  write' }, 'invalid_scope'],
    ['a missing code_challenge (RFC 7636 §4.4.1)', { code_challenge: '', code_challenge_method: '' }, 'invalid_request'],
    ['code_challenge_method=plain when not enabled', { code_challenge: VERIFIER, code_challenge_method: 'plain' }, 'invalid_request'],
    ['a challenge without method (defaults to plain, RFC 7636 §4.3)', { code_challenge: VERIFIER, code_challenge_method: '' }, 'invalid_request'],
    ['an unknown code_challenge_method', { code_challenge_method: 'S512' }, 'invalid_request'],
    ['a malformed S256 challenge', { code_challenge: 'short' }, 'invalid_request'],
  ])('redirects %s back with %s, state and iss (RFC 6749 §4.1.2.1)', async (_name, extra: Record<string, string>, code) => {
    const t = await createCodeServer();
    const params = Object.fromEntries(Object.entries(codeParams(extra)).filter(([, v]) => v !== ''));
    const { error, response } = await authorizeError(t, params);
    expect((error as AuthorizationError).redirectable).toBe(true);
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get('location')!);
    expect(location.origin + location.pathname).toBe(REDIRECT);
    const where = extra.response_type === 'token' ? new URLSearchParams(location.hash.slice(1)) : location.searchParams;
    expect(where.get('error')).toBe(code);
    expect(where.get('state')).toBe('xyz-state');
    expect(where.get('iss')).toBe(ISSUER);
  });

  it('redirects a client not registered for the grant with unauthorized_client (RFC 6749 §4.1.2.1)', async () => {
    const t = await createCodeServer();
    const app = (await t.storage.clients.getClient('app'))!;
    t.storage.clients.clients.set('m2m', { ...app, id: 'm2m', grantTypes: ['client_credentials'] });
    const { response } = await authorizeError(t, codeParams({ client_id: 'm2m' }));
    expect(new URL(response.headers.get('location')!).searchParams.get('error')).toBe('unauthorized_client');
  });

  it('requires PKCE of public clients even when relaxed for confidential ones (RFC 9700 §2.1.1)', async () => {
    const t = await createCodeServer({ requirePkce: 'public' });
    const noPkce = { code_challenge: '', code_challenge_method: '' };
    const confidential = Object.fromEntries(Object.entries(codeParams(noPkce)).filter(([, v]) => v !== ''));
    await expect(t.server.validateAuthorizationRequest(authorizeRequest(confidential))).resolves.toMatchObject({ clientId: 'app' });
    const pub = { ...confidential, client_id: 'spa', redirect_uri: 'http://127.0.0.1:4000/cb' };
    const { response } = await authorizeError(t, pub);
    expect(new URL(response.headers.get('location')!).searchParams.get('error')).toBe('invalid_request');
  });

  it.each([
    ['a widened scope', { scopes: ['read', 'write', 'root'] }, 'invalid_scope'],
    ['a dropped code_challenge of a public client', { codeChallenge: undefined, codeChallengeMethod: undefined }, 'invalid_request'],
    ['a switch to plain PKCE', { codeChallengeMethod: 'plain' }, 'invalid_request'],
  ])('checks the stored request again at completion: %s is %s, not a code', async (_name, change: Record<string, unknown>, code) => {
    const t = await createCodeServer();
    const authRequest = await t.server.validateAuthorizationRequest(
      authorizeRequest(codeParams({ client_id: 'spa', redirect_uri: 'http://127.0.0.1:4000/cb' })),
    );
    const tampered = { ...authRequest, ...change };
    const res = await t.server.completeAuthorizationRequest(tampered, { user: USER, approved: true });
    const location = new URL(res.headers.get('location')!);
    expect(location.searchParams.get('error')).toBe(code);
    expect(location.searchParams.has('code')).toBe(false);
  });

  it('refuses to complete a request whose redirect URI was altered, without redirecting', async () => {
    const t = await createCodeServer();
    const authRequest = await t.server.validateAuthorizationRequest(authorizeRequest(codeParams()));
    const error = await t.server
      .completeAuthorizationRequest({ ...authRequest, redirectUri: 'https://evil.example/cb' }, { user: USER, approved: true })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(AuthorizationError);
    expect((error as AuthorizationError).redirectable).toBe(false);
  });

  it('redirects a storage failure as server_error without its cause (RFC 6749 §4.1.2.1)', async () => {
    const logged: unknown[] = [];
    const t = await createCodeServer({}, { logger: { error: (_m: string, d?: unknown) => void logged.push(d) } });
    const authRequest = await t.server.validateAuthorizationRequest(authorizeRequest(codeParams()));
    Object.assign(t.storage.authCodes, { save: () => Promise.reject(new Error('disk on fire')) });
    const res = await t.server.completeAuthorizationRequest(authRequest, { user: USER, approved: true });
    const location = res.headers.get('location')!;
    expect(new URL(location).searchParams.get('error')).toBe('server_error');
    expect(new URL(location).searchParams.get('state')).toBe('xyz-state');
    expect(location).not.toContain('fire');
    expect(JSON.stringify(logged)).toContain('disk on fire');

    Object.assign(t.storage.scopes, { getScopes: () => Promise.reject(new Error('db down')) });
    const { error, response } = await authorizeError(t, codeParams());
    expect((error as AuthorizationError).redirectable).toBe(true);
    expect(new URL(response.headers.get('location')!).searchParams.get('error')).toBe('server_error');
  });

  it('uses the default scopes when none are asked for (RFC 6749 §3.3)', async () => {
    const t = await createCodeServer();
    Object.assign(t.storage.scopes, { defaultScopes: async () => ['read'] });
    const { scope: _, ...params } = codeParams();
    const authRequest = await t.server.validateAuthorizationRequest(authorizeRequest(params));
    expect(authRequest.scopes).toEqual(['read']);
  });

  it('lets the finalize hook see the grant type, client and user and narrow the scopes', async () => {
    const t = await createCodeServer();
    const seen: unknown[] = [];
    Object.assign(t.storage.scopes, {
      finalizeScopes: async (scopes: readonly string[], ctx: { grantType: string; client: { id: string }; userId?: string }) => {
        seen.push({ grantType: ctx.grantType, clientId: ctx.client.id, userId: ctx.userId });
        return scopes.filter((s) => s !== 'write');
      },
    });
    const code = await obtainCode(t);
    const res = await t.server.handleTokenRequest(codeTokenRequest(code));
    expect(((await res.json()) as { scope: string }).scope).toBe('read');
    expect(seen).toEqual([{ grantType: 'authorization_code', clientId: 'app', userId: 'user-1' }]);
  });

  it('refuses a code lifetime above 10 minutes at start-up (RFC 6749 §4.1.2)', async () => {
    const t = await createCodeServer();
    expect(() => new AuthorizationCodeGrant(t.storage.authCodes, { authCodeTTL: 'PT11M' })).toThrow(TypeError);
  });
});

describe('authorization code grant: token endpoint (RFC 6749 §4.1.3)', () => {
  it('walks the flow with PKCE S256 and the RFC 7636 Appendix B vector, then refreshes (RFC 7636 §4.6)', async () => {
    const t = await createCodeServer();
    // A public native client on a loopback redirect with an ephemeral port (RFC 8252 §7.3).
    const location = await authorize(t, {
      response_type: 'code',
      client_id: 'spa',
      redirect_uri: 'http://127.0.0.1:51004/cb',
      scope: 'read',
      state: 's1',
      code_challenge: CHALLENGE,
      code_challenge_method: 'S256',
    });
    expect(location.host).toBe('127.0.0.1:51004');
    const code = location.searchParams.get('code')!;
    const res = await t.server.handleTokenRequest(
      tokenRequest({ grant_type: 'authorization_code', code, client_id: 'spa', redirect_uri: 'http://127.0.0.1:51004/cb', code_verifier: VERIFIER }),
    );
    const body = (await res.json()) as { access_token: string; refresh_token: string; scope: string; token_type: string };
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body).toMatchObject({ token_type: 'Bearer', scope: 'read', expires_in: 3600 });
    expect(res.headers.get('cache-control')).toBe('no-store');

    const refreshed = await t.server.handleTokenRequest(tokenRequest({ grant_type: 'refresh_token', refresh_token: body.refresh_token, client_id: 'spa' }));
    const refreshedBody = (await refreshed.json()) as { access_token: string; refresh_token: string; scope: string };
    expect(refreshed.status).toBe(200);
    expect(refreshedBody.scope).toBe('read');
    expect(refreshedBody.refresh_token).not.toBe(body.refresh_token);
  });

  it('issues tokens to a confidential client with a refresh token in the code family', async () => {
    const t = await createCodeServer();
    const res = await t.server.handleTokenRequest(codeTokenRequest(await obtainCode(t)));
    const body = (await res.json()) as { access_token: string; refresh_token: string; scope: string };
    expect(res.status).toBe(200);
    expect(body.scope).toBe('read write');
    expect(body.refresh_token).toBeTruthy();
    const record = await t.storage.accessTokens.find(jti(body.access_token));
    expect(record).toMatchObject({ clientId: 'app', userId: 'user-1', revoked: false });
    expect(record?.familyId).toBeTruthy();
  });

  it('works with opaque codes as well as sealed ones', async () => {
    const t = await createCodeServer({}, { tokenFormat: 'opaque' });
    const code = await obtainCode(t);
    expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await t.server.handleTokenRequest(codeTokenRequest(code))).status).toBe(200);
    await expectError(await t.server.handleTokenRequest(codeTokenRequest(code)), 'invalid_grant');
  });

  it('accepts code_challenge_method=plain only when enabled (RFC 7636 §4.2)', async () => {
    const t = await createCodeServer({ allowPlainPkce: true });
    const code = await obtainCode(t, { code_challenge: VERIFIER, code_challenge_method: 'plain' });
    expect((await t.server.handleTokenRequest(codeTokenRequest(code))).status).toBe(200);
  });

  it.each([
    ['a missing code', { code: '' }, 'invalid_request'],
    ['a malformed code_verifier (RFC 7636 §4.1)', { code_verifier: 'x'.repeat(42) }, 'invalid_request'],
    ['a code_verifier with a reserved character (RFC 7636 §4.1)', { code_verifier: `${'a'.repeat(42)}+` }, 'invalid_request'],
    ['a code_verifier longer than 128 characters', { code_verifier: 'a'.repeat(129) }, 'invalid_request'],
    ['a wrong code_verifier (RFC 7636 §4.6)', { code_verifier: 'a'.repeat(43) }, 'invalid_grant'],
    ['a missing code_verifier (RFC 7636 §4.6)', { code_verifier: '' }, 'invalid_grant'],
    ['a different redirect_uri (RFC 6749 §4.1.3)', { redirect_uri: 'https://app.example.test/callback/' }, 'invalid_grant'],
    ['a missing redirect_uri that was sent before (RFC 6749 §4.1.3)', { redirect_uri: '' }, 'invalid_grant'],
    ['a forged code', { code: 'not-a-code' }, 'invalid_grant'],
  ])('answers %s with %s', async (_name, extra, error) => {
    const t = await createCodeServer();
    const code = await obtainCode(t);
    const params = Object.fromEntries(
      Object.entries({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: VERIFIER, ...extra }).filter(([, v]) => v !== ''),
    );
    await expectError(await t.server.handleTokenRequest(tokenRequest(params, APP_AUTH)), error);
  });

  it('rejects a code_verifier when no code_challenge was sent: PKCE downgrade (RFC 9700 §4.8.2)', async () => {
    const t = await createCodeServer({ requirePkce: 'public' });
    // Empty parameters count as omitted (RFC 6749 §3.1): this request carries no code_challenge.
    const code = await obtainCode(t, { code_challenge: '', code_challenge_method: '' });
    await expectError(await t.server.handleTokenRequest(codeTokenRequest(code)), 'invalid_grant');
  });

  it('refuses a code presented by another client, and leaves it usable by its own (RFC 6749 §4.1.3)', async () => {
    const t = await createCodeServer();
    const code = await obtainCode(t);
    await expectError(await t.server.handleTokenRequest(codeTokenRequest(code, {}, { authorization: basic('other', CLIENT_SECRET) })), 'invalid_grant');
    expect((await t.server.handleTokenRequest(codeTokenRequest(code))).status).toBe(200);
  });

  it('refuses an expired code (RFC 6749 §4.1.2: at most 10 minutes)', async () => {
    const t = await createCodeServer();
    const code = await obtainCode(t);
    t.clock.advance(601);
    await expectError(await t.server.handleTokenRequest(codeTokenRequest(code)), 'invalid_grant');
  });

  it('answers a client without the grant with unauthorized_client (RFC 6749 §5.2)', async () => {
    const t = await createCodeServer();
    const code = await obtainCode(t);
    const app = (await t.storage.clients.getClient('app'))!;
    t.storage.clients.clients.set('app', { ...app, grantTypes: ['client_credentials'] });
    await expectError(await t.server.handleTokenRequest(codeTokenRequest(code)), 'unauthorized_client');
  });

  it('answers unsupported_grant_type while the grant is not enabled (RFC 6749 §5.2)', async () => {
    const t = await createTestServer();
    await expectError(await t.server.handleTokenRequest(codeTokenRequest('any')), 'unsupported_grant_type');
  });

  it('answers a bad client secret with invalid_client 401 (RFC 6749 §5.2)', async () => {
    const t = await createCodeServer();
    const code = await obtainCode(t);
    await expectError(await t.server.handleTokenRequest(codeTokenRequest(code, {}, { authorization: basic('app', 'wrong') })), 'invalid_client', 401);
  });

  it('denies a second redemption and revokes the tokens of the first (RFC 6749 §4.1.2)', async () => {
    const t = await createCodeServer();
    const events: unknown[] = [];
    t.server.events.on('authorization_code.reuse_detected', (e) => events.push(e));
    const code = await obtainCode(t);
    const first = (await (await t.server.handleTokenRequest(codeTokenRequest(code))).json()) as { access_token: string; refresh_token: string };
    await expectError(await t.server.handleTokenRequest(codeTokenRequest(code)), 'invalid_grant');
    expect((await t.storage.accessTokens.find(jti(first.access_token)))?.revoked).toBe(true);
    await expectError(
      await t.server.handleTokenRequest(tokenRequest({ grant_type: 'refresh_token', refresh_token: first.refresh_token }, APP_AUTH)),
      'invalid_grant',
    );
    expect(events).toHaveLength(1);
  });

  it('redeems one code 20 times concurrently: one 200, 19 invalid_grant, and the winner revoked', async () => {
    const t = await createCodeServer();
    const code = await obtainCode(t);
    const responses = await Promise.all(Array.from({ length: 20 }, () => t.server.handleTokenRequest(codeTokenRequest(code))));
    const bodies = (await Promise.all(responses.map((r) => r.json()))) as { error?: string; access_token?: string; refresh_token?: string }[];
    const ok = responses.flatMap((r, i) => (r.status === 200 ? [bodies[i]!] : []));
    expect(ok).toHaveLength(1);
    expect(bodies.filter((b) => b.error === 'invalid_grant')).toHaveLength(19);
    const winner = ok[0]!;
    expect((await t.storage.accessTokens.find(jti(winner.access_token!)))?.revoked).toBe(true);
    await expectError(
      await t.server.handleTokenRequest(tokenRequest({ grant_type: 'refresh_token', refresh_token: winner.refresh_token! }, APP_AUTH)),
      'invalid_grant',
    );
  });

  it('revokes the first redemption even when a replay revokes the family before its tokens are saved', async () => {
    // The access-token repository holds the winner's save until the replay has finished: the worst interleaving.
    const inner = new MemoryAccessTokenRepository();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let saving!: () => void;
    const saveStarted = new Promise<void>((resolve) => (saving = resolve));
    const accessTokens: AccessTokenRepository = {
      save: async (record) => {
        saving();
        await gate;
        return inner.save(record);
      },
      find: (id) => inner.find(id),
      revoke: (id) => inner.revoke(id),
      isRevoked: (id) => inner.isRevoked(id),
      revokeFamily: (familyId) => inner.revokeFamily(familyId),
    };
    const t = await createCodeServer({}, { accessTokens });
    const code = await obtainCode(t);
    const winner = t.server.handleTokenRequest(codeTokenRequest(code));
    await saveStarted;
    await expectError(await t.server.handleTokenRequest(codeTokenRequest(code)), 'invalid_grant');
    release();
    const res = await winner;
    const body = (await res.json()) as { access_token: string; refresh_token: string };
    expect(res.status).toBe(200);
    expect(await inner.isRevoked(jti(body.access_token))).toBe(true);
    await expectError(
      await t.server.handleTokenRequest(tokenRequest({ grant_type: 'refresh_token', refresh_token: body.refresh_token }, APP_AUTH)),
      'invalid_grant',
    );
  });
});
