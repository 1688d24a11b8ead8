import { describe, expect, it } from 'vitest';
import { BearerTokenError } from '../../src/contracts/bearer-token-error.js';
import { OAuthError } from '../../src/contracts/oauth-error.js';
import { requireScopes } from '../../src/core/require-scopes.js';
import { ResourceServer } from '../../src/core/resource-server.js';
import { signJwt } from '../../src/tokens/jwt.js';
import { RemoteJwks } from '../../src/tokens/remote-jwks.js';
import { ISSUER, mintTokens, type TestServer } from '../support/fixtures.js';
import { apiRequest, createEndpointServer, formPost } from '../endpoints/support.js';

/** The RFC 6750 answer a failed validation turns into. */
async function refusal(promise: Promise<unknown>): Promise<{ status: number; challenge: string | null; body: string; error: unknown }> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(OAuthError);
  const res = (error as OAuthError).toResponse();
  return { status: res.status, challenge: res.headers.get('www-authenticate'), body: await res.text(), error };
}

/** A token signed with the server's own key, with claims overridden. */
async function signed(t: TestServer, overrides: Record<string, unknown>, typ = 'at+jwt'): Promise<string> {
  const now = Math.floor(t.clock.now() / 1000);
  const claims = { iss: ISSUER, sub: 'user-1', aud: ISSUER, client_id: 'app', scope: 'read', iat: now, exp: now + 600, jti: 'j1', ...overrides };
  for (const [k, v] of Object.entries(claims)) if (v === undefined) delete (claims as Record<string, unknown>)[k];
  return signJwt((await t.server.context()).signingKeys.active, claims, typ);
}

async function setup(options: Parameters<typeof ResourceServer.forAuthorizationServer>[1] = {}) {
  const t = await createEndpointServer();
  const rs = await ResourceServer.forAuthorizationServer(t.server, options);
  return { t, rs };
}

