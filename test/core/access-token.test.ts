import { generateKeyPairSync } from 'node:crypto';
import { createLocalJWKSet, decodeProtectedHeader, importSPKI, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { ISSUER, createTestServer, mintTokens, publicKeyPem, refreshRequest } from '../support/fixtures.js';

const REQUIRED_CLAIMS = ['iss', 'sub', 'aud', 'client_id', 'scope', 'iat', 'exp', 'jti'];

describe('access tokens (RFC 9068)', () => {
  it('verify with a plain JWT library against the public key, with typ at+jwt and every RFC 9068 claim', async () => {
    const t = await createTestServer();
    const minted = await mintTokens(t);
    const res = await t.server.handleTokenRequest(refreshRequest(minted.refresh_token!));
    const { access_token } = (await res.json()) as { access_token: string };
    const { payload, protectedHeader } = await jwtVerify(access_token, await importSPKI(publicKeyPem, 'RS256'), {
      issuer: ISSUER,
      audience: ISSUER,
      typ: 'at+jwt',
      algorithms: ['RS256'],
      currentDate: new Date(t.clock.now()),
    });
    expect(protectedHeader.kid).toBe((await t.server.context()).signingKeys.active.kid);
    for (const claim of REQUIRED_CLAIMS) expect(payload).toHaveProperty(claim);
    expect(payload.exp! - payload.iat!).toBe(3600);
    expect(payload).toMatchObject({ sub: 'user-1', client_id: 'app', scope: 'read write' });
  });

  it.each([
    ['ES256', generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, undefined],
    ['EdDSA', generateKeyPairSync('ed25519').privateKey, undefined],
    ['PS256', generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey, 'PS256' as const],
  ])('signs with %s when given such a key, verifiable through the JWKS', async (alg, privateKey, signingAlgorithm) => {
    const t = await createTestServer({ privateKey, ...(signingAlgorithm ? { signingAlgorithm } : {}) });
    const { access_token } = await mintTokens(t);
    const ctx = await t.server.context();
    const jwks = createLocalJWKSet(ctx.signingKeys.jwks());
    const { payload } = await jwtVerify(access_token, jwks, { currentDate: new Date(t.clock.now()), typ: 'at+jwt' });
    expect(decodeProtectedHeader(access_token).alg).toBe(alg);
    expect(payload.iss).toBe(ISSUER);
  });

  it.each([
    ['a passphrase-protected PEM', () => {
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      return { pem: privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pw' }).toString(), passphrase: 'pw' };
    }],
    ['a private JWK', () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' })],
    ['a KeyObject', () => generateKeyPairSync('ed25519').privateKey],
  ])('accepts %s as the private key', async (_, make) => {
    const t = await createTestServer({ privateKey: make() as never });
    const { access_token } = await mintTokens(t);
    expect(access_token.split('.')).toHaveLength(3);
  });

  it.each([
    ['a public key', () => publicKeyPem],
    ['a 1024-bit RSA key', () => generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey],
    ['an EdDSA key asked to sign RS256', () => generateKeyPairSync('ed25519').privateKey, 'RS256' as const],
  ])('refuses %s at start-up with a TypeError', async (_, make, signingAlgorithm?: 'RS256') => {
    // At construction (what can be checked without I/O) or when the keys are imported: never at the first request.
    const startUp = async () => {
      const t = await createTestServer({ privateKey: make() as never, ...(signingAlgorithm ? { signingAlgorithm } : {}) });
      await t.server.ready();
    };
    await expect(startUp()).rejects.toThrow(TypeError);
  });

  it('adds custom claims from the hook but never lets it override registered claims', async () => {
    const t = await createTestServer({
      customClaims: ({ userId }) => ({ tenant: 'acme', sub: 'evil', iss: 'https://evil.example', user_hint: userId }),
    });
    const { access_token } = await mintTokens(t);
    const { payload } = await jwtVerify(access_token, await importSPKI(publicKeyPem, 'RS256'), { currentDate: new Date(t.clock.now()) });
    expect(payload).toMatchObject({ tenant: 'acme', sub: 'user-1', iss: ISSUER, user_hint: 'user-1' });
  });
});
