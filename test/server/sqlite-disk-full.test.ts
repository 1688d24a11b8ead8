import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, rmdirSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/server/config.js';
import { createClient } from '../../src/server/server-store.js';
import { startServer, type StartedServer } from '../../src/server/start-server.js';
import { basic } from '../support/fixtures.js';

/** A small tmpfs of the test's own (root only: CI runs as root); `undefined` when mounting is not allowed here. */
function mountSmallFileSystem(): string | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'grantry-full-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m,mode=0700', 'tmpfs', dir], { stdio: 'ignore' });
    return dir;
  } catch {
    rmdirSync(dir);
    return undefined;
  }
}

const mountPoint = mountSmallFileSystem();
const SKIP = 'mounting a tmpfs failed (it needs root); the full-disk test is skipped';

/** Fills the file system: writes until ENOSPC, in big chunks and then in small ones. */
function fill(path: string): void {
  const fd = openSync(path, 'w');
  try {
    for (const size of [256 * 1024, 4096, 512]) {
      const chunk = Buffer.alloc(size, 1);
      for (let i = 0; i < 10_000; i++) {
        try {
          writeSync(fd, chunk);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOSPC') break;
          throw error;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
}

describe.skipIf(!mountPoint)(mountPoint ? 'the ready server on SQLite when the disk is full' : `the ready server on SQLite when the disk is full (${SKIP})`, () => {
  const dataDir = join(mountPoint ?? '', 'data');
  const filler = join(mountPoint ?? '', 'filler');
  let server: StartedServer | undefined;
  let authorization: string;
  const logs: Record<string, unknown>[] = [];

  beforeAll(async () => {
    const config = loadConfig({ port: '0', 'data-dir': dataDir, grants: 'client_credentials', 'request-log': 'false' }, {});
    server = await startServer(config, { log: (line) => logs.push(line) });
    const { client, secret } = await createClient(server.store, { name: 'svc', grantTypes: ['client_credentials'], scopes: [], redirectUris: [], public: false });
    authorization = basic(client.id, secret!);
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    if (!mountPoint) return;
    try {
      execFileSync('umount', [mountPoint], { stdio: 'ignore' });
    } catch {
      execFileSync('umount', ['-l', mountPoint], { stdio: 'ignore' });
    }
    rmSync(mountPoint, { recursive: true, force: true });
  });

  const token = () =>
    fetch(`${server!.issuer}/token`, {
      method: 'POST',
      headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
      signal: AbortSignal.timeout(10_000),
    });
  const healthz = () => fetch(`${server!.issuer}/healthz`, { signal: AbortSignal.timeout(10_000) });

  it('answers 503 with Retry-After and is not ready while the disk is full, recovers when space returns, and the database stays intact', async () => {
    expect((await token()).status).toBe(200);
    expect((await healthz()).status).toBe(200);

    fill(filler);
    const health = await healthz();
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ status: 'unavailable', reason: 'disk_full' });

    // SQLite reuses the space its write-ahead log already has, so the first commits may still fit; the writes
    // fail once they need new space. Every answer is a 200 (committed) or a 503, never a 500.
    let unavailable: Response | undefined;
    for (let i = 0; i < 500 && !unavailable; i++) {
      const answer = await token();
      expect([200, 503]).toContain(answer.status);
      if (answer.status === 503) unavailable = answer;
      else await answer.body?.cancel();
    }
    expect(unavailable).toBeDefined();
    expect(unavailable!.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
    expect(unavailable!.headers.get('cache-control')).toBe('no-store');
    expect(await unavailable!.json()).toMatchObject({ error: 'temporarily_unavailable' });
    expect(logs).toContainEqual(expect.objectContaining({ level: 'warn', msg: 'grantry: storage unavailable', reason: 'disk_full' }));

    unlinkSync(filler);
    let ready = false;
    for (let i = 0; i < 50 && !ready; i++) {
      ready = (await healthz()).status === 200;
      if (!ready) await new Promise((r) => setTimeout(r, 200));
    }
    expect(ready).toBe(true);
    expect((await token()).status).toBe(200);

    await server!.stop();
    server = undefined;
    const db = new Database(join(dataDir, 'grantry.db'), { readonly: true });
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      db.close();
    }
  }, 60_000);
});
