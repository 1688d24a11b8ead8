// Bodies over the 16 KiB limit sent to the ready server over real sockets (issue 10, "Bodies"): every endpoint
// answers the OAuth JSON 413 and every page the HTML 413; the connection is closed cleanly (Connection: close) or
// kept usable, never reset under the client; the process stays up and the next valid request succeeds on a new
// connection and on the same keep-alive agent.
import type { Agent } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen, type RunningServer } from '../../src/server/node-listener.js';
import { clientCredentials, FRAMINGS, keepAliveAgent, OVERSIZED, sendOversized, type Answer } from '../http/oversized-body.js';
import { Browser, createTestApp, field, ISSUER, type TestApp } from './support.js';

const ENDPOINTS = ['/token', '/revoke', '/introspect', '/device_authorization'] as const;
const PAGES = ['/authorize', '/login', '/authorize/decision', '/device', '/device/decision'] as const;

/** Asserts the connection policy: closed with `Connection: close`, or kept alive only for a body fully sent. */
export function expectCleanConnection(answer: Answer): void {
  if (answer.headers.connection !== 'close') {
    expect(answer.sentAll).toBe(true);
    expect(answer.lateError).toBeUndefined();
  }
}

describe('the ready server refuses oversized bodies with 413 and stays usable', () => {
  let t: TestApp;
  let running: RunningServer;
  let origin: string;
  let cookie: string;
  const uncaught: unknown[] = [];
  const onUncaught = (error: unknown): void => void uncaught.push(error);

  beforeAll(async () => {
    process.on('uncaughtException', onUncaught);
    t = await createTestApp();
    running = await listen(async () => t.app, { host: '127.0.0.1', port: 0, origin: () => ISSUER, trustProxy: { kind: 'none' }, log: undefined });
    origin = `http://127.0.0.1:${running.port}`;
    // A signed-in session: /device and /device/decision read their form only for a signed-in user.
    const b = new Browser(t);
    const html = await (await b.get('/login')).text();
    const login = await b.post('/login', { csrf_token: field(html, 'csrf_token'), return_to: '/', username: 'alice', password: 'wonderland' });
    expect(login.status).toBe(303);
    cookie = b.cookie;
  });

  afterAll(async () => {
    await running?.close();
    process.off('uncaughtException', onUncaught);
  });

  async function expectServerUsable(agent: Agent): Promise<void> {
    expect(uncaught).toEqual([]);
    for (const via of [false, agent] as const) {
      const answer = await clientCredentials(origin, via, t.clientId, t.clientSecret);
      expect(answer.status, answer.body).toBe(200);
      expect(JSON.parse(answer.body)).toMatchObject({ token_type: 'Bearer' });
    }
    // The keep-alive agent's socket really is reused for the next request.
    expect((await clientCredentials(origin, agent, t.clientId, t.clientSecret)).reusedSocket).toBe(true);
  }

  describe.each(FRAMINGS)('with %s framing', (framing) => {
    it.each(ENDPOINTS.flatMap((path) => OVERSIZED.map((size) => [path, size] as const)))(
      '%s answers a %i-byte body with the OAuth JSON 413 (no-store)',
      async (path, size) => {
        const agent = keepAliveAgent();
        try {
          const answer = await sendOversized(origin, path, size, framing, agent);
          expect(answer.status, answer.body).toBe(413);
          expect(answer.headers['content-type']).toMatch(/^application\/json/);
          expect(answer.headers['cache-control']).toBe('no-store');
          expect(JSON.parse(answer.body)).toMatchObject({ error: 'invalid_request' });
          expectCleanConnection(answer);
          await expectServerUsable(agent);
        } finally {
          agent.destroy();
        }
      },
    );

    it.each(PAGES.flatMap((path) => OVERSIZED.map((size) => [path, size] as const)))(
      'the page %s answers a %i-byte form with the HTML 413 page',
      async (path, size) => {
        const agent = keepAliveAgent();
        try {
          const answer = await sendOversized(origin, path, size, framing, agent, { cookie });
          expect(answer.status, answer.body).toBe(413);
          expect(answer.headers['content-type']).toMatch(/^text\/html/);
          expect(answer.headers['cache-control']).toBe('no-store');
          expect(answer.body).toMatch(/too large/);
          expectCleanConnection(answer);
          await expectServerUsable(agent);
        } finally {
          agent.destroy();
        }
      },
    );
  });

  it('keeps a connection alive after a 413 for a body that arrived whole (declared and sent, just over the limit)', async () => {
    const agent = keepAliveAgent();
    try {
      const answer = await sendOversized(origin, '/token', 16 * 1024 + 1, 'content-length', agent);
      expect(answer.status).toBe(413);
      expect(answer.headers.connection).toBe('keep-alive');
      const next = await clientCredentials(origin, agent, t.clientId, t.clientSecret);
      expect(next.status).toBe(200);
      expect(next.reusedSocket).toBe(true);
    } finally {
      agent.destroy();
    }
  });
});
