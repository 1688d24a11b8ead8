import { describe, expect, it } from 'vitest';
import { isValidCodeChallenge, isValidCodeVerifier, verifyCodeVerifier } from '../../src/grants/pkce.js';
import { USER_CODE_ALPHABET, formatUserCode, generateUserCode, normalizeUserCode } from '../../src/grants/user-code.js';
import { loadCryptoBackend } from '../../src/tokens/crypto/crypto-backend.js';
import { webCryptoBackend } from '../../src/tokens/crypto/web-crypto-backend.js';
import { CHALLENGE, VERIFIER } from './helpers.js';

describe('user codes (RFC 8628 §6.1)', () => {
  it('draws only from the consonant alphabet, skipping bytes that would bias the modulo', () => {
    // 240 and above are rejected: 256 is not a multiple of 20.
    const bytes = [255, 240, 0, 19, 20, 239, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    const code = generateUserCode((n) => Uint8Array.from(bytes.slice(0, n)), 8);
    expect(code).toBe('BZBZCDFG'); // 0→B, 19→Z, 20→B, 239→Z, 1→C, 2→D, 3→F, 4→G
  });

  it('has 8 characters of the alphabet by default', () => {
    for (let i = 0; i < 50; i++) {
      expect(generateUserCode((n) => crypto.getRandomValues(new Uint8Array(n)))).toMatch(new RegExp(`^[${USER_CODE_ALPHABET}]{8}$`));
    }
  });

  it('ignores case, spaces and dashes in what the user types', () => {
    expect(normalizeUserCode(' wdjb-mjht ')).toBe('WDJBMJHT');
    expect(normalizeUserCode('WDJB MJHT')).toBe('WDJBMJHT');
    expect(formatUserCode('WDJBMJHT')).toBe('WDJB-MJHT');
  });
});

describe('PKCE (RFC 7636)', () => {
  it.each([
    ['node:crypto', loadCryptoBackend],
    ['Web Crypto', () => Promise.resolve(webCryptoBackend)],
  ])('verifies the Appendix B vector with S256 and rejects a near miss (%s)', async (_name, load) => {
    const crypto = await load();
    expect(await verifyCodeVerifier(crypto, VERIFIER, CHALLENGE, 'S256')).toBe(true);
    expect(await verifyCodeVerifier(crypto, VERIFIER.replace('d', 'e'), CHALLENGE, 'S256')).toBe(false);
    expect(await verifyCodeVerifier(crypto, VERIFIER, VERIFIER, 'plain')).toBe(true);
    expect(await verifyCodeVerifier(crypto, VERIFIER, CHALLENGE, 'plain')).toBe(false);
  });

  it.each([
    ['a'.repeat(43), true],
    ['a'.repeat(128), true],
    ['a'.repeat(42), false],
    ['a'.repeat(129), false],
    [`${'a'.repeat(40)}-._~`, true],
    [`${'a'.repeat(42)}=`, false],
    [`${'a'.repeat(42)}é`, false],
  ])('checks verifier syntax (RFC 7636 §4.1): %s → %s', (verifier, ok) => {
    expect(isValidCodeVerifier(verifier)).toBe(ok);
  });

  it('wants a 43-character base64url S256 challenge', () => {
    expect(isValidCodeChallenge(CHALLENGE, 'S256')).toBe(true);
    expect(isValidCodeChallenge(`${CHALLENGE}=`, 'S256')).toBe(false);
    expect(isValidCodeChallenge(VERIFIER.slice(0, 42) + '.', 'S256')).toBe(false);
  });
});
