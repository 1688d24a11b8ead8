import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ResourceServer } from '../../src/core/resource-server.js';
import { RefreshTokenGrant } from '../../src/grants/refresh-token-grant.js';
import { RemoteJwks } from '../../src/tokens/remote-jwks.js';
import { encryptionKey, ISSUER, mintTokens, privateKeyPem, refreshRequest, serverOn, type TestServer } from '../support/fixtures.js';
import { apiRequest, createEndpointServer, formPost } from '../endpoints/support.js';

const keyA = { key: privateKeyPem, kid: 'key-a' };
const keyB = { key: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), kid: 'key-b' };

const kidOf = (jwt: string): unknown => JSON.parse(Buffer.from(jwt.split('.')[0]!, 'base64url').toString()).kid;
const jwksKids = async (t: TestServer) =>
  ((await (await t.server.handleJwksRequest(new Request(`${ISSUER}/.well-known/jwks.json`))).json()) as { keys: { kid: string; alg: string }[] }).keys.map((k) => `${k.kid}:${k.alg}`);
const introspect = async (t: TestServer, token: string) =>
  ((await (await t.server.handleIntrospectionRequest(formPost('/introspect', { token }))).json()) as { active: boolean }).active;

describe('signing key rotation without downtime', () => {
  it('add → publish → activate → retire: old tokens validate until the key is retired, new tokens carry the new kid', async () => {
    const t = await createEndpointServer({ privateKey: [{ ...keyA, status: 'active' }] });
    const local = await ResourceServer.forAuthorizationServer(t.server);
    // A resource server elsewhere, knowing only the JWKS URL (cached for the server's 300 s max-age).
    const remote = new ResourceServer({
      issuer: ISSUER,
      audience: ISSUER,
      clock: t.clock,
      keys: new RemoteJwks(`${ISSUER}/.well-known/jwks.json`, { clock: t.clock, fetch: (url) => t.server.handleJwksRequest(new Request(url)) }),
    });
    const validBoth = async (token: string) => {
      await expect(local.validateAuthenticatedRequest(apiRequest(token))).resolves.toMatchObject({ sub: 'user-1' });
      await expect(remote.validateAuthenticatedRequest(apiRequest(token))).resolves.toMatchObject({ sub: 'user-1' });
    };
    const oldToken = (await mintTokens(t)).access_token;
    expect(kidOf(oldToken)).toBe('key-a');
    await validBoth(oldToken);

    // 1. Publish the new key: in the JWKS, not signing yet. Wait for caches (max-age) before activating.
    await t.server.rotateKeys({ privateKey: [{ ...keyA, status: 'active' }, { ...keyB, status: 'published' }] });
    expect(await jwksKids(t)).toEqual(['key-a:RS256', 'key-b:ES256']);
    expect(kidOf((await mintTokens(t)).access_token)).toBe('key-a');
    t.clock.advance(301);

    // 2. Activate it; the old key stays published while tokens it signed are live.
    await t.server.rotateKeys({ privateKey: [{ ...keyB, status: 'active' }, { ...keyA, status: 'published' }] });
    const newToken = (await mintTokens(t)).access_token;
    expect(kidOf(newToken)).toBe('key-b');
    expect(await jwksKids(t)).toEqual(['key-b:ES256', 'key-a:RS256']);
    await validBoth(oldToken);
    await validBoth(newToken);
    expect(await introspect(t, oldToken)).toBe(true);

    // A restarted server configured with the same list accepts both too.
    const restarted = serverOn(t.storage, t.clock, { privateKey: [{ ...keyB, status: 'active' }, { ...keyA, status: 'published' }] });
    const afterRestart = await ResourceServer.forAuthorizationServer(restarted);
    await expect(afterRestart.validateAuthenticatedRequest(apiRequest(oldToken))).resolves.toBeDefined();

    // 3. Retire the old key once its tokens have expired (here: before, to show the cut-off).
    await t.server.rotateKeys({ privateKey: [{ ...keyB, status: 'active' }] });
    expect(await jwksKids(t)).toEqual(['key-b:ES256']);
    await expect(local.validateAuthenticatedRequest(apiRequest(oldToken))).rejects.toMatchObject({ code: 'invalid_token' });
    expect(await introspect(t, oldToken)).toBe(false);
    t.clock.advance(301); // the remote resource server's cached JWKS expires
    await expect(remote.validateAuthenticatedRequest(apiRequest(oldToken))).rejects.toMatchObject({ code: 'invalid_token' });
    await validBoth(newToken);
  });

  it('keeps the running keys when a rotation is invalid (TypeError, no half-applied state)', async () => {
    const t = await createEndpointServer({ privateKey: [{ ...keyA, status: 'active' }] });
    await expect(t.server.rotateKeys({ privateKey: [{ ...keyA, status: 'published' }, { ...keyB, status: 'published' }] })).rejects.toThrow(TypeError);
    await expect(t.server.rotateKeys({ encryptionKey: 'too short' })).rejects.toThrow(TypeError);
    expect(await jwksKids(t)).toEqual(['key-a:RS256']);
    const minted = await mintTokens(t);
    expect((await t.server.handleTokenRequest(refreshRequest(minted.refresh_token!))).status).toBe(200);
  });
});

describe('encryption key rotation without downtime', () => {
  const newKey = randomBytes(32).toString('base64');
  const sealKid = (token: string): unknown => JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()).kid;

  it('refresh tokens sealed before the rotation still refresh after it; new ones are sealed with the new key', async () => {
    const t = await createEndpointServer();
    const before = await mintTokens(t);
    const untouched = await mintTokens(t);

    // Newest first: the new key seals, the old one still opens.
    await t.server.rotateKeys({ encryptionKey: [{ key: newKey }, { key: encryptionKey }] });
    const res = await t.server.handleTokenRequest(refreshRequest(before.refresh_token!));
    expect(res.status).toBe(200);
    const after = (await res.json()) as { refresh_token: string };
    expect(sealKid(after.refresh_token)).not.toBe(sealKid(before.refresh_token!));
    expect(await introspect(t, untouched.refresh_token!)).toBe(true);

    // A restarted server with the same list opens both generations.
    const restarted = serverOn(t.storage, t.clock, { encryptionKey: [{ key: newKey }, { key: encryptionKey }] });
    restarted.enableGrantType(new RefreshTokenGrant(t.storage.refreshTokens));
    const viaRestart = await restarted.handleTokenRequest(refreshRequest(untouched.refresh_token!));
    expect(viaRestart.status).toBe(200);

    // Retiring the old key ends the tokens only it could open; tokens of the new key keep working.
    const sealedWithNew = await mintTokens(t);
    await t.server.rotateKeys({ encryptionKey: [{ key: newKey }] });
    expect((await t.server.handleTokenRequest(refreshRequest(after.refresh_token))).status).toBe(200);
    expect((await t.server.handleTokenRequest(refreshRequest(sealedWithNew.refresh_token!))).status).toBe(200);
  });

  it('a refresh token sealed only with a retired key is refused with invalid_grant', async () => {
    const t = await createEndpointServer();
    const old = await mintTokens(t);
    await t.server.rotateKeys({ encryptionKey: [{ key: newKey }] });
    const res = await t.server.handleTokenRequest(refreshRequest(old.refresh_token!));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'invalid_grant' });
  });
});
