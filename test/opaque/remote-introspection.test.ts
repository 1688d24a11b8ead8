import { describe, expect, it } from 'vitest';
import { OAuthError } from '../../src/contracts/oauth-error.js';
import { ResourceServer } from '../../src/core/resource-server.js';
import type { IntrospectionOptions } from '../../src/core/remote-introspection.js';
import { createMemoryStorage } from '../../src/storage/memory/index.js';
import { testClock } from '../support/fixtures.js';
import { apiRequest } from './support.js';

const ISSUER = 'https://as.example.test';
const API = 'https://api.example.test';
const TOKEN = `gat_${'x'.repeat(43)}`;

/** An introspection endpoint double: answers `body` (or `status`), and records each request it gets. */
function endpoint(answer: () => { status?: number; body?: unknown }) {
  const requests: Request[] = [];
  const fetch = async (request: Request): Promise<Response> => {
    requests.push(request);
    const { status = 200, body } = answer();
    return new Response(typeof body === 'string' ? body : JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  };
  return { requests, fetch };
}

function activeAnswer(now: number, over: Record<string, unknown> = {}): Record<string, unknown> {
  const s = Math.floor(now / 1000);
  return { active: true, token_type: 'Bearer', iss: ISSUER, aud: API, sub: 'user-1', client_id: 'app', scope: 'read', iat: s, exp: s + 600, ...over };
}

function remote(fetch: NonNullable<IntrospectionOptions['fetch']>, clock = testClock(), options: Partial<IntrospectionOptions> = {}) {
  return new ResourceServer({
    issuer: ISSUER, audience: API, clock,
    introspection: { endpoint: `${ISSUER}/introspect`, clientId: 'orders api', clientSecret: 's3cr:et+', fetch, ...options },
  });
}

async function refusal(promise: Promise<unknown>): Promise<{ status: number; challenge: string; body: string }> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(OAuthError);
  const res = (error as OAuthError).toResponse();
  return { status: res.status, challenge: res.headers.get('www-authenticate') ?? '', body: await res.text() };
}

