// decodeJwt parses each header spelling once and shares it (a bounded cache); nothing about what is accepted changes.
import { describe, expect, it } from 'vitest';
import { encodeBase64url } from '../../src/tokens/base64url.js';
import { loadCryptoBackend } from '../../src/tokens/crypto/crypto-backend.js';
import { decodeJwt, signJwt, verifyJwt } from '../../src/tokens/jwt.js';
import { privateKeyPem } from '../support/fixtures.js';

describe('decodeJwt with remembered headers', () => {
  it('shares one frozen header per spelling, and still verifies every token on its own bytes', async () => {
    const key = await (await loadCryptoBackend()).importSigningKey(privateKeyPem, { alg: 'RS256', kid: 'k1' });
    const a = await signJwt(key, { sub: 'a' }, 'at+jwt');
    const b = await signJwt(key, { sub: 'b' }, 'at+jwt');
    const first = decodeJwt(a)!;
    const second = decodeJwt(b)!;
    expect(second.header).toBe(first.header);
    expect(Object.isFrozen(first.header)).toBe(true);
    expect(first.header).toEqual({ alg: 'RS256', typ: 'at+jwt', kid: 'k1' });
    expect(second.payload).toEqual({ sub: 'b' });

    // The remembered header lends nothing to a forgery: b's payload under a's signature fails.
    const [h, , s] = a.split('.');
    const swapped = `${h}.${b.split('.')[1]}.${s}`;
    expect(await verifyJwt(swapped, () => key)).toBeUndefined();
    expect(await verifyJwt(b, () => key)).toMatchObject({ payload: { sub: 'b' } });
  });

  it('refuses a header that is not a JSON object with alg, whatever was remembered before', () => {
    const payload = encodeBase64url(new TextEncoder().encode('{"sub":"x"}'));
    for (const header of ['{"typ":"JWT"}', '[1]', 'not json', '{"alg":7}']) {
      expect(decodeJwt(`${encodeBase64url(new TextEncoder().encode(header))}.${payload}.c2ln`)).toBeUndefined();
    }
  });
});
