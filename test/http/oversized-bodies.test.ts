// Bodies over the 16 KiB limit through each of the four adapters, every endpoint mounted with its
// `oauthEndpoints*` helper on a real socket (issue 10, "Bodies"): the OAuth JSON 413, a connection closed cleanly
// (Connection: close) or kept usable, never reset under the client; the next valid request succeeds on a new
// connection and on the same keep-alive agent.
import Fastify, { errorCodes } from 'fastify';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResourceServer } from '../../src/core/resource-server.js';
import { ClientCredentialsGrant } from '../../src/grants/client-credentials-grant.js';
import { DeviceCodeGrant } from '../../src/grants/device-code-grant.js';
import { CLIENT_SECRET, createTestServer, type TestServer } from '../support/fixtures.js';
import { useFetchBodies } from '../../src/http/fastify.js';
import { tokenEndpointListener } from '../../src/http/node.js';
import { ALL_ENDPOINT_ADAPTERS, type RunningAdapter } from './mounts.js';
import { clientCredentials, FRAMINGS, keepAliveAgent, OVERSIZED, sendOversized, sendSmall } from './oversized-body.js';

const ENDPOINTS = ['/token', '/revoke', '/introspect', '/device_authorization'] as const;
const CASES = FRAMINGS.flatMap((framing) => ENDPOINTS.flatMap((path) => OVERSIZED.map((size) => [path, size, framing] as const)));

describe.each(ALL_ENDPOINT_ADAPTERS)('oversized bodies through the %s adapter', (_name, start) => {
  let t: TestServer;
  let running: RunningAdapter;
  const uncaught: unknown[] = [];
  const onUncaught = (error: unknown): void => void uncaught.push(error);

  beforeAll(async () => {
    process.on('uncaughtException', onUncaught);
    t = await createTestServer();
    t.server.enableGrantType(new ClientCredentialsGrant(), 'PT1H');
    t.server.enableGrantType(new DeviceCodeGrant(t.storage.deviceCodes), 'PT1H');
    running = await start({ server: t.server, resourceServer: await ResourceServer.forAuthorizationServer(t.server) });
  });

  afterAll(async () => {
    await running?.close();
    process.off('uncaughtException', onUncaught);
  });

  it.each(CASES)('%s answers a %i-byte body (%s) with the OAuth JSON 413, then serves the next request', async (path, size, framing) => {
    const agent = keepAliveAgent();
    try {
      const answer = await sendOversized(running.origin, path, size, framing, agent);
      expect(answer.status, answer.body).toBe(413);
      expect(answer.headers['content-type']).toMatch(/^application\/json/);
      expect(answer.headers['cache-control']).toBe('no-store');
      expect(JSON.parse(answer.body)).toMatchObject({ error: 'invalid_request' });
      // Closed cleanly, or kept alive only for a body that was sent whole.
      if (answer.headers.connection !== 'close') {
        expect(answer.sentAll).toBe(true);
        expect(answer.lateError).toBeUndefined();
      }
      expect(uncaught).toEqual([]);
      for (const via of [false, agent] as const) {
        const next = await clientCredentials(running.origin, via, 'app', CLIENT_SECRET);
        expect(next.status, next.body).toBe(200);
        expect(JSON.parse(next.body)).toMatchObject({ token_type: 'Bearer' });
      }
      expect((await clientCredentials(running.origin, agent, 'app', CLIENT_SECRET)).reusedSocket).toBe(true);
    } finally {
      agent.destroy();
    }
  });
});

describe('oversized bodies outside the OAuth routes', () => {
  it("the node:http listener's default 404 closes the connection under an unread body, and keeps it for a GET", async () => {
    const t = await createTestServer();
    t.server.enableGrantType(new ClientCredentialsGrant(), 'PT1H');
    const http = createServer(tokenEndpointListener(t.server));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    const agent = keepAliveAgent();
    try {
      const answer = await sendOversized(origin, '/elsewhere', 10_000_000, 'chunked', agent);
      expect(answer.status).toBe(404);
      expect(answer.headers.connection).toBe('close');
      const get = await sendSmall(origin, '/elsewhere', agent);
      expect(get.status).toBe(404);
      expect(get.headers.connection).toBe('keep-alive');
      const next = await clientCredentials(origin, agent, 'app', CLIENT_SECRET);
      expect(next.status, next.body).toBe(200);
      expect(next.reusedSocket).toBe(true);
    } finally {
      agent.destroy();
      await new Promise<void>((resolve) => http.close(() => resolve()).closeAllConnections());
    }
  });

  it("Fastify's own body-limit error (FST_ERR_CTP_BODY_TOO_LARGE) comes out as the OAuth JSON 413 in a useFetchBodies context", async () => {
    const app = Fastify();
    await app.register(async (scope) => {
      useFetchBodies(scope);
      scope.post('/limited', async () => {
        throw new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE();
      });
    });
    const origin = await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const answer = await sendSmall(origin, '/limited', false, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=b' });
      expect(answer.status).toBe(413);
      expect(answer.headers['cache-control']).toBe('no-store');
      expect(JSON.parse(answer.body)).toEqual({ error: 'invalid_request', error_description: 'The request body is too large.' });
    } finally {
      await app.close();
    }
  });
});
