import { describe, expect, it } from 'vitest';
import { ClientCredentialsGrant } from '../../src/grants/client-credentials-grant.js';
import type { ScopeRepository } from '../../src/contracts/repositories.js';
import { CLIENT_SECRET, basic, createTestServer, tokenRequest } from '../support/fixtures.js';
import { authorizeRequest, codeParams, createCodeServer } from '../grants/helpers.js';

const claims = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as { scope: string };

/** The server's default scopes, as an application configures them on its scope repository (RFC 6749 §3.3). */
function withDefaults(scopes: ScopeRepository, defaults: string[]): void {
  scopes.defaultScopes = async () => defaults;
}

describe('default scopes never exceed what the client is registered for (RFC 6749 §3.3)', () => {
  it('grants only the client-allowed part of the defaults when the request names no scope', async () => {
    const t = await createTestServer();
    t.server.enableGrantType(new ClientCredentialsGrant(), 'PT1H');
    const app = (await t.storage.clients.getClient('app'))!;
    t.storage.clients.clients.set('app', { ...app, scopes: ['read'] });
    withDefaults(t.storage.scopes, ['read', 'admin']);
    const res = await t.server.handleTokenRequest(tokenRequest({ grant_type: 'client_credentials' }, { authorization: basic('app', CLIENT_SECRET) }));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { access_token: string; scope?: string };
    expect(body.scope).toBe('read');
    expect(claims(body.access_token).scope).toBe('read');
  });

  it('does the same at the authorization endpoint', async () => {
    const t = await createCodeServer();
    const app = (await t.storage.clients.getClient('app'))!;
    t.storage.clients.clients.set('app', { ...app, scopes: ['read'] });
    withDefaults(t.storage.scopes, ['read', 'admin']);
    // Empty parameters count as omitted (RFC 6749 §3.1): this request names no scope.
    const authRequest = await t.server.validateAuthorizationRequest(authorizeRequest(codeParams({ scope: '' })));
    expect(authRequest.scopes).toEqual(['read']);
  });
});
