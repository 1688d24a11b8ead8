import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ResourceServer } from '../../src/core/resource-server.js';
import { RemoteJwks } from '../../src/tokens/remote-jwks.js';
import { ISSUER, mintTokens, privateKeyPem, type TestServer } from '../support/fixtures.js';
import { apiRequest, createEndpointServer } from '../endpoints/support.js';

const ecKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

/** A fetch that asks the authorization server's JWKS endpoint, counting calls; `down` makes it fail. */
function jwksFetch(t: TestServer, headers: Record<string, string> = {}) {
  const state = { calls: 0, down: false };
  const fetch = async (url: string): Promise<Response> => {
    state.calls++;
    if (state.down) throw new TypeError('fetch failed');
    const res = await t.server.handleJwksRequest(new Request(url));
    return new Response(res.body, { status: res.status, headers: { ...Object.fromEntries(res.headers), ...headers } });
  };
  return { state, fetch };
}

async function setup(headers?: Record<string, string>, options: { cooldown?: number } = {}) {
  const t = await createEndpointServer({ publicCacheMaxAge: 300 });
  const { state, fetch } = jwksFetch(t, headers);
  const jwks = new RemoteJwks(`${ISSUER}/.well-known/jwks.json`, { fetch, clock: t.clock, ...options });
  const rs = new ResourceServer({ issuer: ISSUER, audience: ISSUER, keys: jwks, clock: t.clock });
  const validate = async (token: string) => rs.validateAuthenticatedRequest(apiRequest(token));
  return { t, state, rs, validate };
}

describe('RemoteJwks', () => {
  it('caches the key set for the Cache-Control max-age and fetches it again after', async () => {
    const { t, state, validate } = await setup();
    const token = (await mintTokens(t)).access_token;
    await validate(token);
    await validate(token);
    expect(state.calls).toBe(1);
    t.clock.advance(299);
    await validate((await mintTokens(t)).access_token);
    expect(state.calls).toBe(1);
    t.clock.advance(2);
    await validate((await mintTokens(t)).access_token);
    expect(state.calls).toBe(2);
  });

  it('subtracts the Age header from max-age (RFC 9111 §4.2.3)', async () => {
    const { t, state, validate } = await setup({ 'cache-control': 'public, max-age=300', age: '250' });
    await validate((await mintTokens(t)).access_token);
    t.clock.advance(60);
    await validate((await mintTokens(t)).access_token);
    expect(state.calls).toBe(2);
  });

  it('fetches again once for a token with an unknown kid, then not again within the cooldown', async () => {
    const { t, state, validate } = await setup();
    await validate((await mintTokens(t)).access_token);
    expect(state.calls).toBe(1);
    t.clock.advance(31);
    // A new key published and activated on the server: the cached set does not know its kid yet.
    await t.server.rotateKeys({ privateKey: [{ key: ecKey, status: 'active' }, { key: privateKeyPem, status: 'published' }] });
    const fresh = (await mintTokens(t)).access_token;
    await expect(validate(fresh)).resolves.toMatchObject({ sub: 'user-1' });
    expect(state.calls).toBe(2);
    // A forged kid triggers no further fetch within the cooldown.
    const [h, p, s] = fresh.split('.');
    const header = JSON.parse(Buffer.from(h!, 'base64url').toString());
    const forged = [Buffer.from(JSON.stringify({ ...header, kid: 'forged' })).toString('base64url'), p, s].join('.');
    for (let i = 0; i < 5; i++) await expect(validate(forged)).rejects.toMatchObject({ code: 'invalid_token' });
    expect(state.calls).toBe(2);
  });

  it('rate-limits refetches for unknown kids right after a fetch (cooldown)', async () => {
    const { t, state, validate } = await setup(undefined, { cooldown: 30 });
    await validate((await mintTokens(t)).access_token);
    await t.server.rotateKeys({ privateKey: [{ key: ecKey, status: 'active' }, { key: privateKeyPem, status: 'published' }] });
    const fresh = (await mintTokens(t)).access_token;
    await expect(validate(fresh)).rejects.toMatchObject({ code: 'invalid_token' });
    expect(state.calls).toBe(1);
    t.clock.advance(30);
    await expect(validate(fresh)).resolves.toBeDefined();
    expect(state.calls).toBe(2);
  });

  it('keeps serving the last good key set when a refresh fails', async () => {
    const { t, state, validate } = await setup();
    await validate((await mintTokens(t)).access_token);
    state.down = true;
    t.clock.advance(301);
    await expect(validate((await mintTokens(t)).access_token)).resolves.toBeDefined();
    expect(state.calls).toBe(2);
  });

  it('treats no-store as a zero lifetime but still fetches at most once per cooldown', async () => {
    const { t, state, validate } = await setup({ 'cache-control': 'no-store' });
    const token = (await mintTokens(t)).access_token;
    for (let i = 0; i < 3; i++) await validate(token);
    expect(state.calls).toBe(1);
    t.clock.advance(30);
    await validate(token);
    expect(state.calls).toBe(2);
  });

  it('shares one fetch among concurrent first requests', async () => {
    const { t, state, validate } = await setup();
    const token = (await mintTokens(t)).access_token;
    await Promise.all(Array.from({ length: 10 }, () => validate(token)));
    expect(state.calls).toBe(1);
  });

  it('ignores encryption keys and keys of unknown types in the set (RFC 7517 §5)', async () => {
    const t = await createEndpointServer();
    const { keys } = await t.server.jwks();
    const body = JSON.stringify({ keys: [{ ...keys[0], use: 'enc' }, { kty: 'oct', k: 'AAAA', kid: keys[0]!.kid }] });
    const jwks = new RemoteJwks('https://a.test/jwks', { fetch: async () => new Response(body), clock: t.clock });
    const rs = new ResourceServer({ issuer: ISSUER, audience: ISSUER, keys: jwks, clock: t.clock });
    await expect(rs.validateAuthenticatedRequest(apiRequest((await mintTokens(t)).access_token))).rejects.toMatchObject({ code: 'invalid_token' });
  });

  const keyOf = (type: 'rsa' | 'ec' | 'ed25519') =>
    (type === 'ec' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : type === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ed25519'))
      .privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  it.each([
    ['RS256', 'rsa', true],
    ['PS256', 'rsa', true],
    ['ES256', 'ec', true],
    ['EdDSA', 'ed25519', true],
    ['RS256', 'rsa', false],
    ['ES256', 'ec', false],
    ['EdDSA', 'ed25519', false],
  ] as const)('verifies %s tokens from a JWKS (key type %s, alg member published: %s)', async (alg, type, withAlg) => {
    const t = await createEndpointServer({ privateKey: [{ key: keyOf(type), alg, status: 'active' }] });
    const fetch = async () => {
      const { keys } = await t.server.jwks();
      return Response.json({ keys: keys.map(({ alg: _alg, ...k }) => (withAlg ? { ...k, alg: _alg } : k)) });
    };
    const rs = new ResourceServer({ issuer: ISSUER, audience: ISSUER, clock: t.clock, keys: new RemoteJwks('https://a.test/jwks', { fetch, clock: t.clock }) });
    await expect(rs.validateAuthenticatedRequest(apiRequest((await mintTokens(t)).access_token))).resolves.toMatchObject({ sub: 'user-1' });
  });

  it('refuses a non-http(s) JWKS URL at construction', () => {
    expect(() => new RemoteJwks('file:///etc/passwd')).toThrow(TypeError);
  });
});
