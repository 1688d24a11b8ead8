import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ResourceServer } from '../../src/core/resource-server.js';
import { OAuthError } from '../../src/contracts/oauth-error.js';
import { ENGINES, ISSUER, apiRequest, clientCredentials, endpointPost, registerClients, serverOver, type Engine, type TokenBody } from './support.js';
import { basic, CLIENT_SECRET, tokenRequest } from '../support/fixtures.js';

const OPAQUE = /^gat_[A-Za-z0-9_-]{43}$/;
const sha256 = (token: string): string => createHash('sha256').update(token).digest('base64url');

/** The RFC 6750 answer a refused validation turns into. */
async function refusal(promise: Promise<unknown>): Promise<{ status: number; challenge: string }> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(OAuthError);
  const res = (error as OAuthError).toResponse();
  return { status: res.status, challenge: res.headers.get('www-authenticate') ?? '' };
}

describe.each(ENGINES)('opaque access tokens on $name storage', ({ open, skip }) => {
  let engine: Engine;
  let setup: ReturnType<typeof serverOver>;

  beforeEach(async (t) => {
    if (skip) return t.skip(skip);
    engine = await open();
    await registerClients(engine.storage);
    setup = serverOver(engine.storage);
  });
  afterEach(async () => {
    await engine?.close();
  });

  async function issue(request = clientCredentials()): Promise<TokenBody> {
    const response = await setup.server.handleTokenRequest(request);
    expect(response.status).toBe(200);
    return (await response.json()) as TokenBody;
  }

  const introspect = async (token: string, as = 'orders-api') =>
    (await (await setup.server.handleIntrospectionRequest(endpointPost('/introspect', { token }, as))).json()) as Record<string, unknown>;

  const revoke = async (token: string, as = 'app') => (await setup.server.handleRevocationRequest(endpointPost('/revoke', { token }, as))).status;

  it('issues a random Bearer token of 256 bits (RFC 6749 §5.1), stored only as its SHA-256 with its claims', async () => {
    const body = await issue();
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 600, scope: 'read' });
    expect(body.access_token).toMatch(OPAQUE);
    expect(body.access_token.split('.')).toHaveLength(1); // nothing a reader could decode
    const rows = await engine.rawAccessTokens();
    expect(rows).toHaveLength(1);
    // Neither the token nor its random part is in the database: a copy of it yields no usable token.
    expect(rows[0]).not.toContain(body.access_token.slice(4));
    expect(rows[0]).toContain(sha256(body.access_token));
    const record = await engine.storage.accessTokens.find(sha256(body.access_token));
    expect(record).toMatchObject({ clientId: 'app', scopes: ['read'], revoked: false });
    expect(record?.claims).toMatchObject({ iss: ISSUER, sub: 'client:app', aud: ISSUER, client_id: 'app', scope: 'read', jti: sha256(body.access_token) });
  });

  it('is accepted in-process by the resource server, with the claims a JWT would carry (RFC 9068 §2.2)', async () => {
    const body = await issue();
    const rs = await ResourceServer.forAuthorizationServer(setup.server);
    const claims = await rs.validateAuthenticatedRequest(apiRequest(body.access_token));
    const now = Math.floor(setup.clock.now() / 1000);
    expect(claims).toEqual({ iss: ISSUER, sub: 'client:app', aud: ISSUER, client_id: 'app', scope: 'read', iat: now, exp: now + 600, jti: sha256(body.access_token) });
  });

  it('is refused in-process at once after revocation (RFC 7009 §2), after expiry, and when unknown (RFC 6750 §3.1)', async () => {
    const [a, b] = [await issue(), await issue()];
    const rs = await ResourceServer.forAuthorizationServer(setup.server);
    await expect(rs.validateAuthenticatedRequest(apiRequest(a.access_token))).resolves.toBeDefined();
    expect(await revoke(a.access_token)).toBe(200);
    const revoked = await refusal(rs.validateAuthenticatedRequest(apiRequest(a.access_token)));
    expect(revoked.status).toBe(401);
    expect(revoked.challenge).toContain('error="invalid_token"');
    // The other token is untouched; it ends at its exp.
    await expect(rs.validateAuthenticatedRequest(apiRequest(b.access_token))).resolves.toBeDefined();
    setup.clock.advance(600);
    expect((await refusal(rs.validateAuthenticatedRequest(apiRequest(b.access_token)))).challenge).toContain('expired');
    const unknown = `gat_${'A'.repeat(43)}`;
    expect((await refusal(rs.validateAuthenticatedRequest(apiRequest(unknown)))).status).toBe(401);
  });

  it('is validated in storage even when the JWT revocation check is off', async () => {
    const body = await issue();
    const rs = await ResourceServer.forAuthorizationServer(setup.server, { checkRevocation: false });
    await expect(rs.validateAuthenticatedRequest(apiRequest(body.access_token))).resolves.toMatchObject({ client_id: 'app' });
    await revoke(body.access_token);
    expect((await refusal(rs.validateAuthenticatedRequest(apiRequest(body.access_token)))).status).toBe(401);
  });

  it('is active at introspection (RFC 7662 §2.2), then inactive after revocation', async () => {
    const body = await issue();
    const now = Math.floor(setup.clock.now() / 1000);
    expect(await introspect(body.access_token)).toEqual({
      active: true, scope: 'read', client_id: 'app', token_type: 'Bearer', exp: now + 600, iat: now, sub: 'client:app', aud: ISSUER, iss: ISSUER,
      jti: sha256(body.access_token),
    });
    // RFC 7662 §4: another client without the introspect permission learns nothing.
    expect(await introspect(body.access_token, 'jwt-app')).toEqual({ active: false });
    expect(await revoke(body.access_token)).toBe(200);
    expect(await introspect(body.access_token)).toEqual({ active: false });
  });

  it('is not revoked by another client (RFC 7009 §2.1), and its refresh token revokes it with the family', async () => {
    const body = await issue(tokenRequest({ grant_type: 'password', username: 'alice', password: 'wonderland-rabbit-hole', scope: 'read' }, { authorization: basic('app', CLIENT_SECRET) }));
    expect(body.refresh_token).toBeDefined();
    expect(await revoke(body.access_token, 'jwt-app')).toBe(200);
    expect((await introspect(body.access_token)).active).toBe(true);
    expect(await revoke(body.refresh_token!)).toBe(200);
    expect(await introspect(body.access_token)).toEqual({ active: false });
  });

  it('is revoked when its refresh token is rotated, and the new access token is opaque too (RFC 9700 §4.14.2)', async () => {
    const first = await issue(tokenRequest({ grant_type: 'password', username: 'alice', password: 'wonderland-rabbit-hole', scope: 'read' }, { authorization: basic('app', CLIENT_SECRET) }));
    const second = await issue(tokenRequest({ grant_type: 'refresh_token', refresh_token: first.refresh_token! }, { authorization: basic('app', CLIENT_SECRET) }));
    expect(second.access_token).toMatch(OPAQUE);
    const rs = await ResourceServer.forAuthorizationServer(setup.server);
    await expect(rs.validateAuthenticatedRequest(apiRequest(second.access_token))).resolves.toMatchObject({ sub: 'user-1', scope: 'read' });
    expect((await refusal(rs.validateAuthenticatedRequest(apiRequest(first.access_token)))).status).toBe(401);
  });

  it('follows each client\'s format: the server default for a client naming none, the client\'s own otherwise', async () => {
    expect((await issue(clientCredentials('plain-app'))).access_token.split('.')).toHaveLength(3); // default: jwt
    expect((await issue(clientCredentials('app'))).access_token).toMatch(OPAQUE);
    const opaqueByDefault = serverOver(engine.storage, { accessTokenFormat: 'opaque' });
    const issueOn = async (clientId: string) => ((await (await opaqueByDefault.server.handleTokenRequest(clientCredentials(clientId))).json()) as TokenBody).access_token;
    expect(await issueOn('plain-app')).toMatch(OPAQUE);
    expect((await issueOn('jwt-app')).split('.')).toHaveLength(3);
  });

  it('is seen revoked by a remote resource server within its introspection cache time, and at once without a cache', async () => {
    const body = await issue();
    const calls: string[] = [];
    const remote = (cacheTTL: number) =>
      new ResourceServer({
        issuer: ISSUER, audience: ISSUER, clock: setup.clock,
        introspection: {
          endpoint: `${ISSUER}/introspect`, clientId: 'orders-api', clientSecret: CLIENT_SECRET, cacheTTL,
          fetch: (request) => (calls.push(request.url), setup.server.handleIntrospectionRequest(request)),
        },
      });
    const cached = remote(30);
    const uncached = remote(0);
    await expect(cached.validateAuthenticatedRequest(apiRequest(body.access_token))).resolves.toMatchObject({ client_id: 'app', scope: 'read' });
    await expect(cached.validateAuthenticatedRequest(apiRequest(body.access_token))).resolves.toBeDefined();
    expect(calls).toHaveLength(1); // the second answer came from the cache
    await expect(uncached.validateAuthenticatedRequest(apiRequest(body.access_token))).resolves.toBeDefined();
    await revoke(body.access_token);
    expect((await refusal(uncached.validateAuthenticatedRequest(apiRequest(body.access_token)))).status).toBe(401);
    // Within the bound the cached answer may still be used; past it the revocation is seen.
    setup.clock.advance(29);
    await expect(cached.validateAuthenticatedRequest(apiRequest(body.access_token))).resolves.toBeDefined();
    setup.clock.advance(1);
    const refused = await refusal(cached.validateAuthenticatedRequest(apiRequest(body.access_token)));
    expect(refused.status).toBe(401);
    expect(refused.challenge).toContain('error="invalid_token"');
  });

  it('never uses a cached introspection answer past the token\'s exp', async () => {
    const body = await issue();
    let calls = 0;
    const rs = new ResourceServer({
      issuer: ISSUER, audience: ISSUER, clock: setup.clock, clockTolerance: 0,
      introspection: {
        endpoint: `${ISSUER}/introspect`, clientId: 'orders-api', clientSecret: CLIENT_SECRET, cacheTTL: 'PT1H',
        fetch: (request) => (calls++, setup.server.handleIntrospectionRequest(request)),
      },
    });
    await expect(rs.validateAuthenticatedRequest(apiRequest(body.access_token))).resolves.toBeDefined();
    setup.clock.advance(599);
    await expect(rs.validateAuthenticatedRequest(apiRequest(body.access_token))).resolves.toBeDefined();
    expect(calls).toBe(1);
    setup.clock.advance(1); // exp: the cache entry ends with the token
    expect((await refusal(rs.validateAuthenticatedRequest(apiRequest(body.access_token)))).challenge).toContain('error="invalid_token"');
    expect(calls).toBe(2);
  });
});
