import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { DATABASE_URL, PG_SKIP } from './support/postgres.js';
import { spawnServer, type ChildServer } from './support/spawn-server.js';
import { createDeployment, postRefresh, type TestDeployment } from './support/test-deployment.js';

const CHAINS = 50;
/** SIGKILL once this many refreshes have been answered: on average two per chain, with up to 50 in flight. */
const KILL_AFTER = 100;
/** How long after the last counted answer the SIGKILL is sent. */
const KILL_DELAY_MS = 4;
/** Long enough to cover the restart; the window is what forgives an answer committed but never delivered. */
const GRACE = 60;

/** One client refreshing its own token again and again, as a real client would. */
interface Chain {
  readonly familyId: string;
  /** The tokens this client received, oldest first; the last one is the one it holds. */
  readonly received: string[];
  /** A request of this client is waiting for its answer. */
  pending: boolean;
  /** A request of this client was waiting for its answer when SIGKILL was sent. */
  inFlightAtKill: boolean;
}

/** Runs every chain until the server dies, and SIGKILLs it after `KILL_AFTER` answers. */
async function refreshUntilKilled(server: ChildServer, chains: Chain[]): Promise<number[]> {
  let answered = 0;
  const unexpected: number[] = [];
  const kill = (): void => {
    for (const c of chains) c.inFlightAtKill = c.pending;
    server.child.kill('SIGKILL');
  };
  const run = async (chain: Chain): Promise<void> => {
    // Bounded: the kill comes after KILL_AFTER answers in all, so no chain gets anywhere near this.
    for (let i = 0; i < 1000 && server.child.exitCode === null && server.child.signalCode === null; i++) {
      let response: Response;
      chain.pending = true;
      try {
        response = await postRefresh(server.url, chain.received.at(-1)!);
      } catch {
        return; // the connection died with the server: the answer, if any, never arrived
      } finally {
        chain.pending = false;
      }
      const body = (await response.json().catch(() => ({}))) as { refresh_token?: string };
      if (response.status !== 200 || !body.refresh_token) {
        unexpected.push(response.status);
        return;
      }
      chain.received.push(body.refresh_token);
      // The kill lands a moment after an answer, while the next requests are being processed, not between turns.
      if (++answered === KILL_AFTER) setTimeout(kill, KILL_DELAY_MS);
    }
  };
  await Promise.all(chains.map(run));
  return unexpected;
}

/** How many unspent, unrevoked refresh tokens each family has, read straight from the database. */
async function liveTokensByFamily(deployment: TestDeployment): Promise<Map<string, number>> {
  const sql = `SELECT family_id, COUNT(*) AS n FROM grantry_refresh_tokens t
    WHERE t.consumed = false AND t.revoked = false
      AND NOT EXISTS (SELECT 1 FROM grantry_revoked_families f WHERE f.family_id = t.family_id)
    GROUP BY family_id`;
  let rows: { family_id: string; n: number | string }[];
  if (deployment.config.engine === 'sqlite') {
    const db = new Database(deployment.config.location, { readonly: true });
    try {
      rows = db.prepare(sql.replaceAll('false', '0')).all() as typeof rows;
    } finally {
      db.close();
    }
  } else {
    const client = new pg.Client({ connectionString: DATABASE_URL });
    await client.connect();
    try {
      await client.query(`SET search_path TO "${deployment.config.location}"`);
      rows = (await client.query<{ family_id: string; n: string }>(sql)).rows;
    } finally {
      await client.end();
    }
  }
  return new Map(rows.map((r) => [r.family_id, Number(r.n)]));
}