describe('ResourceServer with RFC 7662 introspection', () => {
  it('posts the token with HTTP Basic client authentication (RFC 7662 §2.1, RFC 6749 §2.3.1) and returns the claims', async () => {
    const clock = testClock();
    const as = endpoint(() => ({ body: activeAnswer(clock.now(), { tenant: 't1' }) }));
    const claims = await remote(as.fetch, clock).validateAuthenticatedRequest(apiRequest(TOKEN));
    expect(claims).toMatchObject({ iss: ISSUER, sub: 'user-1', client_id: 'app', scope: 'read', tenant: 't1' });
    expect(claims).not.toHaveProperty('active');
    const [request] = as.requests;
    expect(request!.method).toBe('POST');
    expect(request!.url).toBe(`${ISSUER}/introspect`);
    expect(request!.headers.get('authorization')).toBe(`Basic ${btoa('orders+api:s3cr%3Aet%2B')}`);
    expect(request!.headers.get('content-type')).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(await request!.text()))).toEqual({ token: TOKEN, token_type_hint: 'access_token' });
  });

  it.each<[string, Record<string, unknown>]>([
    ['inactive', { active: false }],
    ['a refresh token (no token_type)', { token_type: undefined }],
    ['another token type', { token_type: 'N_A' }],
    ['another issuer', { iss: 'https://evil.example.test' }],
    ['another audience', { aud: 'https://other-api.example.test' }],
    ['no audience', { aud: undefined }],
    ['expired by its exp', { exp: 1 }],
    ['no sub', { sub: undefined }],
  ])('refuses a token whose answer is %s with 401 invalid_token (RFC 6750 §3.1)', async (_name, over) => {
    const clock = testClock();
    const body = over.active === false ? over : activeAnswer(clock.now(), over);
    const refused = await refusal(remote(endpoint(() => ({ body })).fetch, clock).validateAuthenticatedRequest(apiRequest(TOKEN)));
    expect(refused.status).toBe(401);
    expect(refused.challenge).toContain('error="invalid_token"');
  });

  it.each([
    ['answers 401 (the resource server\'s own credentials are wrong)', { status: 401, body: { error: 'invalid_client' } }],
    ['answers 500', { status: 500, body: 'oops' }],
    ['answers something that is not RFC 7662 JSON', { body: '<html>' }],
  ])('answers 503 temporarily_unavailable when the endpoint %s, and caches nothing', async (_name, answer) => {
    let failing = true;
    const clock = testClock();
    const as = endpoint(() => (failing ? answer : { body: activeAnswer(clock.now()) }));
    const rs = remote(as.fetch, clock);
    const refused = await refusal(rs.validateAuthenticatedRequest(apiRequest(TOKEN)));
    expect(refused.status).toBe(503);
    expect(JSON.parse(refused.body)).toMatchObject({ error: 'temporarily_unavailable' });
    failing = false;
    await expect(rs.validateAuthenticatedRequest(apiRequest(TOKEN))).resolves.toBeDefined();
  });

  it('answers 503 when the endpoint cannot be reached', async () => {
    const rs = remote(async () => {
      throw new TypeError('fetch failed');
    });
    expect((await refusal(rs.validateAuthenticatedRequest(apiRequest(TOKEN)))).status).toBe(503);
  });

  it('reuses an inactive answer for at most 5 seconds', async () => {
    const clock = testClock();
    let active = false;
    const as = endpoint(() => ({ body: active ? activeAnswer(clock.now()) : { active: false } }));
    const rs = remote(as.fetch, clock);
    expect((await refusal(rs.validateAuthenticatedRequest(apiRequest(TOKEN)))).status).toBe(401);
    active = true;
    clock.advance(4);
    expect((await refusal(rs.validateAuthenticatedRequest(apiRequest(TOKEN)))).status).toBe(401);
    expect(as.requests).toHaveLength(1);
    clock.advance(1);
    await expect(rs.validateAuthenticatedRequest(apiRequest(TOKEN))).resolves.toBeDefined();
    expect(as.requests).toHaveLength(2);
  });

  it('asks once for concurrent requests with one token, and keeps at most maxCacheEntries answers', async () => {
    const clock = testClock();
    const as = endpoint(() => ({ body: activeAnswer(clock.now()) }));
    const rs = remote(as.fetch, clock, { maxCacheEntries: 2 });
    await Promise.all(Array.from({ length: 5 }, () => rs.validateAuthenticatedRequest(apiRequest(TOKEN))));
    expect(as.requests).toHaveLength(1);
    const others = [`gat_${'y'.repeat(43)}`, `gat_${'z'.repeat(43)}`];
    for (const token of others) await rs.validateAuthenticatedRequest(apiRequest(token));
    expect(as.requests).toHaveLength(3);
    await rs.validateAuthenticatedRequest(apiRequest(TOKEN)); // the oldest answer was dropped
    expect(as.requests).toHaveLength(4);
  });

  it('refuses a token over 8 KiB without sending it to the endpoint', async () => {
    const as = endpoint(() => ({ body: { active: false } }));
    expect((await refusal(remote(as.fetch).validateAuthenticatedRequest(apiRequest('a'.repeat(8193))))).status).toBe(401);
    expect(as.requests).toHaveLength(0);
  });

  it('introspects JWT-shaped tokens too when it has no keys', async () => {
    const clock = testClock();
    const as = endpoint(() => ({ body: activeAnswer(clock.now()) }));
    await expect(remote(as.fetch, clock).validateAuthenticatedRequest(apiRequest('eyJh.eyJz.c2ln'))).resolves.toMatchObject({ sub: 'user-1' });
    expect(as.requests).toHaveLength(1);
  });
});

describe('ResourceServer options for opaque tokens', () => {
  it.each<[string, Record<string, unknown>, RegExp]>([
    ['nothing to check tokens with', {}, /keys or jwksUri .*introspection or accessTokens/],
    ['both keys and jwksUri', { keys: { resolve: async () => undefined }, jwksUri: `${ISSUER}/jwks` }, /not both/],
    ['introspection without a secret or fetch', { introspection: { endpoint: `${ISSUER}/introspect`, clientId: 'rs' } }, /clientSecret/],
    ['introspection at a non-http URL', { introspection: { endpoint: 'ftp://as/introspect', clientId: 'rs', clientSecret: 's' } }, /http\(s\) URL/],
  ])('refuses %s with a TypeError', (_name, options, message) => {
    expect(() => new ResourceServer({ issuer: ISSUER, audience: API, ...options })).toThrow(message);
  });

  it('with only an access-token repository, refuses a JWT-shaped token as invalid, not as a server error', async () => {
    const rs = new ResourceServer({ issuer: ISSUER, audience: API, accessTokens: createMemoryStorage().accessTokens });
    const refused = await refusal(rs.validateAuthenticatedRequest(apiRequest('eyJh.eyJz.c2ln')));
    expect(refused.status).toBe(401);
    expect(refused.challenge).toContain('error="invalid_token"');
  });
});
