import { describe, expect, it } from 'vitest';
import { AuthorizationError } from '../../src/contracts/authorization-error.js';
import type { AuthorizationRequest } from '../../src/contracts/authorization-request.js';
import { AuthorizationCodeGrant } from '../../src/grants/authorization-code-grant.js';
import { basic, CLIENT_SECRET, ISSUER, serverOn, tokenRequest, type TestServer } from '../support/fixtures.js';
import { authorizeRequest, codeParams, createCodeServer, USER, VERIFIER } from '../grants/helpers.js';
import { assertion, assertionParams, clientKey, TestReplays } from '../client-auth/support.js';
import { oauthRouteTable } from '../../src/http/oauth-routes.js';
import { DpopKey } from '../dpop/support/dpop-key.js';

async function parServer(serverOptions: Record<string, unknown> = {}): Promise<TestServer> {
  const t = await createCodeServer({}, { ...serverOptions });
  return t;
}

/** A server whose storage keeps pushed requests (the options need the storage, made inside createTestServer). */
async function setup(extra: { requirePushedAuthorizationRequests?: boolean; requestUriTTL?: number } = {}) {
  const base = await parServer();
  const server = serverOn(base.storage, base.clock, {
    refreshTokens: base.storage.refreshTokens,
    pushedAuthorizationRequests: base.storage.pushedAuthorizationRequests,
    replays: new TestReplays(base.clock),
    ...extra,
  });
  server.enableGrantType(new AuthorizationCodeGrant(base.storage.authCodes, { refreshTokens: base.storage.refreshTokens }), 'PT1H');
  return { ...base, server };
}

const parRequest = (params: Record<string, string>, headers: Record<string, string> = { authorization: basic('app', CLIENT_SECRET) }) =>
  tokenRequest(params, headers, `${ISSUER}/par`);

async function push(t: { server: TestServer['server'] }, params: Record<string, string> = codeParams(), headers?: Record<string, string>) {
  const res = await t.server.handlePushedAuthorizationRequest(parRequest(params, headers));
  return { res, body: (await res.json()) as { request_uri?: string; expires_in?: number; error?: string } };
}

async function notRedirectable(promise: Promise<unknown>): Promise<AuthorizationError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(AuthorizationError);
  expect((error as AuthorizationError).redirectable).toBe(false);
  return error as AuthorizationError;
}