describe('ResourceServer.validateAuthenticatedRequest (RFC 6750, RFC 9068 §4)', () => {
  it('returns the claims of a valid bearer token', async () => {
    const { t, rs } = await setup();
    const minted = await mintTokens(t, 'app', ['read', 'write']);
    const claims = await rs.validateAuthenticatedRequest(apiRequest(minted.access_token));
    expect(claims).toMatchObject({ iss: ISSUER, sub: 'user-1', aud: ISSUER, client_id: 'app', scope: 'read write' });
  });

  it('accepts the scheme name in any case (RFC 7235 §2.1)', async () => {
    const { t, rs } = await setup();
    const minted = await mintTokens(t);
    await expect(rs.validateAuthenticatedRequest(new Request('https://api.example.test/', { headers: { authorization: `bearer ${minted.access_token}` } }))).resolves.toBeDefined();
  });

  it.each([
    ['no Authorization header', {}],
    ['another authentication scheme', { authorization: 'Basic YXBwOnNlY3JldA==' }],
  ])('answers %s with 401 and bare Bearer and DPoP challenges, no error code and no body (RFC 6750 §3.1, RFC 9449 §7.1)', async (_name, headers) => {
    const { rs } = await setup();
    const r = await refusal(rs.validateAuthenticatedRequest(apiRequest(undefined, headers)));
    expect(r.status).toBe(401);
    expect(r.challenge).toBe('Bearer, DPoP algs="ES256 PS256 RS256 EdDSA"');
    expect(r.body).toBe('');
    expect((r.error as BearerTokenError).tokenMissing).toBe(true);
  });

  it('adds the configured realm to every challenge (RFC 6750 §3)', async () => {
    const { rs } = await setup({ realm: 'orders' });
    expect((await refusal(rs.validateAuthenticatedRequest(apiRequest(undefined)))).challenge).toBe('Bearer realm="orders", DPoP realm="orders", algs="ES256 PS256 RS256 EdDSA"');
    expect((await refusal(rs.validateAuthenticatedRequest(apiRequest('x.y.z')))).challenge).toMatch(/^Bearer realm="orders", error="invalid_token"/);
  });

  it.each([['Bearer'], ['Bearer '], ['Bearer a b'], ['Bearer ab"c']])(
    'answers a malformed header %j with 400 invalid_request (RFC 6750 §3.1)',
    async (authorization) => {
      const { rs } = await setup();
      const r = await refusal(rs.validateAuthenticatedRequest(apiRequest(undefined, { authorization })));
      expect(r.status).toBe(400);
      expect(r.challenge).toBe('Bearer error="invalid_request", error_description="The Authorization header is malformed."');
      expect(JSON.parse(r.body)).toMatchObject({ error: 'invalid_request' });
    },
  );

  type Case = [string, (t: TestServer) => Promise<string>, string];
  const invalid: Case[] = [
    ['garbage', async () => 'not-a-jwt', 'The access token is malformed.'],
    ['an expired token, past the leeway', async (t) => {
      const token = (await mintTokens(t)).access_token;
      t.clock.advance(3600 + 10);
      return token;
    }, 'The access token expired.'],
    ['a token not valid yet (nbf beyond the leeway)', (t) => signed(t, { nbf: Math.floor(t.clock.now() / 1000) + 60 }), 'The access token is not valid yet.'],
    ['a token without typ at+jwt (RFC 9068 §4)', (t) => signed(t, {}, 'JWT'), 'The token is not an access token.'],
    ['a token from another issuer', (t) => signed(t, { iss: 'https://evil.example.test' }), 'The access token was issued by another server.'],
    ['a token for another audience', (t) => signed(t, { aud: ['https://other-api.example.test'] }), 'The access token is not meant for this resource server.'],
    ['a token without exp', (t) => signed(t, { exp: undefined }), 'The access token lacks required claims.'],
    ['a token with a tampered payload', async (t) => {
      const [h, p, s] = (await mintTokens(t, 'app', ['read'])).access_token.split('.');
      const claims = JSON.parse(Buffer.from(p!, 'base64url').toString());
      return [h, Buffer.from(JSON.stringify({ ...claims, scope: 'admin' })).toString('base64url'), s].join('.');
    }, 'The access token signature is invalid.'],
    ['an unsigned alg=none token', async (t) => {
      const [, p] = (await mintTokens(t)).access_token.split('.');
      return `${Buffer.from('{"alg":"none","typ":"at+jwt"}').toString('base64url')}.${p}.`;
    }, 'The access token signature is invalid.'],
    ['a token whose header names another algorithm than its key (RFC 8725 §3.1)', async (t) => {
      const [h, p, s] = (await mintTokens(t)).access_token.split('.');
      const header = JSON.parse(Buffer.from(h!, 'base64url').toString());
      return [Buffer.from(JSON.stringify({ ...header, alg: 'PS256' })).toString('base64url'), p, s].join('.');
    }, 'The access token signature is invalid.'],
  ];
  it.each(invalid)('answers %s with 401 invalid_token and a description (RFC 6750 §3.1)', async (_name, make, description) => {
    const { t, rs } = await setup();
    const token = await make(t);
    const r = await refusal(rs.validateAuthenticatedRequest(apiRequest(token)));
    expect(r.status).toBe(401);
    expect(r.challenge).toBe(`Bearer error="invalid_token", error_description="${description}"`);
    expect(JSON.parse(r.body)).toEqual({ error: 'invalid_token', error_description: description });
  });

  it('allows a small clock skew on exp and nbf (default 10 seconds)', async () => {
    const { t, rs } = await setup();
    const token = (await mintTokens(t)).access_token;
    const early = await signed(t, { nbf: Math.floor(t.clock.now() / 1000) + 5 });
    await expect(rs.validateAuthenticatedRequest(apiRequest(early))).resolves.toBeDefined();
    t.clock.advance(3600 + 5);
    await expect(rs.validateAuthenticatedRequest(apiRequest(token))).resolves.toBeDefined();
  });

  it('refuses a revoked token when the revocation check is on, and accepts it when it is off', async () => {
    const t = await createEndpointServer();
    const checking = await ResourceServer.forAuthorizationServer(t.server);
    const notChecking = await ResourceServer.forAuthorizationServer(t.server, { checkRevocation: false });
    const minted = await mintTokens(t);
    await t.server.handleRevocationRequest(formPost('/revoke', { token: minted.access_token }));
    const r = await refusal(checking.validateAuthenticatedRequest(apiRequest(minted.access_token)));
    expect(r.challenge).toBe('Bearer error="invalid_token", error_description="The access token was revoked."');
    await expect(notChecking.validateAuthenticatedRequest(apiRequest(minted.access_token))).resolves.toMatchObject({ jti: expect.any(String) });
  });

  it('accepts a token whose aud list contains one of its identifiers (RFC 9068 §4)', async () => {
    const { t } = await setup();
    const rs = await ResourceServer.forAuthorizationServer(t.server, { audience: ['https://api.example.test', 'urn:other'] });
    const token = await signed(t, { aud: ['urn:other', 'urn:third'] });
    await expect(rs.validateAuthenticatedRequest(apiRequest(token))).resolves.toMatchObject({ aud: ['urn:other', 'urn:third'] });
  });

  it("verifies against a key set handed over directly (the server's own SigningKeySet)", async () => {
    const { t } = await setup();
    const rs = new ResourceServer({ issuer: ISSUER, audience: ISSUER, keys: (await t.server.context()).signingKeys, clock: t.clock });
    await expect(rs.validateAuthenticatedRequest(apiRequest((await mintTokens(t)).access_token))).resolves.toMatchObject({ client_id: 'app' });
  });

  it('answers 503 temporarily_unavailable, not 401, when the JWKS cannot be loaded', async () => {
    const { t } = await setup();
    const rs = new ResourceServer({
      issuer: ISSUER,
      audience: ISSUER,
      keys: new RemoteJwks('https://auth.example.test/jwks', { fetch: () => Promise.reject(new Error('connection refused')) }),
    });
    const r = await refusal(rs.validateAuthenticatedRequest(apiRequest((await mintTokens(t)).access_token)));
    expect(r.status).toBe(503);
    expect(JSON.parse(r.body)).toMatchObject({ error: 'temporarily_unavailable' });
  });

  it.each([
    [{ issuer: ISSUER, audience: ISSUER }],
    [{ issuer: ISSUER, audience: ISSUER, jwksUri: 'https://a.test/jwks', keys: { resolve: () => Promise.resolve(undefined) } }],
    [{ issuer: '', audience: ISSUER, jwksUri: 'https://a.test/jwks' }],
    [{ issuer: ISSUER, audience: [], jwksUri: 'https://a.test/jwks' }],
  ])('throws a TypeError at construction for bad options %#', (options) => {
    expect(() => new ResourceServer(options)).toThrow(TypeError);
  });
});

describe('requireScopes (RFC 6750 §3.1 insufficient_scope)', () => {
  it('passes when the token has every required scope', () => {
    expect(() => requireScopes({ scope: 'read write' }, ['write', 'read'])).not.toThrow();
  });

  it('answers 403 insufficient_scope naming the scopes the resource needs', async () => {
    const r = await refusal(Promise.resolve().then(() => requireScopes({ scope: 'read' }, ['read', 'admin'])));
    expect(r.status).toBe(403);
    expect(r.challenge).toBe('Bearer error="insufficient_scope", error_description="The access token lacks the scope this request needs.", scope="read admin"');
    expect(JSON.parse(r.body)).toMatchObject({ error: 'insufficient_scope' });
  });

  it('treats a token without a scope claim as having none', () => {
    const error = (() => {
      try {
        requireScopes({}, ['read']);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(BearerTokenError);
  });
});
