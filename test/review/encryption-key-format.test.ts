import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadCryptoBackend } from '../../src/tokens/crypto/crypto-backend.js';
import { loadEncryptionKeys } from '../../src/tokens/encryption-keys.js';
import { CLIENT_SECRET, basic, createTestServer, mintTokens, serverOn, tokenRequest } from '../support/fixtures.js';

const bytes = randomBytes(32);

describe('encryption keys are exactly 32 random bytes (base64, base64url or hex)', () => {
  it.each([
    ['base64 with padding', bytes.toString('base64')],
    ['base64 without padding', bytes.toString('base64').replace(/=+$/, '')],
    ['base64url', bytes.toString('base64url')],
    ['base64: prefix', `base64:${bytes.toString('base64')}`],
    ['hex, lower case', bytes.toString('hex')],
    ['hex, upper case', bytes.toString('hex').toUpperCase()],
    ['raw bytes', new Uint8Array(bytes)],
  ])('accepts %s, and every form is the same key', async (_name, key) => {
    const t = await createTestServer({ encryptionKey: bytes.toString('base64') });
    const minted = await mintTokens(t);
    // A server on the same storage with the key in this form opens the refresh token sealed by the first.
    const other = serverOn(t.storage, t.clock, { encryptionKey: key });
    const { RefreshTokenGrant } = await import('../../src/grants/refresh-token-grant.js');
    other.enableGrantType(new RefreshTokenGrant(t.storage.refreshTokens), 'PT1H');
    const response = await other.handleTokenRequest(
      tokenRequest({ grant_type: 'refresh_token', refresh_token: minted.refresh_token! }, { authorization: basic('app', CLIENT_SECRET) }),
    );
    expect(response.status).toBe(200);
  });

  it.each([
    ['a passphrase of 32+ characters', 'correct horse battery staple, but longer'],
    ['a 43-character passphrase with spaces', 'this passphrase has spaces and 43 character'],
    ['16 bytes of base64', randomBytes(16).toString('base64')],
    ['33 bytes of base64', randomBytes(33).toString('base64')],
    ['31 bytes of hex', randomBytes(31).toString('hex')],
    ['hex with a stray character', `${randomBytes(31).toString('hex')}zz`],
    ['an empty base64: value', 'base64:'],
    ['16 raw bytes', new Uint8Array(16)],
    ['64 raw bytes', new Uint8Array(64)],
  ])('refuses %s with a TypeError that names the format and how to make one', async (_name, key) => {
    const crypto = await loadCryptoBackend();
    const error = await loadEncryptionKeys(crypto, key).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toMatch(/32 random bytes/);
    expect((error as Error).message).toMatch(/base64, base64url or hex/);
    expect((error as Error).message).toContain('openssl rand -base64 32');
  });

  it('refuses a passphrase at server start-up and in a rotation', async () => {
    const t = await createTestServer();
    const passphrase = 'a long operator passphrase that is no key';
    // Refused when the server is built (a sync check), not at the first request.
    expect(() => serverOn(t.storage, t.clock, { encryptionKey: passphrase })).toThrow(TypeError);
    await expect(t.server.rotateKeys({ encryptionKey: [{ key: passphrase }] })).rejects.toThrow(/32 random bytes/);
  });
});
