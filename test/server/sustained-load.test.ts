import Database from 'better-sqlite3';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_WAL_LIMIT_MIB } from '../../src/storage/sqlite/sqlite-checkpointer.js';
import { loadConfig } from '../../src/server/config.js';
import { createClient } from '../../src/server/server-store.js';
import { startServer } from '../../src/server/start-server.js';

const dir = mkdtempSync(join(tmpdir(), 'grantry-sustained-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const TABLES = ['grantry_access_tokens', 'grantry_refresh_tokens', 'grantry_server_rate_limit_failures'] as const;
type Counts = Record<(typeof TABLES)[number], number>;

const basic = (id: string, secret: string): string => 'Basic ' + Buffer.from(`${id}:${secret}`).toString('base64');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the ready server on SQLite under sustained load', () => {
  it('removes expired tokens and limiter entries while the load runs, and keeps the -wal file under its bound', async () => {
    const config = loadConfig(
      {
        port: '0',
        'data-dir': dir,
        grants: 'client_credentials,password,refresh_token',
        'access-token-ttl': '1',
        'refresh-token-ttl': '2',
        'rate-limit-window': '1',
        'rate-limit-max': '100000',
        'cleanup-interval': '1',
        'request-log': 'false',
      },
      {},
    );
    const logs: Record<string, unknown>[] = [];
    const server = await startServer(config, { log: (line) => logs.push(line) });
    const { client, secret } = await createClient(server.store, {
      name: 'Load',
      grantTypes: ['client_credentials', 'password', 'refresh_token'],
      scopes: [],
      redirectUris: [],
      public: false,
    });
    await server.store.storage.admin.createUser({ username: 'alice', password: 'wonderland' });
    const auth = basic(client.id, secret!);
    const token = (form: Record<string, string>, authorization = auth) =>
      fetch(`${server.issuer}/token`, {
        method: 'POST',
        headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(form).toString(),
      });

    const statuses = new Map<number, number>();
    const seen = (status: number) => statuses.set(status, (statuses.get(status) ?? 0) + 1);
    let issued = 0;
    let running = true;
    const clientCredentials = async () => {
      while (running) {
        const response = await token({ grant_type: 'client_credentials' });
        seen(response.status);
        if (response.status === 200) issued++;
        await response.arrayBuffer();
      }
    };
    const refreshChain = async () => {
      let refresh = ((await (await token({ grant_type: 'password', username: 'alice', password: 'wonderland' })).json()) as { refresh_token: string }).refresh_token;
      while (running) {
        const response = await token({ grant_type: 'refresh_token', refresh_token: refresh });
        seen(response.status);
        if (response.status !== 200) return;
        issued++;
        refresh = ((await response.json()) as { refresh_token: string }).refresh_token;
      }
    };
    const wrongSecrets = async () => {
      for (let i = 0; running; i++) {
        const response = await token({ grant_type: 'client_credentials' }, basic(`nobody-${i}`, 'wrong'));
        seen(response.status);
        await response.arrayBuffer();
      }
    };

    // Another connection samples the tables and the -wal file while the load runs.
    const reader = new Database(config.database, { readonly: true });
    const countRows = (): Counts =>
      Object.fromEntries(TABLES.map((t) => [t, (reader.prepare(`SELECT COUNT(*) AS n FROM ${t}`).get() as { n: number }).n])) as Counts;
    const samples: Counts[] = [];
    let maxWal = 0;
    const sampler = async () => {
      while (running) {
        samples.push(countRows());
        maxWal = Math.max(maxWal, statSync(`${config.database}-wal`, { throwIfNoEntry: false })?.size ?? 0);
        await sleep(200);
      }
    };

    const load = [clientCredentials(), clientCredentials(), refreshChain(), refreshChain(), wrongSecrets(), sampler()];
    await sleep(12_000);
    running = false;
    await Promise.all(load);
    const removedDuringLoad = logs.filter((l) => l.msg === 'expired records removed');
    reader.close();
    await server.stop();

    // The load was real, and nothing failed with a server error.
    expect([...statuses.keys()].filter((s) => s >= 500)).toEqual([]);
    expect(statuses.get(401)).toBeGreaterThan(0);
    expect(issued).toBeGreaterThan(100);
    // Rows were removed while the load ran: every table shrank between two samples, and did not pile up.
    for (const table of TABLES) {
      expect(samples.some((s, i) => i > 0 && s[table] < samples[i - 1]![table]), table).toBe(true);
    }
    expect(Math.max(...samples.map((s) => s.grantry_access_tokens))).toBeLessThan(issued / 2);
    const sum = (key: string) => removedDuringLoad.reduce((n, l) => n + Number(l[key] ?? 0), 0);
    expect(sum('accessTokens')).toBeGreaterThan(0);
    expect(sum('refreshTokens')).toBeGreaterThan(0);
    expect(sum('rateLimitFailures')).toBeGreaterThan(0);
    // The -wal file stayed under the documented default bound throughout.
    expect(maxWal).toBeLessThan(DEFAULT_WAL_LIMIT_MIB * 1024 * 1024);
  }, 60_000);
});
