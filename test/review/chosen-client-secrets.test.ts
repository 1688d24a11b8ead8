import { describe, expect, it } from 'vitest';
import { generateClientSecret, hashClientSecret, verifyClientSecret } from '../../src/contracts/client-secret.js';
import { ClientCredentialsGrant } from '../../src/grants/client-credentials-grant.js';
import { basic, createTestServer, tokenRequest } from '../support/fixtures.js';

describe('client secrets: generated ones on a fast hash, short chosen ones on a slow salted hash', () => {
  it('keeps a generated 256-bit secret on SHA-256', async () => {
    const secret = await generateClientSecret();
    const hash = await hashClientSecret(secret);
    expect(hash).toMatch(/^sha256\$[A-Za-z0-9_-]{43}$/);
    expect(await verifyClientSecret(secret, hash)).toBe(true);
  });

  it('stores a short chosen secret under salted PBKDF2, never under a bare SHA-256', async () => {
    const hash = await hashClientSecret('secret');
    expect(hash).toMatch(/^pbkdf2-sha256\$600000\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(hash).not.toContain('secret');
    // Salted: the same secret hashes differently each time, so one table of guesses cannot serve every row.
    expect(await hashClientSecret('secret')).not.toBe(hash);
    expect(await verifyClientSecret('secret', hash)).toBe(true);
    expect(await verifyClientSecret('secreT', hash)).toBe(false);
  });

  it.each([
    ['31 characters', 'a'.repeat(31), 'pbkdf2-sha256$'],
    ['a 22-character base64url string (132 bits, but a chosen length)', 'Zm9vYmFyYmF6cXV4cXV1eA', 'pbkdf2-sha256$'],
    ['32 characters', 'b'.repeat(32), 'sha256$'],
  ])('draws the line at 32 characters: %s', async (_name, secret, prefix) => {
    expect((await hashClientSecret(secret)).startsWith(prefix)).toBe(true);
  });

  it('refuses an empty secret', async () => {
    await expect(hashClientSecret('')).rejects.toThrow(TypeError);
  });

  it('never matches a malformed slow hash', async () => {
    for (const bad of ['pbkdf2-sha256$', 'pbkdf2-sha256$0$c2FsdA$aGFzaA', 'pbkdf2-sha256$x$c2FsdA$aGFzaA', 'pbkdf2-sha256$600000$$']) {
      expect(await verifyClientSecret('secret', bad)).toBe(false);
    }
  });

  it('authenticates a client whose short chosen secret was imported (token endpoint)', async () => {
    const t = await createTestServer();
    t.server.enableGrantType(new ClientCredentialsGrant(), 'PT1H');
    const app = (await t.storage.clients.getClient('app'))!;
    t.storage.clients.clients.set('legacy', { ...app, id: 'legacy', secretHash: await hashClientSecret('legacy-pw') });
    const ok = await t.server.handleTokenRequest(tokenRequest({ grant_type: 'client_credentials' }, { authorization: basic('legacy', 'legacy-pw') }));
    expect(ok.status).toBe(200);
    const bad = await t.server.handleTokenRequest(tokenRequest({ grant_type: 'client_credentials' }, { authorization: basic('legacy', 'legacy-pX') }));
    expect(bad.status).toBe(401);
    expect(((await bad.json()) as { error: string }).error).toBe('invalid_client');
  });
});
