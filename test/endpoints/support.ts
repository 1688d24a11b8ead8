import { ISSUER, CLIENT_SECRET, basic, createTestServer, serverOn, type TestServer } from '../support/fixtures.js';
import type { AuthorizationServerOptions } from '../../src/core/authorization-server.js';
import { RefreshTokenGrant } from '../../src/grants/refresh-token-grant.js';

/** The test server with the refresh grant and the repositories the revocation and introspection endpoints use. */
export async function createEndpointServer(options: Partial<AuthorizationServerOptions> = {}): Promise<TestServer> {
  const t = await createTestServer();
  const server = serverOn(t.storage, t.clock, { refreshTokens: t.storage.refreshTokens, users: t.storage.users, ...options });
  server.enableGrantType(new RefreshTokenGrant(t.storage.refreshTokens), 'PT1H');
  return { ...t, server };
}

/** A form POST to an endpoint, authenticated as `app` with HTTP Basic unless other headers are given. */
export function formPost(path: string, params: Record<string, string>, headers: Record<string, string> = { authorization: basic('app', CLIENT_SECRET) }): Request {
  return new Request(`${ISSUER}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(params).toString(),
  });
}

export const asApp = { authorization: basic('app', CLIENT_SECRET) };
export const asOther = { authorization: basic('other', CLIENT_SECRET) };

/** A request to a resource server with a bearer token. */
export function apiRequest(token: string | undefined, headers: Record<string, string> = {}): Request {
  return new Request('https://api.example.test/orders', {
    headers: token === undefined ? headers : { authorization: `Bearer ${token}`, ...headers },
  });
}
