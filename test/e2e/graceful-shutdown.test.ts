import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, createTestStore, startGrantry, type GrantryProcess, type TestStore } from './support/grantry-process.js';
import { basicAuth } from './support/oauth-client.js';

interface Outcome {
  id: string;
  startedAt: number;
  endedAt?: number;
  status?: number;
  error?: string;
}

/** One token request on its own connection (no keep-alive), so that each request is either accepted or refused. */
function tokenRequest(url: URL, id: string, auth: string): Promise<Outcome> {
  const startedAt = Date.now();
  return new Promise((resolve) => {
    const req = request(url, { method: 'POST', agent: false, headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded', 'x-request-id': id } }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ id, startedAt, endedAt: Date.now(), status: body.includes('access_token') ? res.statusCode! : -(res.statusCode ?? 1) }));
      res.on('error', (e: NodeJS.ErrnoException) => resolve({ id, startedAt, status: -res.statusCode!, error: e.code ?? e.message }));
    });
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ id, startedAt, error: e.code ?? e.message }));
    req.end('grant_type=client_credentials');
  });
}

describe('graceful shutdown of the real server on SIGTERM', () => {
  let store: TestStore;
  let server: GrantryProcess;
  let auth: string;

  beforeAll(async () => {
    store = await createTestStore();
    const client = await cli(store, 'clients', 'create', '--name', 'Load', '--grant-types', 'client_credentials');
    auth = basicAuth(client.id, client.client_secret);
    server = await startGrantry(store);
  }, 120_000);

  afterAll(async () => {
    await server?.stop('SIGKILL');
    await store?.dispose();
  });

  it('finishes every accepted request under load: none fails, refused connections never reached the server', async () => {
    const url = new URL('/token', server.issuer);
    const outcomes: Outcome[] = [];
    let stopped = false;
    let n = 0;
    const worker = async () => {
      while (!stopped) {
        const outcome = await tokenRequest(url, `r${n++}`, auth);
        outcomes.push(outcome);
        if (outcome.error === 'ECONNREFUSED') stopped = true;
      }
    };
    const workers = Array.from({ length: 16 }, worker);
    await new Promise((r) => setTimeout(r, 1500));
    const sigtermAt = Date.now();
    const exitCode = await server.stop('SIGTERM');
    stopped = true;
    await Promise.all(workers);

    expect(exitCode).toBe(0);
    const served = new Set(server.logs.filter((l) => l.msg === 'request').map((l) => l.request_id));
    const answered = outcomes.filter((o) => o.status !== undefined);
    // Every request that got an answer got a complete 200 token response: none was cut or failed.
    expect(answered.filter((o) => o.status !== 200)).toEqual([]);
    // Requests that failed were refused at the door (connection refused or reset before any byte) and were never
    // seen by the server; every request the server saw was answered.
    const failed = outcomes.filter((o) => o.status === undefined);
    for (const o of failed) expect(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'socket hang up']).toContain(o.error);
    expect(failed.filter((o) => served.has(o.id))).toEqual([]);
    for (const id of served) expect(answered.some((o) => o.id === id)).toBe(true);
    // Requests were in flight when SIGTERM arrived, and finished with a 200 after it.
    expect(answered.filter((o) => o.startedAt < sigtermAt && o.endedAt! >= sigtermAt).length).toBeGreaterThan(0);
    expect(server.logs.some((l) => l.msg === 'stopped')).toBe(true);
  }, 60_000);
});
