import { describe, expect, it } from 'vitest';
import { hashClientSecret } from '../../src/contracts/client-secret.js';
import { basic, CLIENT_SECRET, createTestServer, mintTokens, tokenRequest, type TestServer } from '../support/fixtures.js';

async function refreshWith(t: TestServer, params: Record<string, string>, headers: Record<string, string> = {}) {
  const minted = await mintTokens(t, params.client_id ?? 'app');
  const res = await t.server.handleTokenRequest(
    tokenRequest({ grant_type: 'refresh_token', refresh_token: minted.refresh_token!, ...params }, headers),
  );
  return { res, body: (await res.json()) as { error?: string } };
}

describe('client authentication (RFC 6749 §2.3.1)', () => {
  it('accepts HTTP Basic with form-url-encoded id and secret containing ":", "+", "%", "/" and spaces', async () => {
    const t = await createTestServer();
    const id = 'my:client id+é';
    const secret = 'p:a:s s+w%rd/é';
    const app = (await t.storage.clients.getClient('app'))!;
    t.storage.clients.clients.set(id, { ...app, id, secretHash: await hashClientSecret(secret) });
    const minted = await mintTokens(t, id);
    const res = await t.server.handleTokenRequest(
      tokenRequest({ grant_type: 'refresh_token', refresh_token: minted.refresh_token! }, { authorization: basic(id, secret) }),
    );
    expect(res.status).toBe(200);
  });

  it('accepts client_id and client_secret in the body', async () => {
    const t = await createTestServer();
    const { res } = await refreshWith(t, { client_id: 'app', client_secret: CLIENT_SECRET });
    expect(res.status).toBe(200);
  });

  it('refuses two authentication methods at once with invalid_request', async () => {
    const t = await createTestServer();
    const { res, body } = await refreshWith(t, { client_secret: CLIENT_SECRET }, { authorization: basic('app', CLIENT_SECRET) });
    expect(res.status).toBe(400);
    expect(body.error).toBe('invalid_request');
  });

  it('refuses a body client_id that differs from the Basic one with invalid_request', async () => {
    const t = await createTestServer();
    const minted = await mintTokens(t);
    const res = await t.server.handleTokenRequest(
      tokenRequest(
        { grant_type: 'refresh_token', refresh_token: minted.refresh_token!, client_id: 'other' },
        { authorization: basic('app', CLIENT_SECRET) },
      ),
    );
    expect(res.status).toBe(400);
    expect((await res.json()).error).toBe('invalid_request');
  });

  it('answers a failed Basic attempt with 401 and WWW-Authenticate: Basic (RFC 6749 §5.2)', async () => {
    const t = await createTestServer();
    const failures: unknown[] = [];
    t.server.events.on('client.authentication_failed', (e) => failures.push(e));
    const { res, body } = await refreshWith(t, {}, { authorization: basic('app', 'wrong') });
    expect(res.status).toBe(401);
    expect(body.error).toBe('invalid_client');
    expect(res.headers.get('www-authenticate')).toMatch(/^Basic /);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(failures).toEqual([{ clientId: 'app', reason: 'bad_secret' }]);
  });

  it.each([
    ['a wrong body secret', { client_id: 'app', client_secret: 'wrong' }, {}],
    ['an unknown client', { client_id: 'nobody', client_secret: 'x' }, {}],
    ['no credentials at all', {}, {}],
    ['a confidential client without its secret', { client_id: 'app' }, {}],
    ['a public client sending a secret', { client_id: 'spa', client_secret: 'x' }, {}],
    ['a malformed Basic header', {}, { authorization: 'Basic !!!' }],
    ['Basic without a colon', {}, { authorization: `Basic ${btoa('app')}` }],
  ])('refuses %s with 401 invalid_client', async (_, params: Record<string, string>, headers: Record<string, string>) => {
    const t = await createTestServer();
    const minted = await mintTokens(t);
    const res = await t.server.handleTokenRequest(
      tokenRequest({ grant_type: 'refresh_token', refresh_token: minted.refresh_token!, ...params }, headers),
    );
    expect(res.status).toBe(401);
    expect((await res.json()).error).toBe('invalid_client');
  });

  it('identifies a public client by client_id alone', async () => {
    const t = await createTestServer();
    const { res } = await refreshWith(t, { client_id: 'spa' });
    expect(res.status).toBe(200);
  });

  it('stores client secrets hashed, never in clear', async () => {
    const hash = await hashClientSecret(CLIENT_SECRET);
    expect(hash).not.toContain(CLIENT_SECRET);
    expect(hash).toMatch(/^sha256\$[A-Za-z0-9_-]{43}$/);
  });
});
