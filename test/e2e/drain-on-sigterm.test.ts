import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, createTestStore, startGrantry, type GrantryProcess, type TestStore } from './support/grantry-process.js';
import { basicAuth } from './support/oauth-client.js';

interface Outcome {
  worker: number;
  sentAt: number;
  status?: number;
  connection?: string;
  reusedSocket?: boolean;
  error?: string;
}

/** One token request through a keep-alive agent: the connection is reused until the server says close. */
function tokenRequest(agent: Agent, url: URL, auth: string, worker: number): Promise<Outcome> {
  const sentAt = Date.now();
  return new Promise((resolve) => {
    const req = request(url, { method: 'POST', agent, headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded' } }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () =>
        resolve({
          worker,
          sentAt,
          status: body.includes('access_token') ? res.statusCode! : -res.statusCode!,
          connection: String(res.headers.connection),
          reusedSocket: req.reusedSocket,
        }),
      );
      res.on('error', (e: NodeJS.ErrnoException) => resolve({ worker, sentAt, error: e.code ?? e.message }));
    });
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ worker, sentAt, error: e.code ?? e.message }));
    req.end('grant_type=client_credentials');
  });
}

/** GET a path on a new connection; the status, or the error code (ECONNREFUSED once the listener is closed). */
function probe(url: URL): Promise<number | string> {
  return new Promise((resolve) => {
    const req = request(url, { agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode!));
      res.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    });
    req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    req.end();
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('drain of the real server on SIGTERM', () => {
  let store: TestStore;
  let auth: string;
  const servers: GrantryProcess[] = [];

  beforeAll(async () => {
    store = await createTestStore();
    const client = await cli(store, 'clients', 'create', '--name', 'Load', '--grant-types', 'client_credentials');
    auth = basicAuth(client.id, client.client_secret);
  }, 120_000);

  afterAll(async () => {
    for (const server of servers) await server.stop('SIGKILL');
    await store?.dispose();
  });

  it('turns /readyz 503 before closing, tells kept-alive clients to close, answers every request sent before SIGTERM, exits 0', async () => {
    const server = await startGrantry(store, ['--shutdown-delay', '1', '--shutdown-timeout', '8']);
    servers.push(server);
    const tokenUrl = new URL('/token', server.issuer);
    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    const outcomes: Outcome[] = [];
    const probes: { at: number; result: number | string }[] = [];
    const liveness: (number | string)[] = [];
    let stopped = false;
    const worker = async (n: number) => {
      while (!stopped) {
        const outcome = await tokenRequest(agent, tokenUrl, auth, n);
        outcomes.push(outcome);
        if (outcome.error === 'ECONNREFUSED') return;
      }
    };
    const poller = async () => {
      while (!stopped) {
        const result = await probe(new URL('/readyz', server.issuer));
        probes.push({ at: Date.now(), result });
        liveness.push(await probe(new URL('/livez', server.issuer)));
        if (result === 'ECONNREFUSED') return;
        await sleep(20);
      }
    };
    const running = [...Array.from({ length: 8 }, (_, n) => worker(n)), poller()];
    await sleep(1500);
    const sigtermAt = Date.now();
    const exitCode = await server.stop('SIGTERM');
    const exitedAt = Date.now();
    stopped = true;
    await Promise.all(running);
    agent.destroy();

    expect(exitCode).toBe(0);
    expect(exitedAt - sigtermAt).toBeLessThan((1 + 8 + 2) * 1000); // the bound: delay + timeout (+ the CLI's 2 s for the database)
    expect(server.logs.some((l) => l.msg === 'stopped')).toBe(true);

    // Before the signal, connections were kept alive and reused.
    const before = outcomes.filter((o) => o.sentAt < sigtermAt);
    expect(before.some((o) => o.reusedSocket === true && o.connection === 'keep-alive')).toBe(true);
    // No request sent before the signal failed: each got a complete 200 token response.
    expect(before.filter((o) => o.status !== 200)).toEqual([]);
    // Every kept-alive client was told to close: a response after the signal carried Connection: close.
    for (let n = 0; n < 8; n++) {
      expect(outcomes.some((o) => o.worker === n && o.sentAt >= sigtermAt && o.status === 200 && o.connection === 'close')).toBe(true);
    }
    // Requests sent after the signal were answered, or refused once the listener had closed; none got an error status.
    const after = outcomes.filter((o) => o.sentAt >= sigtermAt);
    for (const o of after) {
      if (o.status !== undefined) expect(o.status).toBe(200);
      else expect(['ECONNREFUSED', 'ECONNRESET', 'socket hang up']).toContain(o.error);
    }

    // Readiness: 200 before the signal, then 503 while the listener still accepted, then the listener closed.
    expect(probes.filter((p) => p.at < sigtermAt).every((p) => p.result === 200)).toBe(true);
    const firstDraining = probes.findIndex((p) => p.result === 503);
    const firstClosed = probes.findIndex((p) => typeof p.result === 'string');
    expect(firstDraining).toBeGreaterThan(0);
    expect(firstClosed).toBeGreaterThan(firstDraining);
    expect(probes.slice(firstDraining, firstClosed).map((p) => p.result)).toEqual(probes.slice(firstDraining, firstClosed).map(() => 503));
    // A connection opened just as the listener closed may be reset instead of refused (it was sent after the signal).
    for (const p of probes.slice(firstClosed)) expect(['ECONNREFUSED', 'ECONNRESET']).toContain(p.result);
    expect(probes.at(-1)?.result).toBe('ECONNREFUSED');
    // Liveness stays 200 for as long as the process answers at all, while draining too.
    expect(liveness.filter((r) => typeof r === 'number')).toEqual(liveness.filter((r) => typeof r === 'number').map(() => 200));
    expect(probes.some((p, i) => p.result === 503 && liveness[i] === 200)).toBe(true);
  }, 60_000);

  it('cuts a request that never completes once --shutdown-timeout has passed, and exits 1', async () => {
    const server = await startGrantry(store, ['--shutdown-timeout', '2']);
    servers.push(server);
    const { port } = new URL(server.issuer);
    // A request whose body never arrives: the server is waiting for it, so the connection is busy, not idle.
    const socket = connect(Number(port), '127.0.0.1');
    const closed = new Promise<string>((resolve) => {
      let received = '';
      socket.on('data', (d: Buffer) => (received += d.toString()));
      socket.on('close', () => resolve(received));
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write(`POST /token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\ngrant_type=`);
    // Wait until the server is serving it (the metrics request itself is the other one in flight).
    let inFlight = 0;
    for (let i = 0; i < 100 && inFlight < 2; i++) {
      const metrics = await (await fetch(new URL('/metrics', server.issuer))).text();
      inFlight = Number(/^grantry_http_requests_in_flight (\d+)$/m.exec(metrics)?.[1]);
      if (inFlight < 2) await sleep(20);
    }
    expect(inFlight).toBe(2);

    const sigtermAt = Date.now();
    const exitCode = await server.stop('SIGTERM');
    const exitedAt = Date.now();
    expect(await closed).toBe(''); // cut without an answer: the body never came
    expect(exitCode).toBe(1);
    // Node's own request timeout is 300 s: without the bound the process would still be waiting.
    expect(exitedAt - sigtermAt).toBeLessThan((2 + 2) * 1000);
    expect(server.logs.some((l) => l.msg === 'stopped; connections still open at --shutdown-timeout were cut')).toBe(true);
  }, 60_000);
});