describe.each([
  { engine: 'sqlite' as const, grace: 0, window: 'off', skip: undefined },
  { engine: 'sqlite' as const, grace: GRACE, window: `${GRACE} s`, skip: undefined },
  { engine: 'postgres' as const, grace: 0, window: 'off', skip: PG_SKIP },
  { engine: 'postgres' as const, grace: GRACE, window: `${GRACE} s`, skip: PG_SKIP },
])('$engine, reuse grace window $window: SIGKILL during 50 concurrent refresh chains', ({ engine, grace, skip }) => {
  const servers: ChildServer[] = [];
  let deployment: TestDeployment | undefined;
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop('SIGKILL')));
    await deployment?.destroy();
  });

  it('lets every chain continue after a restart from the last token its client received; no token works twice', async (t) => {
    if (skip) return t.skip(skip);
    deployment = await createDeployment(engine, 'sealed', grace);
    const ctx = await deployment.server.context();
    const idOf = async (token: string): Promise<string> => (await ctx.refreshTokenCodec.open(token))!.id;
    const chains: Chain[] = [];
    for (let i = 0; i < CHAINS; i++) {
      const token = await deployment.mintRefreshToken();
      const record = await deployment.storage.refreshTokens.find(await idOf(token));
      chains.push({ familyId: record!.familyId, received: [token], pending: false, inFlightAtKill: false });
    }

    const first = await spawnServer(deployment.config);
    servers.push(first);
    expect(await refreshUntilKilled(first, chains)).toEqual([]);
    await first.stop('SIGKILL');
    expect(first.child.signalCode).toBe('SIGKILL');

    // What the database holds for the token each client has now: spent means an answer was committed and lost.
    const spent = await Promise.all(chains.map(async (c) => (await deployment!.storage.refreshTokens.find(await idOf(c.received.at(-1)!)))!.consumed));
    chains.forEach((c, i) => {
      // Only a request in flight at the kill can have been committed without its answer arriving.
      if (spent[i]) expect(c.inFlightAtKill).toBe(true);
    });
    expect(chains.filter((c) => c.inFlightAtKill).length).toBeGreaterThan(0);
    // Atomic rotation: no family lost its only token half-way (spent without a stored successor, or two live ones).
    const live = await liveTokensByFamily(deployment);
    for (const c of chains) expect(live.get(c.familyId)).toBe(1);

    const second = await spawnServer(deployment.config);
    servers.push(second);
    const continued = await Promise.all(
      chains.map(async (c) => {
        // Twice: the first continues the chain, the second proves the new token works and spends it.
        for (let step = 0; step < 2; step++) {
          const response = await postRefresh(second.url, c.received.at(-1)!);
          const body = (await response.json()) as { refresh_token?: string; error?: string };
          if (response.status !== 200) return { status: response.status, error: body.error };
          c.received.push(body.refresh_token!);
        }
        return { status: 200, error: undefined };
      }),
    );
    chains.forEach((c, i) => {
      // Without the window, only a chain whose answer was committed but never delivered may end, as reuse.
      const expected = spent[i] && grace === 0 ? { status: 400, error: 'invalid_grant' } : { status: 200, error: undefined };
      expect(continued[i]).toEqual(expected);
    });
    const after = await liveTokensByFamily(deployment);
    chains.forEach((c, i) => expect(after.get(c.familyId) ?? 0).toBe(continued[i]!.status === 200 ? 1 : 0));

    if (grace > 0) {
      // The window at work: the token before the one each client holds was spent moments ago and its successor is
      // unused, so presenting it again is answered, and the answer supersedes the successor, which stops working.
      const retried = await Promise.all(chains.map((c) => postRefresh(second.url, c.received.at(-2)!).then((r) => r.status)));
      expect(retried).toEqual(chains.map(() => 200));
      const superseded = await Promise.all(chains.map((c) => postRefresh(second.url, c.received.at(-1)!).then((r) => r.status)));
      expect(superseded).toEqual(chains.map(() => 400));
    }
    // No token works twice: every token whose successor a client has used is refused (reuse, even in the window).
    const older = chains.flatMap((c) => c.received.slice(0, grace > 0 ? -2 : -1));
    expect(older.length).toBeGreaterThan(CHAINS);
    const replays = await Promise.all(older.map((token) => postRefresh(second.url, token).then((r) => r.status)));
    expect(replays.filter((status) => status === 200)).toEqual([]);
  });
});
