import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResourceServer } from '../../src/core/resource-server.js';
import { AuthorizationCodeGrant } from '../../src/grants/authorization-code-grant.js';
import { createTestServer, serverOn } from '../support/fixtures.js';
import { startExpressAll, startFastifyAll, startHonoAll, startNodeAll, type RunningAdapter, type StartAdapter } from './mounts.js';

const ADAPTERS: [string, StartAdapter][] = [
  ['node:http', startNodeAll],
  ['Express 5', startExpressAll],
  ['Fastify 5', startFastifyAll],
  ['Hono', startHonoAll],
];

describe.each(ADAPTERS)('HTTP adapter %s: the registration endpoints (RFC 7591 §3, RFC 7592 §2)', (_name, start) => {
  let running: RunningAdapter;

  beforeAll(async () => {
    const { storage, clock } = await createTestServer();
    const server = serverOn(storage, clock, { registration: { mode: 'open', clients: storage.registrations } });
    server.enableGrantType(new AuthorizationCodeGrant(storage.authCodes), 'PT1H');
    running = await start({ server, resourceServer: await ResourceServer.forAuthorizationServer(server) });
  });
  afterAll(async () => running?.close());

  it('registers at /register, then reads and deletes at /register/{client_id}', async () => {
    const registered = await fetch(`${running.origin}/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ redirect_uris: ['http://127.0.0.1:8765/cb'], token_endpoint_auth_method: 'none' }),
    });
    expect(registered.status).toBe(201);
    const json = (await registered.json()) as { client_id: string; registration_client_uri: string; registration_access_token: string };
    const path = new URL(json.registration_client_uri).pathname;
    const auth = { authorization: `Bearer ${json.registration_access_token}` };
    const read = await fetch(`${running.origin}${path}`, { headers: auth });
    expect(read.status).toBe(200);
    expect(((await read.json()) as { client_id: string }).client_id).toBe(json.client_id);
    expect((await fetch(`${running.origin}${path}`, { method: 'DELETE', headers: auth })).status).toBe(204);
    expect((await fetch(`${running.origin}${path}`, { headers: auth })).status).toBe(401);
  });
});
