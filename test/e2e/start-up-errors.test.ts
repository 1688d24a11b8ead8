import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cliFailure, TEST_KEYS_SECRET } from './support/grantry-process.js';

/** A read-only tmpfs (root only: chmod does not stop root, a read-only mount does); `undefined` when not allowed. */
function mountReadOnly(): string | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'grantry-ro-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', dir], { stdio: 'ignore' });
    return dir;
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
}

const work = mkdtempSync(join(tmpdir(), 'grantry-start-'));
const readOnly = mountReadOnly();

afterAll(() => {
  if (readOnly) {
    execFileSync('umount', [readOnly], { stdio: 'ignore' });
    rmSync(readOnly, { recursive: true, force: true });
  }
  rmSync(work, { recursive: true, force: true });
});

async function startFailure(args: string[], env: Record<string, string> = {}, exitCode = 1): Promise<string> {
  // cliFailure resolves only once the process has exited: it failed at start, without waiting for a request.
  const { code, stderr } = await cliFailure(['serve', '--port', '0', ...args], env);
  expect(code).toBe(exitCode);
  expect(stderr.trim().split('\n')).toHaveLength(1);
  expect(stderr).not.toMatch(/\n\s+at /);
  return stderr.trim();
}

describe('start-up errors name the cause and the path', () => {
  it('reports a data directory under a file as not a directory', async () => {
    const file = join(work, 'a-file');
    writeFileSync(file, 'x');
    const dataDir = join(file, 'data');
    expect(await startFailure(['--data-dir', dataDir])).toBe(
      `grantry: cannot open the SQLite database ${join(dataDir, 'grantry.db')}: the directory ${dataDir} cannot be created: ${file} is not a directory`,
    );
  }, 30_000);

  it('reports a file that is not a SQLite database', async () => {
    const dataDir = join(work, 'garbage');
    mkdirSync(dataDir);
    const database = join(dataDir, 'grantry.db');
    writeFileSync(database, 'this is not a database, just text long enough to have a header'.repeat(20));
    expect(await startFailure(['--data-dir', dataDir, '--database', database])).toBe(
      `grantry: cannot open the SQLite database ${database}: the file is not a SQLite database`,
    );
  }, 30_000);

  it('exits 1 at start on an unreachable PostgreSQL database, naming it (without its password) and the cause', async () => {
    const message = await startFailure(['--data-dir', join(work, 'pg'), '--database', 'postgres://grantry:hunter2@127.0.0.1:1/grantry'], { GRANTRY_KEYS_SECRET: TEST_KEYS_SECRET });
    expect(message).toMatch(/^grantry: cannot reach the PostgreSQL database postgres:\/\/grantry(:\*+)?@127\.0\.0\.1:1\/grantry: .*ECONNREFUSED/);
    expect(message).not.toContain('hunter2');
  }, 30_000);

  it('exits 2 at start on a keys secret that is too short, naming the variable', async () => {
    const message = await startFailure(['--data-dir', join(work, 'short-secret')], { GRANTRY_KEYS_SECRET: 'too-short' }, 2);
    expect(message).toMatch(/^grantry: GRANTRY_KEYS_SECRET: the keys secret must be at least 32 characters/);
  }, 30_000);

  it('reports a database path that is a directory', async () => {
    const dataDir = join(work, 'dir-db');
    mkdirSync(join(dataDir, 'grantry.db'), { recursive: true });
    expect(await startFailure(['--data-dir', dataDir])).toBe(
      `grantry: cannot open the SQLite database ${join(dataDir, 'grantry.db')}: ${join(dataDir, 'grantry.db')} is a directory, not a database file`,
    );
  }, 30_000);

  describe.skipIf(!readOnly)(readOnly ? 'on a read-only file system' : 'on a read-only file system (skipped: mounting a tmpfs needs root)', () => {
    it('reports a read-only data directory', async () => {
      expect(await startFailure(['--data-dir', readOnly!])).toBe(
        `grantry: cannot open the SQLite database ${join(readOnly!, 'grantry.db')}: the directory ${readOnly!} is on a read-only file system`,
      );
    }, 30_000);

    it('reports a missing data directory that cannot be created there', async () => {
      const dataDir = join(readOnly!, 'sub', 'data');
      expect(await startFailure(['--data-dir', dataDir])).toBe(
        `grantry: cannot open the SQLite database ${join(dataDir, 'grantry.db')}: the directory ${dataDir} does not exist and cannot be created: the directory ${readOnly!} is on a read-only file system`,
      );
    }, 30_000);

    it('reports a key file that cannot be written in a read-only data directory', async () => {
      const database = join(work, 'elsewhere.db');
      expect(await startFailure(['--data-dir', readOnly!, '--database', database])).toBe(
        `grantry: cannot write the key file ${join(readOnly!, 'keys.json')}: the directory ${readOnly!} is on a read-only file system`,
      );
    }, 30_000);
  });
});
