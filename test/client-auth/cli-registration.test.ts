import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { clientsCommand } from '../../src/cli/clients-command.js';
import { UsageError } from '../../src/cli/cli-error.js';
import { createTestApp } from '../server/support.js';

const PUBLIC_JWK = { kty: 'EC', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0', kid: 'k1' };

function jwksFile(jwks: unknown): string {
  const file = join(mkdtempSync(join(tmpdir(), 'grantry-jwks-')), 'jwks.json');
  writeFileSync(file, JSON.stringify(jwks));
  return file;
}

describe('grantry clients: authentication methods (RFC 7591 §2)', () => {
  it('registers private_key_jwt with a JWK set file and no secret', async () => {
    const t = await createTestApp();
    const out = await clientsCommand(t.store, 'create', undefined, { name: 'Bank', 'grant-types': 'client_credentials', 'auth-method': 'private_key_jwt', 'jwks-file': jwksFile({ keys: [PUBLIC_JWK] }) });
    const json = out.json as { id: string; client_secret?: string; token_endpoint_auth_method: string };
    expect(json.client_secret).toBeUndefined();
    expect(json.token_endpoint_auth_method).toBe('private_key_jwt');
    const stored = await t.store.storage.clients.getClient(json.id);
    expect(stored).toMatchObject({ tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [PUBLIC_JWK] } });
    expect(stored?.secretHash).toBeUndefined();
  });

  it('refuses a JWK set holding a private key, and jwks with jwks_uri', async () => {
    const t = await createTestApp();
    const leaked = jwksFile({ keys: [{ ...PUBLIC_JWK, d: 'private-part' }] });
    await expect(clientsCommand(t.store, 'create', undefined, { name: 'Leaky', 'grant-types': 'client_credentials', 'auth-method': 'private_key_jwt', 'jwks-file': leaked })).rejects.toThrow(UsageError);
    await expect(
      clientsCommand(t.store, 'create', undefined, { name: 'Both', 'grant-types': 'client_credentials', 'jwks-file': jwksFile({ keys: [PUBLIC_JWK] }), 'jwks-uri': 'https://bank.example/jwks.json' }),
    ).rejects.toThrow(/not both/);
    await expect(clientsCommand(t.store, 'create', undefined, { name: 'Plain http', 'grant-types': 'client_credentials', 'jwks-uri': 'http://bank.example/jwks.json' })).rejects.toThrow(UsageError);
  });

  it('registers client_secret_jwt with a generated secret kept for HMAC, never as a hash', async () => {
    const t = await createTestApp();
    const out = await clientsCommand(t.store, 'create', undefined, { name: 'HMAC', 'grant-types': 'client_credentials', 'auth-method': 'client_secret_jwt' });
    const json = out.json as { id: string; client_secret: string };
    expect(json.client_secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const stored = await t.store.storage.clients.getClient(json.id);
    expect(stored).toMatchObject({ tokenEndpointAuthMethod: 'client_secret_jwt', secretForJwt: json.client_secret });
    expect(stored?.secretHash).toBeUndefined();
  });

  it('moves a secret client to private_key_jwt keys, dropping its secret, and sets --require-par', async () => {
    const t = await createTestApp();
    const out = await clientsCommand(t.store, 'update', t.clientId, { 'jwks-uri': 'https://app.example/jwks.json', 'require-par': true });
    expect(out.json).toMatchObject({ token_endpoint_auth_method: 'private_key_jwt', jwks_uri: 'https://app.example/jwks.json', require_pushed_authorization_requests: true });
    const stored = await t.store.storage.clients.getClient(t.clientId);
    expect(stored?.secretHash).toBeUndefined();
    expect(stored?.requirePushedAuthorizationRequests).toBe(true);
  });
});
