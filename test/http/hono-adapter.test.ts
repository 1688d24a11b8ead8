// Hono middlewares may read the body first (c.req.text(), parseBody()); the token endpoint must still see it.
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { tokenEndpoint } from '../../src/http/hono.js';
import { basic, CLIENT_SECRET, createTestServer, mintTokens } from '../support/fixtures.js';

describe('Hono adapter after a middleware that read the body', () => {
  it('passes the form on: a refresh succeeds and a repeated parameter is still refused (RFC 6749 §3.1)', async () => {
    const t = await createTestServer();
    const app = new Hono();
    app.use(async (c, next) => {
      await c.req.text();
      await next();
    });
    app.post('/token', tokenEndpoint(t.server));
    const headers = { 'content-type': 'application/x-www-form-urlencoded', authorization: basic('app', CLIENT_SECRET) };

    const minted = await mintTokens(t);
    const ok = await app.request('/token', { method: 'POST', headers, body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: minted.refresh_token! }) });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('cache-control')).toBe('no-store');

    const repeated = await app.request('/token', { method: 'POST', headers, body: 'grant_type=refresh_token&refresh_token=x&refresh_token=y' });
    expect(repeated.status).toBe(400);
    expect((await repeated.json()).error).toBe('invalid_request');
  });
});