describe('pushed authorization requests (RFC 9126)', () => {
  it('answers 201 with a request_uri and expires_in, and the request_uri then stands for the pushed request (§2.2, §4)', async () => {
    const t = await setup();
    const { res, body } = await push(t);
    expect(res.status).toBe(201);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(body.request_uri).toMatch(/^urn:ietf:params:oauth:request_uri:[A-Za-z0-9_-]{43}$/);
    expect(body.expires_in).toBe(60);
    // Only client_id and request_uri travel through the browser; other parameters are ignored.
    const authRequest = await t.server.validateAuthorizationRequest(authorizeRequest({ client_id: 'app', request_uri: body.request_uri!, scope: 'admin', state: 'forged' }));
    expect(authRequest.scopes).toEqual(['read', 'write']);
    expect(authRequest.state).toBe('xyz-state');
    expect(authRequest.codeChallenge).toBeDefined();
    const restored = JSON.parse(JSON.stringify(authRequest)) as AuthorizationRequest;
    const done = await t.server.completeAuthorizationRequest(restored, { user: USER, approved: true });
    expect(done.status).toBe(302);
    const code = new URL(done.headers.get('location')!).searchParams.get('code')!;
    const tokens = await t.server.handleTokenRequest(
      tokenRequest({ grant_type: 'authorization_code', code, redirect_uri: 'https://app.example.test/callback', code_verifier: VERIFIER }, { authorization: basic('app', CLIENT_SECRET) }),
    );
    expect(tokens.status).toBe(200);
  });

  it('lets a request_uri be used once: a second authorization request, or a second completion, is refused (§7.3)', async () => {
    const t = await setup();
    const { body } = await push(t);
    const authRequest = await t.server.validateAuthorizationRequest(authorizeRequest({ client_id: 'app', request_uri: body.request_uri! }));
    expect((await t.server.completeAuthorizationRequest(authRequest, { user: USER, approved: true })).status).toBe(302);
    const error = await notRedirectable(t.server.validateAuthorizationRequest(authorizeRequest({ client_id: 'app', request_uri: body.request_uri! })));
    expect(error.code).toBe('invalid_request');
    // A copy of the validated request kept by the application cannot be completed twice either.
    const again = await t.server.completeAuthorizationRequest(authRequest, { user: USER, approved: true });
    expect(new URL(again.headers.get('location')!).searchParams.get('error')).toBe('invalid_request');
  });

  it('lets a request_uri expire (default 60 seconds, requestUriTTL option)', async () => {
    const t = await setup({ requestUriTTL: 30 });
    const { body } = await push(t);
    expect(body.expires_in).toBe(30);
    t.clock.advance(31);
    await notRedirectable(t.server.validateAuthorizationRequest(authorizeRequest({ client_id: 'app', request_uri: body.request_uri! })));
  });

  it('binds a request_uri to the client that pushed it (§4)', async () => {
    const t = await setup();
    const { body } = await push(t);
    await notRedirectable(t.server.validateAuthorizationRequest(authorizeRequest({ client_id: 'other', request_uri: body.request_uri! })));
    // The pushed request is still good for its own client.
    expect((await t.server.validateAuthorizationRequest(authorizeRequest({ client_id: 'app', request_uri: body.request_uri! }))).clientId).toBe('app');
  });

  it('refuses unknown request_uris, and request_uri when PAR is not enabled', async () => {
    const t = await setup();
    await notRedirectable(t.server.validateAuthorizationRequest(authorizeRequest({ client_id: 'app', request_uri: 'urn:ietf:params:oauth:request_uri:nope' })));
    await notRedirectable(t.server.validateAuthorizationRequest(authorizeRequest({ client_id: 'app', request_uri: 'https://evil.example/r' })));
    const plain = await parServer();
    await notRedirectable(plain.server.validateAuthorizationRequest(authorizeRequest({ client_id: 'app', request_uri: 'urn:ietf:params:oauth:request_uri:x' })));
  });

  it('authenticates the client and validates the pushed parameters as the authorization endpoint would (§2.1, §2.3)', async () => {
    const t = await setup();
    expect((await push(t, codeParams(), { authorization: basic('app', 'wrong') })).res.status).toBe(401);
    const unregistered = await push(t, codeParams({ redirect_uri: 'https://evil.example/cb' }));
    expect(unregistered.res.status).toBe(400);
    expect(unregistered.body.error).toBe('invalid_request');
    expect((await push(t, codeParams({ scope: 'unknown' }))).body.error).toBe('invalid_scope');
    const noPkce = codeParams();
    delete noPkce.code_challenge;
    delete noPkce.code_challenge_method;
    expect((await push(t, noPkce)).body.error).toBe('invalid_request');
    expect((await push(t, codeParams({ request_uri: 'urn:ietf:params:oauth:request_uri:x' }))).body.error).toBe('invalid_request');
    expect((await push(t, codeParams({ response_type: 'token' }))).body.error).toBe('unsupported_response_type');
    const get = await t.server.handlePushedAuthorizationRequest(new Request(`${ISSUER}/par`));
    expect(get.status).toBe(405);
  });

  it('accepts a public client identified by client_id, and a client authenticating with private_key_jwt', async () => {
    const t = await setup();
    const pub = await push(t, codeParams({ client_id: 'spa', redirect_uri: 'http://127.0.0.1/cb' }), {});
    expect(pub.res.status).toBe(201);
    const key = await clientKey('k1');
    t.storage.clients.clients.set('bank', {
      id: 'bank', name: 'Bank', redirectUris: ['https://bank.example/cb'], grantTypes: ['authorization_code'], scopes: [],
      tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [key.publicJwk] },
    });
    const jwt = await assertion(key, 'bank', t.clock.now());
    const bank = await push(t, { ...codeParams({ client_id: 'bank', redirect_uri: 'https://bank.example/cb' }), ...assertionParams(jwt) }, {});
    expect(bank.res.status).toBe(201);
    const authRequest = await t.server.validateAuthorizationRequest(authorizeRequest({ client_id: 'bank', request_uri: bank.body.request_uri! }));
    expect(authRequest.redirectUri).toBe('https://bank.example/cb');
  });

  it('refuses a plain authorization request from a client that requires PAR (§6), redirecting the error', async () => {
    const t = await setup();
    const app = (await t.storage.clients.getClient('app'))!;
    t.storage.clients.clients.set('app', { ...app, requirePushedAuthorizationRequests: true });
    const error = (await t.server.validateAuthorizationRequest(authorizeRequest(codeParams())).then(() => undefined, (e: unknown) => e)) as AuthorizationError;
    expect(error).toBeInstanceOf(AuthorizationError);
    expect(error.code).toBe('invalid_request');
    expect(error.redirectable).toBe(true);
    // The pushed way works.
    const { body } = await push(t);
    expect((await t.server.validateAuthorizationRequest(authorizeRequest({ client_id: 'app', request_uri: body.request_uri! }))).clientId).toBe('app');
    // Other clients are not affected.
    expect((await t.server.validateAuthorizationRequest(authorizeRequest(codeParams({ client_id: 'other' })))).clientId).toBe('other');
  });

  it('refuses every plain authorization request when the server requires PAR (§5), and says so in its metadata', async () => {
    const t = await setup({ requirePushedAuthorizationRequests: true });
    const error = (await t.server.validateAuthorizationRequest(authorizeRequest(codeParams({ client_id: 'other' }))).then(() => undefined, (e: unknown) => e)) as AuthorizationError;
    expect(error.code).toBe('invalid_request');
    const metadata = await t.server.metadata();
    expect(metadata.pushed_authorization_request_endpoint).toBe(`${ISSUER}/par`);
    expect(metadata.require_pushed_authorization_requests).toBe(true);
    // The HTTP adapters route what the metadata announces.
    const routed = await (await oauthRouteTable(t.server)).get('/par')!(parRequest(codeParams()));
    expect(routed.status).toBe(201);
    // An authorization request validated elsewhere without PAR cannot be completed either.
    const forged: AuthorizationRequest = { responseType: 'code', clientId: 'app', clientName: 'Test app', redirectUri: 'https://app.example.test/callback', redirectUriSent: true, scopes: ['read'], codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', codeChallengeMethod: 'S256' };
    const done = await t.server.completeAuthorizationRequest(forged, { user: USER, approved: true });
    expect(new URL(done.headers.get('location')!).searchParams.get('error')).toBe('invalid_request');
  });

  it('announces no PAR endpoint without the repository', async () => {
    const t = await parServer();
    const metadata = await t.server.metadata();
    expect(metadata.pushed_authorization_request_endpoint).toBeUndefined();
  });
});

