import { describe, expect, it } from 'vitest';
import { AuthorizationServer, ClientCredentialsGrant, hashClientSecret, type PrivateKeyMaterial } from '../../src/index.js';
import { createMemoryStorage } from '../../src/storage/memory/index.js';
import { generateKeys } from '../../src/cli/generate-keys.js';

interface Generated {
  algorithm: string;
  private_key_pem: string;
  private_key_jwk: Record<string, unknown>;
  encryption_key: string;
}

async function tokenWith(privateKey: PrivateKeyMaterial, encryptionKey: string): Promise<Response> {
  const storage = createMemoryStorage();
  const server = new AuthorizationServer({ ...storage, privateKey, encryptionKey, issuer: 'https://auth.example.com' });
  server.enableGrantType(new ClientCredentialsGrant(), 'PT1H');
  const secret = 'a-secret-of-more-than-32-characters-for-sha256';
  await storage.admin.createClient({ id: 'job', name: 'Job', secretHash: await hashClientSecret(secret), redirectUris: [], grantTypes: ['client_credentials'], scopes: [] });
  return server.handleTokenRequest(
    new Request('https://auth.example.com/token', {
      method: 'POST',
      headers: { authorization: `Basic ${btoa(`job:${secret}`)}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials' }),
    }),
  );
}

describe('grantry keys generate', () => {
  it('prints a PEM and a JWK of one RSA key, and 32 random bytes in base64url, each accepted by AuthorizationServer', async () => {
    const out = generateKeys();
    const keys = out.json as Generated;
    expect(keys.algorithm).toBe('RS256');
    expect(keys.private_key_jwk).toMatchObject({ kty: 'RSA', d: expect.any(String) });
    expect(Buffer.from(keys.encryption_key, 'base64url')).toHaveLength(32);
    expect(keys.encryption_key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(out.text).toContain(keys.private_key_pem.trim());
    expect(out.text).toContain(keys.encryption_key);
    for (const privateKey of [keys.private_key_pem, keys.private_key_jwk as unknown as PrivateKeyMaterial]) {
      const response = await tokenWith(privateKey, keys.encryption_key);
      expect(response.status).toBe(200);
      const { access_token } = (await response.json()) as { access_token: string };
      expect(JSON.parse(Buffer.from(access_token.split('.')[0]!, 'base64url').toString())).toMatchObject({ alg: 'RS256', typ: 'at+jwt' });
    }
    expect((generateKeys().json as Generated).encryption_key).not.toBe(keys.encryption_key);
  });
});
