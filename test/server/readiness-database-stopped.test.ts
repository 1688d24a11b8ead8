import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/server/config.js';
import { startServer, type StartedServer } from '../../src/server/start-server.js';
import { createTestStore, TEST_KEYS_SECRET, type TestStore } from '../e2e/support/grantry-process.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

const DATABASE_URL = process.env.DATABASE_URL;
// The server's limits here are 1 s per connection and per statement: a probe is answered well within this.
const BOUND_MS = 5000;
const RECOVERY_MS = 10_000;

describe.skipIf(!DATABASE_URL)('/livez and /readyz while PostgreSQL is stopped (its TCP proxy closed) and started again', () => {
  let store: TestStore;
  let target: { host: string; port: number };
  let proxy: TcpProxy;
  let server: StartedServer;

  beforeAll(async () => {
    store = await createTestStore(DATABASE_URL);
    const url = new URL(store.database!);
    target = { host: url.hostname, port: Number(url.port || 5432) };
    proxy = await startTcpProxy(target);
    url.hostname = '127.0.0.1';
    url.port = String(proxy.port);
    const config = loadConfig(
      { port: '0', 'data-dir': store.dataDir, database: url.toString(), grants: 'client_credentials', 'request-log': 'false', 'db-query-timeout': '1', 'db-connect-timeout': '1' },
      { GRANTRY_KEYS_SECRET: TEST_KEYS_SECRET },
    );
    server = await startServer(config, { log: () => undefined });
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    await proxy?.close();
    await store?.dispose();
  });

  const probe = async (path: string) => {
    const response = await fetch(`${server.issuer}${path}`, { signal: AbortSignal.timeout(BOUND_MS) });
    return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> };
  };

  it('keeps /livez 200, answers /readyz and /healthz 503 with the reason and Retry-After, and 200 again once the database is back', async () => {
    expect(await probe('/readyz')).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect(await probe('/livez')).toMatchObject({ status: 200, body: { status: 'ok' } });

    // The database stops: its port refuses connections, and the open ones are cut.
    const port = proxy.port;
    await proxy.close();

    for (const path of ['/readyz', '/healthz']) {
      const down = await probe(path);
      expect(down.status).toBe(503);
      expect(down.body).toEqual({ status: 'unavailable', reason: expect.stringMatching(/^(connection|timeout)$/) });
      expect(down.headers.get('retry-after')).toBe('5');
      expect(down.headers.get('cache-control')).toBe('no-store');
    }
    const live = await probe('/livez');
    expect(live).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect(live.headers.get('cache-control')).toBe('no-store');

    // The database starts again on the same port: readiness returns without a restart.
    proxy = await startTcpProxy(target, port);
    let ready = await probe('/readyz');
    for (let deadline = Date.now() + RECOVERY_MS; ready.status !== 200 && Date.now() < deadline; ) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      ready = await probe('/readyz');
    }
    expect(ready).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect((await probe('/livez')).status).toBe(200);
  }, 60_000);
});
