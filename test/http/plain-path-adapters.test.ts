// Which path each adapter takes for the form endpoints: the node:http, Express and Fastify adapters hand a stock
// AuthorizationServer a PlainRequest and write its PlainResult (serveTokenRequest and the other serve* methods);
// Hono stays on the Fetch path. The answers are the same either way.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthorizationServer } from '../../src/core/authorization-server.js';
import { ResourceServer } from '../../src/core/resource-server.js';
import { ClientCredentialsGrant } from '../../src/grants/client-credentials-grant.js';
import { DeviceCodeGrant } from '../../src/grants/device-code-grant.js';
import { basic, CLIENT_SECRET, createTestServer, type TestServer } from '../support/fixtures.js';
import { startExpress, startExpressAll, startFastify, startFastifyAll, startHonoAll, startNode, startNodeAll, type RunningAdapter, type StartAdapter } from './mounts.js';

const DEVICE = 'urn:ietf:params:oauth:grant-type:device_code';
type Serve = 'serveTokenRequest' | 'serveIntrospectionRequest' | 'serveRevocationRequest' | 'serveDeviceAuthorizationRequest';
const SERVES: readonly Serve[] = ['serveTokenRequest', 'serveIntrospectionRequest', 'serveRevocationRequest', 'serveDeviceAuthorizationRequest'];

/** Counts the calls of the server's plain-path methods (the adapters call them on the instance). */
function countPlainCalls(server: AuthorizationServer): Record<Serve, number> {
  const calls = Object.fromEntries(SERVES.map((name) => [name, 0])) as Record<Serve, number>;
  for (const name of SERVES) {
    const original = server[name].bind(server);
    server[name] = async (request) => {
      calls[name]++;
      return original(request);
    };
  }
  return calls;
}

const post = (origin: string, path: string, params: Record<string, string>): Promise<Response> =>
  fetch(`${origin}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic('app', CLIENT_SECRET) },
    body: new URLSearchParams(params).toString(),
  });

const ADAPTERS: readonly (readonly [string, StartAdapter, 'all' | 'token', boolean])[] = [
  ['node:http oauthEndpointsListener', startNodeAll, 'all', true],
  ['node:http tokenEndpointListener', startNode, 'token', true],
  ['Express oauthEndpoints', startExpressAll, 'all', true],
  ['Express tokenEndpoint', startExpress, 'token', true],
  ['Fastify oauthEndpointsPlugin', startFastifyAll, 'all', true],
  ['Fastify tokenEndpointPlugin', startFastify, 'token', true],
  ['Hono (Fetch runtimes)', startHonoAll, 'all', false],
];

describe.each(ADAPTERS)('the form endpoints through %s', (_name, start, mounted, plainPath) => {
  let t: TestServer;
  let running: RunningAdapter;
  let calls: Record<Serve, number>;

  beforeAll(async () => {
    t = await createTestServer();
    t.server.enableGrantType(new ClientCredentialsGrant(), 'PT1H');
    t.server.enableGrantType(new DeviceCodeGrant(t.storage.deviceCodes), 'PT1H');
    const client = (await t.storage.clients.getClient('app'))!;
    expect(await t.storage.admin.updateClient({ ...client, grantTypes: [...client.grantTypes, DEVICE] })).toBe(true);
    calls = countPlainCalls(t.server);
    running = await start({ server: t.server, resourceServer: await ResourceServer.forAuthorizationServer(t.server) });
  });
  afterAll(async () => {
    await running?.close();
  });

  it(`serves the token endpoint ${plainPath ? 'on the plain path' : 'on the Fetch path'} (RFC 6749 §3.2)`, async () => {
    const response = await post(running.origin, '/token', { grant_type: 'client_credentials', scope: 'read' });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.json()).toMatchObject({ token_type: 'Bearer', scope: 'read' });
    const refused = await fetch(`${running.origin}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic('app', 'wrong') },
      body: 'grant_type=client_credentials',
    });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toMatch(/^Basic/);
    expect(await refused.json()).toMatchObject({ error: 'invalid_client' });
    expect(calls.serveTokenRequest).toBe(plainPath ? 2 : 0);
  });

  it.skipIf(mounted === 'token')(`introspects, then revokes, ${plainPath ? 'on the plain path' : 'on the Fetch path'} (RFC 7662, RFC 7009)`, async () => {
    const issued = (await (await post(running.origin, '/token', { grant_type: 'client_credentials' })).json()) as { access_token: string };
    const active = await post(running.origin, '/introspect', { token: issued.access_token });
    expect(await active.json()).toMatchObject({ active: true, client_id: 'app' });

    const revoked = await post(running.origin, '/revoke', { token: issued.access_token });
    // RFC 7009 §2.2: 200, and no body.
    expect(revoked.status).toBe(200);
    expect(revoked.headers.get('cache-control')).toBe('no-store');
    expect(await revoked.text()).toBe('');
    const missing = await post(running.origin, '/revoke', {});
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({ error: 'invalid_request' });

    const inactive = await post(running.origin, '/introspect', { token: issued.access_token });
    expect(await inactive.json()).toEqual({ active: false });
    expect(calls.serveIntrospectionRequest).toBe(plainPath ? 2 : 0);
    expect(calls.serveRevocationRequest).toBe(plainPath ? 2 : 0);
  });

  it.skipIf(mounted === 'token')(`starts a device authorization ${plainPath ? 'on the plain path' : 'on the Fetch path'} (RFC 8628 §3.1)`, async () => {
    const response = await post(running.origin, '/device_authorization', { scope: 'read' });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toMatchObject({ device_code: expect.any(String), user_code: expect.any(String), expires_in: expect.any(Number) });
    expect(calls.serveDeviceAuthorizationRequest).toBe(plainPath ? 1 : 0);
  });
});
