import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);
const BIN = join(import.meta.dirname, '../../../bin/grantry.js');

/** A temporary data directory, and (with DATABASE_URL) a fresh PostgreSQL database, for one test file. */
export interface TestStore {
  readonly dataDir: string;
  /** `--database` value: undefined for the SQLite default. */
  readonly database: string | undefined;
  dispose(): Promise<void>;
}

/** A fresh store: SQLite in a temp dir, or a new database `grantry_e2e_<random>` on the server of `postgresUrl`. */
export async function createTestStore(postgresUrl?: string): Promise<TestStore> {
  const dataDir = mkdtempSync(join(tmpdir(), 'grantry-e2e-'));
  if (!postgresUrl) return { dataDir, database: undefined, dispose: async () => rmSync(dataDir, { recursive: true, force: true }) };
  const name = `grantry_e2e_${Math.random().toString(36).slice(2, 10)}`;
  const admin = new pg.Client({ connectionString: postgresUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(postgresUrl);
  url.pathname = `/${name}`;
  return {
    dataDir,
    database: url.toString(),
    async dispose() {
      rmSync(dataDir, { recursive: true, force: true });
      const c = new pg.Client({ connectionString: postgresUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

const storeArgs = (store: TestStore): string[] => ['--data-dir', store.dataDir, ...(store.database ? ['--database', store.database] : [])];

/** The secret that encrypts the stored keys: required with PostgreSQL (the same for every process of a test). */
export const TEST_KEYS_SECRET = 'test-keys-secret-0123456789abcdef0123456789';

const storeEnv = (store: TestStore): NodeJS.ProcessEnv => ({ ...cleanEnv(), ...(store.database ? { GRANTRY_KEYS_SECRET: TEST_KEYS_SECRET } : {}) });

/** Runs `grantry <args> --json` on the store and returns the parsed output. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each command prints its own JSON shape
export async function cli(store: TestStore, ...args: string[]): Promise<any> {
  const { stdout } = await run(process.execPath, [BIN, ...args, ...storeArgs(store), '--json'], { env: storeEnv(store), timeout: 60_000 });
  return JSON.parse(stdout);
}

/** Runs `grantry` expecting a failure; returns exit code and stderr. */
export async function cliFailure(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stderr: string }> {
  try {
    await run(process.execPath, [BIN, ...args], { env: { ...cleanEnv(), ...env }, timeout: 60_000 });
  } catch (error) {
    const e = error as { code: number; stderr: string };
    return { code: e.code, stderr: e.stderr };
  }
  throw new Error(`grantry ${args.join(' ')} succeeded`);
}

function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of Object.keys(env)) if (key.startsWith('GRANTRY_') || key === 'PORT' || key === 'DATABASE_URL') delete env[key];
  return env;
}

/** A running `grantry serve` child process. */
export interface GrantryProcess {
  readonly issuer: string;
  readonly child: ChildProcess;
  /** Every JSON line the server wrote to stdout. */
  readonly logs: Record<string, unknown>[];
  readonly stderr: () => string;
  /** Sends SIGTERM and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts the real server process on a free port (port 0) and waits until it listens. */
export async function startGrantry(store: TestStore, extraArgs: string[] = []): Promise<GrantryProcess> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', ...storeArgs(store), ...extraArgs], { env: storeEnv(store), stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: Record<string, unknown>[] = [];
  let errText = '';
  child.stderr.on('data', (d: Buffer) => (errText += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const issuer = await new Promise<string>((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => reject(new Error(`grantry did not start: ${errText}`)), 60_000);
    child.stdout.on('data', (d: Buffer) => {
      buffer += d.toString();
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        try {
          const entry = JSON.parse(line) as Record<string, unknown>;
          logs.push(entry);
          if (entry.msg === 'listening') {
            clearTimeout(timer);
            resolve(entry.issuer as string);
          }
        } catch {
          // not a log line
        }
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`grantry exited with ${code}: ${errText}`));
    });
  });
  return {
    issuer,
    child,
    logs,
    stderr: () => errText,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** A minimal cookie jar for driving the HTML pages with fetch. */
export class CookieJar {
  readonly #cookies = new Map<string, string>();
  store(response: Response): void {
    for (const c of response.headers.getSetCookie()) {
      const [pair] = c.split(';', 1);
      const eq = pair!.indexOf('=');
      this.#cookies.set(pair!.slice(0, eq), pair!.slice(eq + 1));
    }
  }
  header(): string {
    return [...this.#cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

/** The value of a hidden input in a page. */
export function hiddenField(html: string, name: string): string {
  const match = new RegExp(`name="${name}" value="([^"]*)"`).exec(html);
  if (!match) throw new Error(`no field ${name} in page`);
  return match[1]!.replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)));
}
