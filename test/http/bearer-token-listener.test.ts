// bearerTokenListener on a real node:http server: the handler gets node's own request (its body still unread) and
// response once the token is valid; a handler that fails is answered 500 server_error and reported, never a hang.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ResourceServer } from '../../src/core/resource-server.js';
import { ClientCredentialsGrant } from '../../src/grants/client-credentials-grant.js';
import { bearerTokenListener, type BearerRequestListener } from '../../src/http/node.js';
import type { AccessTokenClaims } from '../../src/tokens/verify-access-token.js';
import { basic, CLIENT_SECRET, createTestServer, tokenRequest } from '../support/fixtures.js';

let http: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (http ? http.close(() => resolve()).closeAllConnections() : resolve())));

async function start(handler: BearerRequestListener<AccessTokenClaims>, onError?: (error: unknown) => void): Promise<{ origin: string; token: string }> {
  const t = await createTestServer();
  t.server.enableGrantType(new ClientCredentialsGrant(), 'PT1H');
  const res = await t.server.handleTokenRequest(tokenRequest({ grant_type: 'client_credentials', scope: 'read' }, { authorization: basic('app', CLIENT_SECRET) }));
  const { access_token: token } = (await res.json()) as { access_token: string };
  const rs = await ResourceServer.forAuthorizationServer(t.server);
  http = createServer(bearerTokenListener(rs, handler, onError ? { onError } : {})).listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => http!.once('listening', resolve));
  return { origin: `http://127.0.0.1:${(http.address() as AddressInfo).port}`, token };
}

describe('bearerTokenListener (node:http, no Fetch objects)', () => {
  it("hands the handler node's request with its body unread, and the token's claims", async () => {
    const { origin, token } = await start(async (req, res, claims) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ sub: claims.sub, scope: claims.scope, body: Buffer.concat(chunks).toString() }));
    });
    const res = await fetch(`${origin}/api/notes`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: 'a note' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ sub: 'client:app', scope: 'read', body: 'a note' });
  });

  it('answers 401 with a challenge, without calling the handler, for a missing or tampered token', async () => {
    let calls = 0;
    const { origin, token } = await start((_req, res) => void (calls++, res.end()));
    const missing = await fetch(`${origin}/api`);
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer/);
    const tampered = await fetch(`${origin}/api`, { headers: { authorization: `Bearer ${token.slice(0, -2)}xx` } });
    expect(tampered.status).toBe(401);
    expect(((await tampered.json()) as { error: string }).error).toBe('invalid_token');
    expect(tampered.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect(calls).toBe(0);
  });

  it('answers 500 server_error (JSON, no stack) and reports the error when the handler throws', async () => {
    const errors: unknown[] = [];
    const { origin, token } = await start(() => {
      throw new Error('handler broke at /srv/app.js:12');
    }, (error) => errors.push(error));
    const res = await fetch(`${origin}/api`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text)).toMatchObject({ error: 'server_error' });
    expect(text).not.toContain('/srv/app.js');
    expect(errors).toHaveLength(1);
  });
});
