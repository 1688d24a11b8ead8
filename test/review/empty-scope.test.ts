import { describe, expect, it } from 'vitest';
import { ClientCredentialsGrant } from '../../src/grants/client-credentials-grant.js';
import { ImplicitGrant } from '../../src/grants/implicit-grant.js';
import { CLIENT_SECRET, basic, createTestServer, tokenRequest } from '../support/fixtures.js';
import { USER, authorizeRequest } from '../grants/helpers.js';

/**
 * RFC 6749 §3.3: scope = scope-token *( SP scope-token ), scope-token = 1*NQCHAR: an empty string is not a scope
 * value. §5.1: scope is "OPTIONAL, if identical to the scope requested by the client": nothing asked, nothing
 * granted, so it is left out rather than sent as "".
 */
describe('no empty scope value on the wire (RFC 6749 §3.3, §5.1, §4.2.2)', () => {
  it('leaves scope out of a token response that grants no scope', async () => {
    const t = await createTestServer();
    t.server.enableGrantType(new ClientCredentialsGrant(), 'PT1H');
    const res = await t.server.handleTokenRequest(tokenRequest({ grant_type: 'client_credentials' }, { authorization: basic('app', CLIENT_SECRET) }));
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body.access_token).toBeTypeOf('string');
    expect(body).not.toHaveProperty('scope');
  });

  it('still states a granted scope in the token response', async () => {
    const t = await createTestServer();
    t.server.enableGrantType(new ClientCredentialsGrant(), 'PT1H');
    const res = await t.server.handleTokenRequest(
      tokenRequest({ grant_type: 'client_credentials', scope: 'read' }, { authorization: basic('app', CLIENT_SECRET) }),
    );
    expect(((await res.json()) as { scope?: string }).scope).toBe('read');
  });

  it('leaves scope out of an implicit fragment that grants no scope', async () => {
    const t = await createTestServer();
    t.server.enableGrantType(new ImplicitGrant(), 'PT15M');
    const spa = (await t.storage.clients.getClient('spa'))!;
    t.storage.clients.clients.set('spa', { ...spa, grantTypes: [...spa.grantTypes, 'implicit'] });
    const authRequest = await t.server.validateAuthorizationRequest(
      authorizeRequest({ response_type: 'token', client_id: 'spa', redirect_uri: 'http://127.0.0.1:3000/cb', state: 's' }),
    );
    const res = await t.server.completeAuthorizationRequest(authRequest, { user: USER, approved: true });
    const fragment = new URLSearchParams(new URL(res.headers.get('location')!).hash.slice(1));
    expect(fragment.get('access_token')).toBeTruthy();
    expect(fragment.has('scope')).toBe(false);
  });
});
