import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResourceServer } from '../../src/core/resource-server.js';
import { AuthorizationCodeGrant } from '../../src/grants/authorization-code-grant.js';
import { createTestServer, serverOn, type TestServer } from '../support/fixtures.js';
import { codeParams } from '../grants/helpers.js';
import { assertion, assertionParams, clientKey, type ClientKey } from '../client-auth/support.js';
import { startExpressAll, startFastifyAll, startHonoAll, startNodeAll, type RunningAdapter, type StartAdapter } from './mounts.js';

const ADAPTERS: [string, StartAdapter][] = [
  ['node:http', startNodeAll],
  ['Express 5', startExpressAll],
  ['Fastify 5', startFastifyAll],
  ['Hono', startHonoAll],
];

// /par is routed from the metadata on every adapter (node:http, Express and Fastify have a plain path for the token
// endpoints besides the Fetch one), and the storage's one `replays` repository, which DPoP uses too, keeps client
// assertion jtis single use (RFC 7523 §3 item 7).
describe.each(ADAPTERS)('HTTP adapter %s: the pushed authorization request endpoint (RFC 9126 §2)', (_name, start) => {
  let running: RunningAdapter;
  let t: Pick<TestServer, 'storage' | 'clock'>;
  let key: ClientKey;

  beforeAll(async () => {
    const { storage, clock } = await createTestServer();
    key = await clientKey('bank-1');
    storage.clients.clients.set('bank', {
      id: 'bank', name: 'Bank', redirectUris: ['https://bank.example/cb'], grantTypes: ['authorization_code'], scopes: [],
      tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [key.publicJwk] },
    });
    const server = serverOn(storage, clock, { pushedAuthorizationRequests: storage.pushedAuthorizationRequests, replays: storage.replays });
    server.enableGrantType(new AuthorizationCodeGrant(storage.authCodes), 'PT1H');
    t = { storage, clock };
    running = await start({ server, resourceServer: await ResourceServer.forAuthorizationServer(server) });
  });
  afterAll(async () => running?.close());

  const push = (params: Record<string, string>) =>
    fetch(`${running.origin}/par`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(params).toString() });

  it('answers 201 with a request_uri for a private_key_jwt client, and refuses the same assertion twice', async () => {
    const jwt = await assertion(key, 'bank', t.clock.now());
    const params = { ...codeParams({ client_id: 'bank', redirect_uri: 'https://bank.example/cb' }), ...assertionParams(jwt) };
    const first = await push(params);
    expect(first.status).toBe(201);
    const body = (await first.json()) as { request_uri: string; expires_in: number };
    expect(body.request_uri).toMatch(/^urn:ietf:params:oauth:request_uri:/);
    expect(body.expires_in).toBe(60);
    const again = await push(params);
    expect(again.status).toBe(401);
    expect(again.headers.get('cache-control')).toBe('no-store');
    expect(((await again.json()) as { error: string }).error).toBe('invalid_client');
  });
});
