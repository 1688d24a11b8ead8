import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { hashClientSecret } from '../src/contracts/client-secret.js';
import { issueTokens } from '../src/grants/issue-tokens.js';
import { basic, encryptionKey, privateKeyPem } from './support/fixtures.js';

describe('README', () => {
  it('shows the seed setup and /access_token endpoint exactly as examples/seed-server.ts, which works', async () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const example = readFileSync(new URL('../examples/seed-server.ts', import.meta.url), 'utf8');
    expect(readme).toContain(example.trim());

    const SECRET = 'a-generated-looking-secret-of-43-characters';
    process.env.GRANTRY_PRIVATE_KEY = privateKeyPem;
    process.env.GRANTRY_ENCRYPTION_KEY = encryptionKey;
    const { server, storage, accessTokenEndpoint } = await import('../examples/seed-server.js');
    storage.clients.clients.set('app', {
      id: 'app', name: 'App', secretHash: await hashClientSecret(SECRET), redirectUris: [], grantTypes: ['refresh_token'], scopes: [],
    });
    const client = (await storage.clients.getClient('app'))!;
    const minted = await issueTokens(
      { server: await server.context(), client, accessTokenTTL: 60 },
      { userId: 'u1', scopes: [], grantType: 'password', refresh: { repository: storage.refreshTokens, ttl: 600, scopes: [] } },
    );
    const request = (token: string) =>
      new Request('https://auth.example.com/access_token', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic('app', SECRET) },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: token }),
      });
    const ok = await accessTokenEndpoint(request(minted.refresh_token!));
    expect(ok.status).toBe(200);
    const replay = await accessTokenEndpoint(request(minted.refresh_token!));
    expect(replay.status).toBe(400);
    expect((await replay.json()).error).toBe('invalid_grant');
  });
});
