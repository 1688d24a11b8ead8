import { describe, expect, it } from 'vitest';
import { nodeCryptoBackend } from '../../src/tokens/crypto/node-crypto-backend.js';
import { webCryptoBackend } from '../../src/tokens/crypto/web-crypto-backend.js';
import { normalizeHtu, verifyDpopProof } from '../../src/tokens/dpop-proof.js';
import { DpopKey, ath } from './support/dpop-key.js';

const URL = 'https://api.example.test/orders';
const NOW = Date.parse('2026-06-01T00:00:00Z');
const iat = NOW / 1000;

describe('verifyDpopProof (RFC 9449 §4.3) on both crypto backends', () => {
  const keys = (['ES256', 'EdDSA', 'RS256', 'PS256'] as const).map((alg) => new DpopKey(alg));

  it.each([
    ['node:crypto', nodeCryptoBackend],
    ['Web Crypto', webCryptoBackend],
  ])('verifies proofs of every supported algorithm with %s, and refuses one signed by another key', async (_name, crypto) => {
    for (const key of keys) {
      const result = await verifyDpopProof(key.proof('GET', URL, { iat, ath: ath('tok') }), { method: 'GET', url: URL, now: NOW, accessToken: 'tok', crypto });
      expect(result, key.alg).toMatchObject({ valid: true, proof: { jkt: key.jkt, alg: key.alg, htm: 'GET' } });
      const forged = await verifyDpopProof(key.proof('GET', URL, { iat }, {}, new DpopKey(key.alg).privateKey), { method: 'GET', url: URL, now: NOW, crypto });
      expect(forged, key.alg).toEqual({ valid: false, reason: 'signature' });
    }
  });

  it('refuses an algorithm left out of the accepted list', async () => {
    const result = await verifyDpopProof(keys[2]!.proof('GET', URL, { iat }), { method: 'GET', url: URL, now: NOW, algorithms: ['ES256'] });
    expect(result).toEqual({ valid: false, reason: 'algorithm' });
  });

  it('normalises htu: case of scheme and host, default port, no query or fragment (RFC 9449 §4.3 item 9)', () => {
    expect(normalizeHtu('HTTPS://API.Example.test:443/orders?x=1#y')).toBe('https://api.example.test/orders');
    expect(normalizeHtu('https://api.example.test:8443/orders')).toBe('https://api.example.test:8443/orders');
    expect(normalizeHtu('urn:x')).toBeUndefined();
  });
});
