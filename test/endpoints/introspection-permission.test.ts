import { describe, expect, it } from 'vitest';
import { CLIENT_SECRET, basic, mintTokens, type TestServer } from '../support/fixtures.js';
import { asApp, asOther, createEndpointServer, formPost } from './support.js';

const introspect = (t: TestServer, token: string, headers: Record<string, string>) =>
  t.server.handleIntrospectionRequest(formPost('/introspect', { token }, headers));

async function setup() {
  const t = await createEndpointServer();
  const app = (await t.storage.clients.getClient('app'))!;
  // A resource server's client, registered with the permission to introspect other clients' tokens.
  t.storage.clients.clients.set('orders-api', { ...app, id: 'orders-api', grantTypes: [], permissions: ['introspect'] });
  return t;
}

describe('introspection by permission (RFC 7662 §4)', () => {
  it.each(['access_token', 'refresh_token'] as const)(
    'answers only {"active": false} to a client without the permission asking about another client\'s %s',
    async (which) => {
      const t = await setup();
      const minted = await mintTokens(t, 'app', ['read']);
      const token = which === 'access_token' ? minted.access_token : minted.refresh_token!;
      const res = await introspect(t, token, asOther);
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-store');
      // RFC 7662 §2.2: "the protected resource is not allowed to introspect this particular token" → active false,
      // and §4: nothing else about it (no username, subject or scope).
      expect(await res.json()).toEqual({ active: false });
    },
  );

  it('gives a client with the introspect permission the full answer about another client\'s token', async () => {
    const t = await setup();
    const minted = await mintTokens(t, 'app', ['read']);
    const res = await introspect(t, minted.access_token, { authorization: basic('orders-api', CLIENT_SECRET) });
    expect(await res.json()).toMatchObject({ active: true, client_id: 'app', sub: 'user-1', username: 'alice', scope: 'read' });
    const refresh = await introspect(t, minted.refresh_token!, { authorization: basic('orders-api', CLIENT_SECRET) });
    expect(await refresh.json()).toMatchObject({ active: true, client_id: 'app', sub: 'user-1', username: 'alice' });
  });

  it('lets any client introspect its own tokens without the permission', async () => {
    const t = await setup();
    const mine = await mintTokens(t, 'other', ['write']);
    const res = await introspect(t, mine.access_token, asOther);
    expect(await res.json()).toMatchObject({ active: true, client_id: 'other', sub: 'user-1', scope: 'write' });
    // And the permission does not change what the owner sees of another's: 'app' has none.
    expect(await (await introspect(t, mine.access_token, asApp)).json()).toEqual({ active: false });
  });

  it('lets a canIntrospect hook decide instead, when one is given', async () => {
    const t = await createEndpointServer({ canIntrospect: (caller) => caller.id === 'other' });
    const minted = await mintTokens(t, 'app', ['read']);
    expect(await (await introspect(t, minted.access_token, asOther)).json()).toMatchObject({ active: true });
    expect(await (await introspect(t, minted.access_token, asApp)).json()).toEqual({ active: false });
  });
});
