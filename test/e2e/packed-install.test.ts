// The package as a user gets it: `npm pack` (which builds dist/ in its prepack script) in a copy of the repository,
// the tarball installed into a new project that has nothing else, then `npx grantry serve` from that project on
// SQLite, a client made with `npx grantry clients create`, and a client_credentials token over HTTP.
// better-sqlite3 (an optional dependency) installs through prebuild-install: a user's machine downloads the release's
// prebuilt binary, and compiles sqlite3.c (minutes on two busy cores) only when none fits. This machine has no
// internet, so the test hands prebuild-install the binary this repository's own better-sqlite3 was built with, as a
// local prebuild of the same version, ABI and platform (its documented `local-prebuilds` option): the install runs
// better-sqlite3's real install script, takes seconds, and gets the binary it would have downloaded. Should the
// installed version differ, prebuild-install finds no local prebuild and falls back to compiling (slow, not wrong).
// The pack and the installs run once, in beforeAll; the steps' durations are printed. The build (a full `tsc` of
// src/ in prepack) dominates: seconds on an idle machine, over two minutes on two cores shared by many processes,
// hence the generous setup timeout.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const SETUP_TIMEOUT = 300_000;

/** The environment of a user's shell: no settings of this test run, npm allowed to compile with every core. */
function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, JOBS: 'max' };
  for (const key of Object.keys(env)) {
    if (key.startsWith('GRANTRY_') || key === 'PORT' || key === 'DATABASE_URL' || key.startsWith('VITEST') || key === 'NODE_OPTIONS') delete env[key];
    // npm_config_* of an enclosing `npm test` would change what the inner npm commands do.
    if (key.toLowerCase().startsWith('npm_')) delete env[key];
  }
  return env;
}

