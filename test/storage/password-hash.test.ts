// User password hashes: scrypt through node:crypto (the default on Node, Bun and Deno) and PBKDF2-HMAC-SHA256
// through Web Crypto (the default where node:crypto is missing; test/runtimes/ checks that path inside workerd).
import { describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword } from '../../src/storage/password-hash.js';

describe('password hashes', () => {
  it('hashes with scrypt by default on Node, salted, and verifies only the right password', async () => {
    const [a, b] = await Promise.all([hashPassword('correct horse'), hashPassword('correct horse')]);
    expect(a).toMatch(/^scrypt\$16384\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword('correct horse', a)).toBe(true);
    expect(await verifyPassword('correct hors', a)).toBe(false);
  });

  it('hashes with PBKDF2-SHA256 when asked, in a format that names its iteration count', async () => {
    const hash = await hashPassword('correct horse', { scheme: 'pbkdf2-sha256' });
    expect(hash).toMatch(/^pbkdf2-sha256\$600000\$[\w-]{22}\$[\w-]{43}$/);
    expect(await verifyPassword('correct horse', hash)).toBe(true);
    expect(await verifyPassword('Correct horse', hash)).toBe(false);
  });

  it('verifies a PBKDF2 hash made with another iteration count (the count is read from the hash)', async () => {
    const hash = await hashPassword('pässword', { scheme: 'pbkdf2-sha256' });
    const [, , salt] = hash.split('$');
    // The same derivation with 1 000 iterations, computed here independently.
    const key = await crypto.subtle.importKey('raw', new TextEncoder().encode('pässword'.normalize('NFC')), 'PBKDF2', false, ['deriveBits']);
    const bits = await crypto.subtle.deriveBits(
      { name: 'PBKDF2', hash: 'SHA-256', salt: Buffer.from(salt!, 'base64url'), iterations: 1000 }, key, 256);
    const lower = `pbkdf2-sha256$1000$${salt}$${Buffer.from(bits).toString('base64url')}`;
    expect(await verifyPassword('pässword', lower)).toBe(true);
    // NFC and NFD spellings of the same password are the same password.
    expect(await verifyPassword('pa\u0308ssword', lower)).toBe(true);
    expect(await verifyPassword('password', lower)).toBe(false);
  });

  it.each([
    ['an unknown scheme', 'bcrypt$10$abc'],
    ['an empty string', ''],
    ['a PBKDF2 hash with a missing part', 'pbkdf2-sha256$600000$c2FsdHNhbHRzYWx0c2FsdA'],
    ['a PBKDF2 hash with a zero count', 'pbkdf2-sha256$0$c2FsdHNhbHRzYWx0c2FsdA$' + 'A'.repeat(43)],
    ['a PBKDF2 hash with an absurd count', 'pbkdf2-sha256$999999999$c2FsdHNhbHRzYWx0c2FsdA$' + 'A'.repeat(43)],
    ['a PBKDF2 hash with a short key', 'pbkdf2-sha256$1000$c2FsdHNhbHRzYWx0c2FsdA$AAAA'],
    ['a PBKDF2 hash that is not base64url', 'pbkdf2-sha256$1000$not base64!$' + 'A'.repeat(43)],
    ['an scrypt hash with an extra part', 'scrypt$16384$8$1$c2FsdHNhbHRzYWx0c2FsdA$' + 'A'.repeat(43) + '$x'],
  ])('never matches %s', async (_name, hash) => {
    expect(await verifyPassword('anything', hash)).toBe(false);
  });
});
