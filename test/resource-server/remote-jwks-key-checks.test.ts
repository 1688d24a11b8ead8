import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RemoteJwks } from '../../src/tokens/remote-jwks.js';

const rsa1024 = generateKeyPairSync('rsa', { modulusLength: 1024 });
const rsa2048 = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });

const jwk = (key: KeyObject, extra: Record<string, unknown>) => ({ ...key.export({ format: 'jwk' }), ...extra });

/** The key set the local JWKS server publishes: every key but `good*` is one jose refuses. */
const KEYS = [
  jwk(rsa1024.publicKey, { kid: 'rsa-1024', use: 'sig', alg: 'RS256' }),
  jwk(rsa2048.publicKey, { kid: 'use-enc', use: 'enc' }),
  jwk(rsa2048.publicKey, { kid: 'use-other', use: 'other' }),
  jwk(rsa2048.publicKey, { kid: 'ops-sign-only', key_ops: ['sign'] }),
  jwk(rsa2048.publicKey, { kid: 'ops-encrypt', key_ops: ['encrypt', 'wrapKey'] }),
  jwk(rsa2048.publicKey, { kid: 'ops-not-a-list', key_ops: 'verify' }),
  jwk(ec.publicKey, { kid: 'ec-ops-sign', key_ops: ['sign'] }),
  jwk(rsa2048.publicKey, { kid: 'good-rsa', use: 'sig', key_ops: ['verify'] }),
  jwk(rsa2048.publicKey, { kid: 'good-rsa-bare' }),
  jwk(ec.publicKey, { kid: 'good-ec', use: 'sig', alg: 'ES256' }),
];

let server: Server;
let url: string;

beforeAll(async () => {
  server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/jwk-set+json', 'cache-control': 'max-age=300' });
    res.end(JSON.stringify({ keys: KEYS }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('RemoteJwks refuses weak or mis-purposed keys, as jose does', () => {
  it.each([
    ['an RSA key under 2048 bits', 'rsa-1024', 'RS256'],
    ['use "enc" (RFC 7517 §4.2)', 'use-enc', 'RS256'],
    ['a use other than "sig"', 'use-other', 'RS256'],
    ['key_ops without "verify" (RFC 7517 §4.3)', 'ops-sign-only', 'RS256'],
    ['key_ops for encryption only', 'ops-encrypt', 'PS256'],
    ['key_ops that is not a list', 'ops-not-a-list', 'RS256'],
    ['an EC key whose key_ops forbid verify', 'ec-ops-sign', 'ES256'],
  ])('does not verify with %s', async (_name, kid, alg) => {
    const jwks = new RemoteJwks(url);
    expect(await jwks.resolve(kid, alg)).toBeUndefined();
  });

  it.each([
    ['RSA 2048 with use "sig" and key_ops ["verify"]', 'good-rsa', 'RS256', rsa2048.privateKey],
    ['RSA 2048 without use or key_ops', 'good-rsa-bare', 'RS256', rsa2048.privateKey],
    ['P-256 with use "sig"', 'good-ec', 'ES256', ec.privateKey],
  ])('verifies with %s', async (_name, kid, alg, privateKey) => {
    const jwks = new RemoteJwks(url);
    const key = await jwks.resolve(kid, alg);
    expect(key).toBeDefined();
    const data = Buffer.from('header.payload');
    const signature = alg === 'ES256' ? sign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' }) : sign('sha256', data, privateKey);
    expect(await key!.verify(data, signature)).toBe(true);
    expect(await key!.verify(Buffer.from('header.payloaD'), signature)).toBe(false);
  });
});
