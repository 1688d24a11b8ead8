import { once } from 'node:events';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { PlainRequest, plainToResponse } from '../../src/contracts/plain-request.js';
import type { Grant, TokenRequest } from '../../src/contracts/grant.js';
import { issueTokens } from '../../src/grants/issue-tokens.js';
import { oauthEndpointsListener } from '../../src/http/node.js';
import { CLIENT_SECRET, ISSUER, basic, createTestServer, mintTokens } from '../support/fixtures.js';

const form = (params: Record<string, string>) => new TextEncoder().encode(new URLSearchParams(params).toString());
const plain = (params: Record<string, string>, headers: Record<string, string>) =>
  new PlainRequest('POST', `${ISSUER}/token`, new Headers({ 'content-type': 'application/x-www-form-urlencoded', ...headers }), form(params));

describe('the plain path (PlainRequest → PlainResult), as the Node adapters use it', () => {
  it('answers a refresh like handleTokenRequest, and errors with the same status, headers and JSON', async () => {
    const t = await createTestServer();
    const minted = await mintTokens(t);
    const ok = await t.server.serveTokenRequest(plain({ grant_type: 'refresh_token', refresh_token: minted.refresh_token! }, { authorization: basic('app', CLIENT_SECRET) }));
    expect(ok.status).toBe(200);
    expect(ok.headers['cache-control']).toBe('no-store');
    expect(JSON.parse(ok.body)).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });

    const bad = plainToResponse(await t.server.serveTokenRequest(plain({ grant_type: 'refresh_token', refresh_token: 'x' }, { authorization: basic('app', 'wrong') })));
    expect(bad.status).toBe(401);
    expect(bad.headers.get('www-authenticate')).toMatch(/^Basic/);
    expect(bad.headers.get('cache-control')).toBe('no-store');
    expect(await bad.json()).toMatchObject({ error: 'invalid_client' });

    const big = await t.server.serveTokenRequest(new PlainRequest('POST', `${ISSUER}/token`, new Headers({ 'content-type': 'application/x-www-form-urlencoded' }), new Uint8Array(20_000).fill(97)));
    expect(big.status).toBe(413);
    const notUtf8 = await t.server.serveTokenRequest(new PlainRequest('POST', `${ISSUER}/token`, new Headers({ 'content-type': 'application/x-www-form-urlencoded' }), new Uint8Array([0xff, 0xfe])));
    expect(JSON.parse(notUtf8.body)).toMatchObject({ error: 'invalid_request' });
  });

  it('introspects like handleIntrospectionRequest', async () => {
    const t = await createTestServer();
    const minted = await mintTokens(t);
    const result = await t.server.serveIntrospectionRequest(plain({ token: minted.access_token }, { authorization: basic('app', CLIENT_SECRET) }));
    expect(result.status).toBe(200);
    expect(JSON.parse(result.body)).toMatchObject({ active: true, client_id: 'app', scope: 'read write' });
    const anonymous = await t.server.serveIntrospectionRequest(plain({ token: minted.access_token, client_id: 'app' }, {}));
    expect(anonymous.status).toBe(401);
  });

  it('gives a grant that reads TokenRequest.request a Fetch Request with the headers and body', async () => {
    const t = await createTestServer();
    let seen: { method: string; auth: string | null; body: string } | undefined;
    const grant: Grant = {
      grantType: 'urn:example:echo',
      allowsPublicClients: false,
      async respondToAccessTokenRequest(req: TokenRequest) {
        seen = { method: req.request.method, auth: req.request.headers.get('authorization'), body: await req.request.text() };
        return issueTokens({ server: req.server, client: req.client.client, accessTokenTTL: req.accessTokenTTL }, { userId: undefined, scopes: [], grantType: 'urn:example:echo' });
      },
    };
    t.server.enableGrantType(grant, 'PT1H');
    const client = (await t.storage.clients.getClient('app'))!;
    expect(await t.storage.admin.updateClient({ ...client, grantTypes: [...client.grantTypes, 'urn:example:echo'] })).toBe(true);
    const result = await t.server.serveTokenRequest(plain({ grant_type: 'urn:example:echo' }, { authorization: basic('app', CLIENT_SECRET) }));
    if (result.status !== 200) return expect.fail(`the echo grant was refused: ${result.body}`);
    expect(seen).toEqual({ method: 'POST', auth: basic('app', CLIENT_SECRET), body: 'grant_type=urn%3Aexample%3Aecho' });
  });

  it('on a real socket: a repeated Authorization header is refused as the Fetch path refuses it, and keep-alive holds', async () => {
    const t = await createTestServer();
    const minted = await mintTokens(t);
    const server = createServer(oauthEndpointsListener(t.server)).listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    const post = (authorization: string[], body: string) =>
      new Promise<{ status: number; connection: string | undefined; json: Record<string, unknown> }>((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: '/token', headers: { Authorization: authorization, 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode!, connection: res.headers.connection, json: JSON.parse(Buffer.concat(chunks).toString() || '{}') as Record<string, unknown> }));
        });
        req.on('error', reject);
        req.end(body);
      });
    try {
      const body = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: minted.refresh_token! }).toString();
      const twice = await post([basic('app', CLIENT_SECRET), basic('app', CLIENT_SECRET)], body);
      expect(twice).toMatchObject({ status: 401 });
      expect(twice.json.error).toBe('invalid_client');
      const ok = await post([basic('app', CLIENT_SECRET)], body);
      expect(ok.status).toBe(200);
      expect(ok.connection).not.toBe('close');
      expect(ok.json.token_type).toBe('Bearer');
    } finally {
      server.close();
    }
  });
});