describe('DPoP with pushed authorization requests (RFC 9449 §10.1)', () => {
  const TOKEN_PARAMS = { grant_type: 'authorization_code', redirect_uri: 'https://app.example.test/callback', code_verifier: VERIFIER };
  const nowSeconds = (t: TestServer): number => Math.floor(t.clock.now() / 1000);
  const withProof = (t: TestServer, key: DpopKey, htu = `${ISSUER}/par`) => ({ authorization: basic('app', CLIENT_SECRET), dpop: key.proof('POST', htu, { iat: nowSeconds(t) }) });

  async function codeFor(t: Awaited<ReturnType<typeof setup>>, requestUri: string): Promise<string> {
    const authRequest = await t.server.validateAuthorizationRequest(authorizeRequest({ client_id: 'app', request_uri: requestUri }));
    const done = await t.server.completeAuthorizationRequest(authRequest, { user: USER, approved: true });
    return new URL(done.headers.get('location')!).searchParams.get('code')!;
  }

  it('binds the code to the key of a DPoP proof sent to the PAR endpoint: only a proof of that key redeems it', async () => {
    const t = await setup();
    const key = new DpopKey();
    const { res, body } = await push(t, codeParams(), withProof(t, key));
    expect(res.status).toBe(201);
    const code = await codeFor(t, body.request_uri!);
    const redeem = (headers: Record<string, string>) => t.server.handleTokenRequest(tokenRequest({ ...TOKEN_PARAMS, code }, { authorization: basic('app', CLIENT_SECRET), ...headers }));
    expect(((await (await redeem({})).json()) as { error: string }).error).toBe('invalid_dpop_proof');
    const other = await redeem({ dpop: new DpopKey().proof('POST', `${ISSUER}/token`, { iat: nowSeconds(t) }) });
    expect(((await other.json()) as { error: string }).error).toBe('invalid_grant');
    const ok = await redeem({ dpop: key.proof('POST', `${ISSUER}/token`, { iat: nowSeconds(t) }) });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { token_type: string }).token_type).toBe('DPoP');
  });

  it('refuses a PAR proof that fails RFC 9449 §4.3, or whose key is not the pushed dpop_jkt', async () => {
    const t = await setup();
    const key = new DpopKey();
    const wrongHtu = await push(t, codeParams(), withProof(t, key, `${ISSUER}/token`));
    expect(wrongHtu.res.status).toBe(400);
    expect(wrongHtu.body.error).toBe('invalid_dpop_proof');
    const mismatch = await push(t, codeParams({ dpop_jkt: new DpopKey().jkt }), withProof(t, key));
    expect(mismatch.res.status).toBe(400);
    expect(mismatch.body.error).toBe('invalid_dpop_proof');
    const matching = await push(t, codeParams({ dpop_jkt: key.jkt }), withProof(t, key));
    expect(matching.res.status).toBe(201);
  });
});
