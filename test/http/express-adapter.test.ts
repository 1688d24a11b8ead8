// Express apps often parse bodies globally: the token endpoint must still see the form as sent.
import express from 'express';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { oauthEndpoints, tokenEndpoint } from '../../src/http/express.js';
import { basic, CLIENT_SECRET, createTestServer, mintTokens, serverOn } from '../support/fixtures.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

async function listen(app: express.Express): Promise<string> {
  const http = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => http.once('listening', resolve));
  closers.push(() => new Promise<void>((resolve) => http.close(() => resolve()).closeAllConnections()));
  return `http://127.0.0.1:${(http.address() as AddressInfo).port}/token`;
}

describe('Express adapter behind a body parser', () => {
  it.each([
    ['express.urlencoded()', express.urlencoded({ extended: false })],
    ['express.urlencoded({ extended: true })', express.urlencoded({ extended: true })],
    ['express.raw()', express.raw({ type: '*/*' })],
    ['express.text()', express.text({ type: '*/*' })],
  ])('passes on a form already read by %s: a refresh succeeds and a repeated parameter is still refused (RFC 6749 §3.1)', async (_name, parser) => {
    const t = await createTestServer();
    const app = express();
    app.use(parser);
    app.post('/token', tokenEndpoint(t.server));
    const url = await listen(app);
    const headers = { 'content-type': 'application/x-www-form-urlencoded', authorization: basic('app', CLIENT_SECRET) };

    const minted = await mintTokens(t);
    const ok = await fetch(url, { method: 'POST', headers, body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: minted.refresh_token!, scope: 'read' }) });
    expect(ok.status).toBe(200);
    expect((await ok.json()).scope).toBe('read');

    const repeated = await fetch(url, { method: 'POST', headers, body: 'grant_type=refresh_token&refresh_token=x&scope=read&scope=write' });
    expect(repeated.status).toBe(400);
    expect((await repeated.json()).error).toBe('invalid_request');
  });

  it('answers invalid_request, not a hang, when a middleware swallowed the body', async () => {
    const t = await createTestServer();
    const app = express();
    app.use((req, _res, next) => {
      req.on('end', () => next()).resume();
    });
    app.post('/token', tokenEndpoint(t.server));
    const res = await fetch(await listen(app), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic('app', CLIENT_SECRET) },
      body: 'grant_type=client_credentials',
    });
    expect(res.status).toBe(400);
    expect((await res.json()).error).toBe('invalid_request');
  });

  it('answers a bare server_error JSON, no stack trace, when the server cannot start (a bad key), and reports it', async () => {
    const t = await createTestServer();
    const broken = serverOn(t.storage, t.clock, { privateKey: '-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----' });
    const reported: unknown[] = [];
    const app = express();
    app.use(oauthEndpoints(broken, { onError: (e) => reported.push(e) }));
    const res = await fetch((await listen(app)).replace(/\/token$/, '/.well-known/jwks.json'));
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({ error: 'server_error', error_description: expect.any(String) });
    expect(text).not.toMatch(/at .*\.ts:\d+/);
    expect(reported).toHaveLength(1);
  });
});