async function npm(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  const { stdout } = await run('npm', args, { cwd, env: { ...userEnv(), ...env }, timeout: SETUP_TIMEOUT, maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

/**
 * A directory holding this repository's better-sqlite3 binary as the release tarball prebuild-install would download
 * (`{name}-v{version}-{runtime}-v{abi}-{platform}{libc}-{arch}.tar.gz`, glibc: no libc suffix).
 */
async function localPrebuilds(into: string): Promise<string> {
  const driver = realpathSync(join(ROOT, 'node_modules/better-sqlite3'));
  const { version } = JSON.parse(readFileSync(join(driver, 'package.json'), 'utf8')) as { version: string };
  mkdirSync(into);
  const name = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  await run('tar', ['-czf', join(into, name), '-C', driver, 'build/Release/better_sqlite3.node']);
  return into;
}

async function npx(cwd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('npx', args, { cwd, env: userEnv(), timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: unknown; stdout: string; stderr: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout, stderr: e.stderr };
  }
}

/** Every regular file under `dir`, as paths relative to it. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)));
}

/** The project copy that gets packed: what the repository tracks for the build, with the shared node_modules. */
function copyProject(into: string): void {
  mkdirSync(into);
  for (const name of ['package.json', 'tsconfig.json', 'tsconfig.build.json', 'README.md', 'LICENSE', 'CHANGELOG.md', 'bin', 'scripts', 'src']) {
    cpSync(join(ROOT, name), join(into, name), { recursive: true });
  }
  symlinkSync(realpathSync(join(ROOT, 'node_modules')), join(into, 'node_modules'), 'dir');
}

const durations: Record<string, number> = {};
async function timed<T>(step: string, action: () => Promise<T>): Promise<T> {
  const start = performance.now();
  try {
    return await action();
  } finally {
    durations[step] = Math.round(performance.now() - start);
  }
}

describe('the packed package installed into an empty project', () => {
  let tmp: string;
  let tarball: string;
  let packageDir: string; // the tarball's contents
  let app: string; // a project with the tarball installed, optional dependencies included
  let bare: string; // the same with --omit=optional: no better-sqlite3
  let packedManifestInCopy: string;

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'grantry-pack-'));
    const project = join(tmp, 'project');
    copyProject(project);
    packedManifestInCopy = readFileSync(join(project, 'package.json'), 'utf8');
    mkdirSync(join(tmp, 'out'));
    const packed = JSON.parse(await timed('npm pack (with the build)', () => npm(project, ['pack', '--pack-destination', join(tmp, 'out'), '--json']))) as { filename: string }[];
    tarball = join(tmp, 'out', packed[0]!.filename);
    // postpack put the repository's package.json (with its `source` conditions) back.
    expect(readFileSync(join(project, 'package.json'), 'utf8')).toBe(packedManifestInCopy);
    expect(existsSync(join(project, '.package.json.orig'))).toBe(false);

    mkdirSync(join(tmp, 'extract'));
    await run('tar', ['-xzf', tarball, '-C', join(tmp, 'extract')]);
    packageDir = join(tmp, 'extract', 'package');

    app = join(tmp, 'app');
    bare = join(tmp, 'bare');
    for (const dir of [app, bare]) {
      mkdirSync(dir);
      await npm(dir, ['init', '-y']);
    }
    const prebuilds = await localPrebuilds(join(tmp, 'prebuilds'));
    await timed('npm install <tarball>', () =>
      npm(app, ['install', tarball, '--no-audit', '--no-fund', '--prefer-offline'], { npm_config_better_sqlite3_local_prebuilds: prebuilds }),
    );
    await timed('npm install <tarball> --omit=optional', () =>
      npm(bare, ['install', tarball, '--omit=optional', '--no-audit', '--no-fund', '--prefer-offline']),
    );
  }, SETUP_TIMEOUT);

  afterAll(() => {
    killLeftovers();
    console.log(`packed-install durations (ms): ${JSON.stringify(durations)}`);
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('ships a package.json whose exports all point at files in the package, without `source` conditions', () => {
    const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as {
      exports: Record<string, Record<string, string>>;
      bin: Record<string, string>;
      optionalDependencies: Record<string, string>;
      dependencies?: Record<string, string>;
      peerDependencies: Record<string, string>;
    };
    expect(JSON.stringify(manifest.exports)).not.toMatch(/src\//);
    const targets = Object.values(manifest.exports).flatMap((conditions) => Object.entries(conditions));
    expect(targets.length).toBeGreaterThanOrEqual(20);
    for (const [condition, target] of targets) {
      expect(condition).not.toBe('source');
      expect(existsSync(join(packageDir, target)), `${condition}: ${target}`).toBe(true);
    }
    for (const target of Object.values(manifest.bin)) expect(existsSync(join(packageDir, target)), target).toBe(true);
    // The SQLite driver comes with `npm install grantry`; nothing else is required.
    expect(manifest.optionalDependencies).toEqual({ 'better-sqlite3': expect.any(String) });
    expect(manifest.dependencies ?? {}).toEqual({});
    expect(Object.keys(manifest.peerDependencies)).not.toContain('better-sqlite3');
  });

  it('ships LICENSE, README.md and CHANGELOG.md, and no tests or sources', () => {
    const files = filesUnder(packageDir);
    expect(files).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'CHANGELOG.md', 'package.json', 'bin/grantry.js', 'dist/cli/main.js', 'dist/index.d.ts']));
    expect(files.filter((f) => f.startsWith('src/') || f.startsWith('test/') || f.endsWith('.test.js'))).toEqual([]);
    expect(readFileSync(join(packageDir, 'LICENSE'), 'utf8')).toMatch(/^MIT License/);
  });

  it('ships no source map that points at a file missing from the package', () => {
    const maps = filesUnder(packageDir).filter((f) => f.endsWith('.map'));
    const missing: string[] = [];
    for (const map of maps) {
      const { sources } = JSON.parse(readFileSync(join(packageDir, map), 'utf8')) as { sources: string[] };
      for (const source of sources) if (!existsSync(resolve(packageDir, dirname(map), source))) missing.push(`${map} -> ${source}`);
    }
    // The build emits no maps today (tsconfig.build.json); should it again, they must come with their sources.
    expect(missing).toEqual([]);
    // Nor a sourceMappingURL comment naming a map file that is not there.
    const danglingComments = filesUnder(packageDir)
      .filter((f) => f.endsWith('.js'))
      .flatMap((f) => {
        const url = /\/\/# sourceMappingURL=(\S+)/.exec(readFileSync(join(packageDir, f), 'utf8'))?.[1];
        return url && !url.startsWith('data:') && !existsSync(resolve(packageDir, dirname(f), url)) ? [`${f} -> ${url}`] : [];
      });
    expect(danglingComments).toEqual([]);
  });

  it('`npx grantry serve` runs on SQLite, `npx grantry clients create` registers a client, and the token endpoint issues a token', async () => {
    const dataDir = join(tmp, 'data');
    const server = spawnServer(app, ['serve', '--port', '0', '--data-dir', dataDir]);
    try {
      const issuer = await server.issuer;
      expect(issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

      const created = await npx(app, ['grantry', 'clients', 'create', '--name', 'Packed', '--grant-types', 'client_credentials', '--data-dir', dataDir, '--json']);
      expect(created.code, created.stderr).toBe(0);
      const client = JSON.parse(created.stdout) as { id: string; client_secret: string };
      expect(client.client_secret).toEqual(expect.any(String));

      const response = await fetch(`${issuer}/token`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${encodeURIComponent(client.id)}:${encodeURIComponent(client.client_secret)}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: 'grant_type=client_credentials',
      });
      expect(response.status).toBe(200);
      const token = (await response.json()) as { access_token: string; token_type: string };
      expect(token.token_type).toBe('Bearer');
      const payload = JSON.parse(Buffer.from(token.access_token.split('.')[1]!, 'base64url').toString()) as { iss: string; client_id: string };
      expect(payload).toMatchObject({ iss: issuer, client_id: client.id });

      // The server itself says the token is live (RFC 7662), so the token came from this server's keys.
      const introspection = await fetch(`${issuer}/introspect`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${encodeURIComponent(client.id)}:${encodeURIComponent(client.client_secret)}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ token: token.access_token }),
      });
      expect(await introspection.json()).toMatchObject({ active: true, client_id: client.id });
    } finally {
      await server.stop();
    }
    // The server drained and said so; nothing of the group is left running.
    expect(server.logs.map((entry) => entry.msg)).toEqual(expect.arrayContaining(['shutting down', 'stopped']));
    for (let i = 0; i < 50 && server.alive(); i++) await new Promise((r) => setTimeout(r, 100));
    expect(server.alive()).toBe(false);
  });

  it('without the optional driver, the library still imports and `grantry serve` names the missing package before creating anything', async () => {
    expect(existsSync(join(bare, 'node_modules/better-sqlite3'))).toBe(false);
    // What a bundler or a Workers project pulls in: the core and the server's module graph load without the driver.
    writeFileSync(
      join(bare, 'check.mjs'),
      "const core = await import('grantry');\nconst server = await import('grantry/server');\nconsole.log(typeof core.AuthorizationServer, typeof server.startServer);\n",
    );
    const { stdout } = await run(process.execPath, ['check.mjs'], { cwd: bare, env: userEnv() });
    expect(stdout.trim()).toBe('function function');

    const dataDir = join(tmp, 'bare-data');
    const result = await npx(bare, ['grantry', 'serve', '--port', '0', '--data-dir', dataDir]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('better-sqlite3');
    expect(result.stderr).toContain('npm install better-sqlite3');
    expect(existsSync(dataDir)).toBe(false);
  });
});

