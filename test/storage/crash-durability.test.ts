import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_URL, PG_SKIP } from './support/postgres.js';
import { spawnServer, type ChildServer } from './support/spawn-server.js';
import { createDeployment, jtiOf, postRefresh, type TestDeployment } from './support/test-deployment.js';

const WORKERS = 8;
const KILL_AFTER = 30;

interface StreamResult {
  /** Refresh tokens that came back with a 200 (and were never presented afterwards). */
  returned: string[];
  /** Requests still waiting for their answer when SIGKILL was sent. */
  inFlightAtKill: number;
}

/** Refreshes one token after another on `WORKERS` connections and SIGKILLs the server after `KILL_AFTER` 200s. */
async function refreshUntilKilled(server: ChildServer, tokens: string[]): Promise<StreamResult> {
  const returned: string[] = [];
  let inFlight = 0;
  let inFlightAtKill = -1;
  const worker = async (): Promise<void> => {
    for (let token = tokens.pop(); token !== undefined && server.child.exitCode === null; token = tokens.pop()) {
      inFlight++;
      try {
        const response = await postRefresh(server.url, token);
        const body = (await response.json()) as { refresh_token?: string };
        if (response.status === 200 && body.refresh_token) returned.push(body.refresh_token);
      } catch {
        return; // the connection died with the server
      } finally {
        inFlight--;
      }
      if (returned.length >= KILL_AFTER && inFlightAtKill < 0) {
        inFlightAtKill = inFlight;
        server.child.kill('SIGKILL');
      }
    }
  };
  await Promise.all(Array.from({ length: WORKERS }, worker));
  return { returned, inFlightAtKill };
}

async function integrityCheck(deployment: TestDeployment): Promise<void> {
  if (deployment.config.engine === 'sqlite') {
    const db = new Database(deployment.config.location, { readonly: true });
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      db.close();
    }
    return;
  }
  // amcheck verifies every B-tree index of the schema against its table (heapallindexed).
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    await client.query('CREATE EXTENSION IF NOT EXISTS amcheck');
    const { rows } = await client.query<{ relname: string }>(
      `SELECT c.relname, bt_index_check(c.oid, true) FROM pg_index i
         JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
         JOIN pg_am am ON am.oid = c.relam
       WHERE n.nspname = $1 AND am.amname = 'btree'`,
      [deployment.config.location],
    );
    expect(rows.length).toBeGreaterThanOrEqual(10);
  } finally {
    await client.end();
  }
}

describe.each([
  { engine: 'sqlite' as const, skip: undefined },
  { engine: 'postgres' as const, skip: PG_SKIP },
])('a $engine server killed with SIGKILL in the middle of a stream of refreshes', ({ engine, skip }) => {
  let deployment: TestDeployment;
  const servers: ChildServer[] = [];

  beforeAll(async () => {
    if (skip) return;
    deployment = await createDeployment(engine);
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop('SIGKILL')));
    await deployment?.destroy();
  });

  it('keeps every refresh token it answered with 200 working after a restart, on an intact database', async (t) => {
    if (skip) return t.skip(skip);
    const tokens = await Promise.all(Array.from({ length: 120 }, () => deployment.mintRefreshToken()));
    const first = await spawnServer(deployment.config);
    servers.push(first);
    const { returned, inFlightAtKill } = await refreshUntilKilled(first, tokens);
    await first.stop('SIGKILL');
    expect(first.child.signalCode).toBe('SIGKILL');
    expect(returned.length).toBeGreaterThanOrEqual(KILL_AFTER);
    expect(inFlightAtKill).toBeGreaterThan(0);

    // The records behind each 200 were committed before the answer: the token and its access token exist.
    const ctx = await deployment.server.context();
    for (const token of returned) {
      const record = await deployment.storage.refreshTokens.find((await ctx.refreshTokenCodec.open(token))!.id);
      expect(record).toMatchObject({ consumed: false, revoked: false });
      expect(await deployment.storage.accessTokens.find(record!.accessTokenId!)).toBeDefined();
    }
    await integrityCheck(deployment);

    const second = await spawnServer(deployment.config);
    servers.push(second);
    const statuses: number[] = [];
    for (let i = 0; i < returned.length; i += WORKERS) {
      const batch = returned.slice(i, i + WORKERS).map(async (token) => {
        const response = await postRefresh(second.url, token);
        const body = (await response.json()) as { access_token?: string };
        statuses.push(response.status);
        if (body.access_token) expect(await deployment.storage.accessTokens.isRevoked(jtiOf(body.access_token))).toBe(false);
      });
      await Promise.all(batch);
    }
    expect(statuses).toEqual(returned.map(() => 200));
    await integrityCheck(deployment);
  });
});
