import { describe, expect, it } from 'vitest';
import { ClientCredentialsGrant } from '../../src/grants/client-credentials-grant.js';
import { RefreshTokenGrant } from '../../src/grants/refresh-token-grant.js';
import { createMemoryStorage } from '../../src/storage/memory/index.js';
import { CLIENT_SECRET, ISSUER, basic, confidentialClient, serverOn, testClock } from '../support/fixtures.js';

// A resource's registered token format (RFC 8707 resource registration: "the token format and lifetime for it")
// decides the access token's form ahead of the client's and the server's.
const OPAQUE_API = 'https://opaque.example.test';
const JWT_API = 'https://jwt.example.test';
const PLAIN_API = 'https://plain.example.test';

async function setup() {
  const clock = testClock();
  const storage = createMemoryStorage(
    {
      clients: [await confidentialClient({ grantTypes: ['client_credentials'] })],
      scopes: ['read'],
      resources: [
        { id: OPAQUE_API, scopes: ['read'], accessTokenFormat: 'opaque' },
        { id: JWT_API, scopes: ['read'], accessTokenFormat: 'jwt' },
        { id: PLAIN_API, scopes: ['read'] },
      ],
    },
    { clock },
  );
  const server = serverOn(storage, clock, { resources: storage.resources });
  server.enableGrantType(new ClientCredentialsGrant(), 'PT1H');
  server.enableGrantType(new RefreshTokenGrant(storage.refreshTokens), 'PT1H');
  return { server, storage };
}

async function token(server: Awaited<ReturnType<typeof setup>>['server'], ...resources: string[]): Promise<Response> {
  const body = new URLSearchParams([['grant_type', 'client_credentials'], ['scope', 'read'], ...resources.map((r) => ['resource', r] as [string, string])]);
  return server.handleTokenRequest(
    new Request(`${ISSUER}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic('app', CLIENT_SECRET) },
      body,
    }),
  );
}

describe('the access-token format registered for a resource', () => {
  it('issues an opaque token for a resource registered as opaque, and a JWT for the others', async () => {
    const { server } = await setup();
    const opaque = (await (await token(server, OPAQUE_API)).json()) as { access_token: string };
    expect(opaque.access_token).toMatch(/^gat_/);
    const jwt = (await (await token(server, JWT_API)).json()) as { access_token: string };
    expect(jwt.access_token.split('.')).toHaveLength(3);
    const plain = (await (await token(server, PLAIN_API)).json()) as { access_token: string };
    expect(plain.access_token.split('.')).toHaveLength(3);
  });

  it('refuses resources that need different formats in one request with invalid_target', async () => {
    const { server } = await setup();
    const res = await token(server, OPAQUE_API, JWT_API);
    expect(res.status).toBe(400);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(((await res.json()) as { error: string }).error).toBe('invalid_target');
  });

  it('lets a resource without a format share a request with an opaque one', async () => {
    const { server } = await setup();
    const body = (await (await token(server, OPAQUE_API, PLAIN_API)).json()) as { access_token: string };
    expect(body.access_token).toMatch(/^gat_/);
  });
});