interface ServerProcess {
  readonly issuer: Promise<string>;
  /** Every JSON line the server wrote to stdout. */
  readonly logs: { msg?: string }[];
  /** SIGTERM to `npx` and the server it started; resolves once every process of the group has closed stdout. */
  stop(): Promise<void>;
  /** Whether a process of the group is still alive. */
  alive(): boolean;
}

const servers: ServerProcess[] = [];

/**
 * `npx grantry <args>` in `cwd`, resolving `issuer` from its 'listening' JSON line. npx runs the bin in a child of its
 * own and does not pass SIGTERM on, so it starts in a process group of its own and the group gets the signal, as a
 * terminal's Ctrl-C or a service manager would deliver it.
 */
function spawnServer(cwd: string, args: string[]): ServerProcess {
  const child: ChildProcess = spawn('npx', ['grantry', ...args], { cwd, env: userEnv(), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const group = child.pid!;
  const logs: { msg?: string; issuer?: string }[] = [];
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const closed = new Promise<void>((resolveClose) => child.stdout!.once('close', () => resolveClose()));
  const issuer = new Promise<string>((resolveIssuer, reject) => {
    let buffer = '';
    const timer = setTimeout(() => reject(new Error(`grantry did not start: ${stderr}`)), 60_000);
    child.stdout!.on('data', (d: Buffer) => {
      buffer += d.toString();
      for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (!line.startsWith('{')) continue;
        const entry = JSON.parse(line) as { msg?: string; issuer?: string };
        logs.push(entry);
        if (entry.msg === 'listening' && entry.issuer) {
          clearTimeout(timer);
          resolveIssuer(entry.issuer);
        }
      }
    });
    void closed.then(() => {
      clearTimeout(timer);
      reject(new Error(`grantry exited before listening: ${stderr}`));
    });
  });
  issuer.catch(() => undefined);
  const alive = (): boolean => {
    try {
      process.kill(-group, 0);
      return true;
    } catch {
      return false;
    }
  };
  const server: ServerProcess = {
    issuer,
    logs,
    alive,
    async stop() {
      if (alive()) process.kill(-group, 'SIGTERM');
      await closed;
    },
  };
  servers.push(server);
  return server;
}

/** Ends what a failed test left running. */
function killLeftovers(): void {
  for (const server of servers) if (server.alive()) void server.stop();
}
