import { describe, expect, it, vi } from 'vitest';
import { webCryptoBackend } from '../../src/tokens/crypto/web-crypto-backend.js';
import { ResourceServer } from '../../src/core/resource-server.js';
import { keySetResolver } from '../../src/tokens/key-resolver.js';
import { CLIENT_SECRET, basic, createTestServer, mintTokens, privateKeyPem, tokenRequest } from '../support/fixtures.js';
import { apiRequest } from '../endpoints/support.js';

// Force the portable backend on Node, as on workerd with nodejs_compat (where globalThis.Buffer exists too).
vi.mock('../../src/tokens/crypto/crypto-backend.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../src/tokens/crypto/crypto-backend.js')>();
  const { webCryptoBackend: web } = await import('../../src/tokens/crypto/web-crypto-backend.js');
  return { ...original, loadCryptoBackend: () => Promise.resolve(web) };
});

/** A small Buffer: Node takes it from the shared 8 KiB pool, so its `.buffer` is the whole pool. */
const pooled = (text: string): Buffer => Buffer.from(text);

describe('the Web Crypto backend on Buffer and Uint8Array-view inputs', () => {
  it('is the Buffer pool case this test means to cover', () => {
    const b = pooled('signing input');
    expect(b.buffer.byteLength).toBeGreaterThan(b.byteLength);
  });

  it('signs and verifies pooled Buffers and views into larger buffers', async () => {
    const key = await webCryptoBackend.importSigningKey(privateKeyPem, { alg: 'RS256' });
    const data = pooled('header.payload');
    const signature = Buffer.from(await key.sign(data));
    expect(await key.verify(data, signature)).toBe(true);
    const view = new Uint8Array(64).subarray(8, 8 + data.length);
    view.set(data);
    expect(await key.verify(view, signature)).toBe(true);
    expect(await key.verify(pooled('header.payloaD'), signature)).toBe(false);
  });

  it('seals and opens with Buffer key, plaintext and associated data', async () => {
    const key = await webCryptoBackend.importAeadKey(Buffer.from('a'.repeat(64), 'hex'), 'k1');
    const sealed = await key.encrypt(pooled('refresh token payload'), pooled('aad'));
    const opened = await key.decrypt(Buffer.from(sealed.iv), Buffer.from(sealed.ciphertext), Buffer.from(sealed.tag), pooled('aad'));
    expect(opened && Buffer.from(opened).toString()).toBe('refresh token payload');
    expect(await key.decrypt(Buffer.from(sealed.iv), Buffer.from(sealed.ciphertext), Buffer.from(sealed.tag), pooled('other'))).toBeUndefined();
  });

  it('issues, refreshes and verifies tokens end to end through the Web Crypto backend', async () => {
    const t = await createTestServer({ signingAlgorithm: 'RS256' });
    const ctx = await t.server.context();
    expect(ctx.crypto).toBe(webCryptoBackend);
    const first = await mintTokens(t);
    // The sealed refresh token is opened and the new pair signed and sealed by the Web Crypto backend.
    const response = await t.server.handleTokenRequest(
      tokenRequest({ grant_type: 'refresh_token', refresh_token: first.refresh_token! }, { authorization: basic('app', CLIENT_SECRET) }),
    );
    expect(response.status).toBe(200);
    const body = (await response.json()) as { access_token: string };
    const rs = new ResourceServer({ issuer: ctx.issuer, audience: ctx.audience, keys: keySetResolver(ctx.signingKeys), clock: t.clock });
    await expect(rs.validateAuthenticatedRequest(apiRequest(body.access_token))).resolves.toMatchObject({ sub: 'user-1' });
  });
});
