import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { openServerStore } from '../../src/server/server-store.js';
import type { Client } from '../../src/contracts/types.js';
import { createTestStore, type TestStore } from './support/grantry-process.js';

const BIN = join(import.meta.dirname, '../../bin/grantry.js');
const VERSION = (JSON.parse(readFileSync(join(import.meta.dirname, '../../package.json'), 'utf8')) as { version: string }).version;

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `grantry <args>` with `input` on stdin (a pipe, not a terminal) and the given environment only. */
function run(args: string[], options: { input?: string; env?: Record<string, string> } = {}): Promise<Outcome> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GRANTRY_') && k !== 'DATABASE_URL' && k !== 'PORT'));
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin.end(options.input ?? '');
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

/**
 * Runs `main()` in this process, capturing what it writes: the same code path as the binary without a process
 * start per case (the binary itself is run by the tests that need stdin or its exit status).
 */
async function runHere(args: string[], env: Record<string, string> = {}): Promise<Outcome> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
  try {
    const code = await main(args, env);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

/** Whether util-linux `script` can give the command a terminal (a pseudo-terminal). */
const hasScript = (() => {
  try {
    execFileSync('script', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** Runs `grantry <args>` on a pseudo-terminal, typing `answers` one per prompt as each prompt appears. */
function runOnTerminal(args: string[], answers: string[]): Promise<{ code: number | null; screen: string }> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GRANTRY_') && k !== 'DATABASE_URL'));
  const command = [process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const child = spawn('script', ['-qec', command, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let screen = '';
  let answered = 0;
  child.stdout.on('data', (d: Buffer) => {
    screen += d.toString();
    const prompts = (screen.match(/Password( \(again\))?: /g) ?? []).length;
    for (; answered < Math.min(prompts, answers.length); answered++) child.stdin.write(`${answers[answered]}\r`);
  });
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, screen })));
}

/** A usage error: exit 2, one line on stderr, nothing on stdout, no stack trace. */
function expectUsageError(out: Outcome, message: string | RegExp): void {
  expect(out.code, out.stderr).toBe(2);
  expect(out.stdout).toBe('');
  expect(out.stderr.trim().split('\n')).toHaveLength(1);
  expect(out.stderr).not.toMatch(/\n\s+at /);
  expect(out.stderr.trim()).toMatch(message);
}

describe('grantry: help, version and exit codes', () => {
  it('prints the help on stderr and exits 2 when run bare; --help exits 0 with it on stdout', async () => {
    const bare = await run([]);
    expect(bare.code).toBe(2);
    expect(bare.stdout).toBe('');
    expect(bare.stderr).toMatch(/^Usage: grantry <command>/);
    const help = await runHere(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: grantry <command>/);
    expect(help.stdout).toContain('Exit status: 0 success, 1 runtime failure');
  }, 30_000);

  it('prints its version with --version, as text or JSON', async () => {
    const text = await runHere(['--version']);
    const json = await runHere(['--version', '--json']);
    expect(text).toEqual({ code: 0, stdout: `grantry ${VERSION}\n`, stderr: '' });
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({ version: VERSION });
  }, 30_000);

  it('prints one command\'s help for grantry <command> --help and grantry help <command>', async () => {
    const serve = await runHere(['serve', '--help']);
    const clients = await runHere(['clients', 'create', '--help']);
    const helpUsers = await runHere(['help', 'users']);
    for (const out of [serve, clients, helpUsers]) expect(out.code).toBe(0);
    expect(serve.stdout).toMatch(/^Usage: grantry serve \[options\]/);
    expect(serve.stdout).toContain('--access-token-ttl');
    expect(serve.stdout).not.toContain('clients create');
    expect(clients.stdout).toMatch(/^Usage: grantry clients <action>/);
    expect(clients.stdout).toContain('--redirect-uris');
    expect(clients.stdout).not.toContain('--access-token-ttl');
    expect(helpUsers.stdout).toContain('--password-stdin');
    expect(helpUsers.stdout).not.toContain('clients create');
  }, 30_000);

  it.each([
    ['an unknown command', ['serv'], 'grantry: unknown command serv (did you mean serve?); see grantry --help'],
    ['an unknown flag', ['clients', 'list', '--colour'], /^grantry: Unknown option '--colour'/],
    ['a flag of another command', ['serve', '--name', 'x'], 'grantry: serve does not take --name; see grantry serve --help'],
  ])('exits 2 on %s', async (_what, args, message) => {
    expectUsageError(await runHere(args), message);
  }, 30_000);

  it('reports errors as {"error":{"code","message"}} on stderr with --json: usage_error, config_error (2), runtime_error (1)', async () => {
    const usage = await runHere(['frobnicate', '--json']);
    const config = await runHere(['clients', 'list', '--json'], { GRANTRY_ACCESS_TOKEN_TTL: 'an hour' });
    const runtime = await runHere(['migrate', '--json', '--database', 'postgres://nobody@127.0.0.1:1/none'], { GRANTRY_KEYS_SECRET: 'k'.repeat(40) });
    expect(usage.code).toBe(2);
    expect(JSON.parse(usage.stderr)).toEqual({ error: { code: 'usage_error', message: 'unknown command frobnicate; see grantry --help' } });
    expect(config.code).toBe(2);
    expect(JSON.parse(config.stderr)).toEqual({
      error: { code: 'config_error', message: 'GRANTRY_ACCESS_TOKEN_TTL: an ISO 8601 duration such as PT1H, or seconds, is required (got "an hour")' },
    });
    expect(runtime.code).toBe(1);
    expect(JSON.parse(runtime.stderr).error).toMatchObject({ code: 'runtime_error', message: expect.stringMatching(/^cannot reach the PostgreSQL database postgres:\/\/nobody@127\.0\.0\.1:1\/none/) });
    for (const out of [usage, config, runtime]) expect(out.stdout).toBe('');
  }, 30_000);
});

describe('grantry: configuration mistakes name their source and exit 2', () => {
  let store: TestStore;
  beforeAll(async () => {
    store = await createTestStore();
  });
  afterAll(async () => store?.dispose());

  it('refuses a config file key typo, naming the key, the file and the closest key', async () => {
    const file = join(store.dataDir, 'typo.json');
    writeFileSync(file, JSON.stringify({ prot: 18104 }));
    expectUsageError(await runHere(['serve', '--config', file]), `grantry: the config file ${file} has an unknown key "prot"; did you mean "port"? (keys are the flag names of grantry serve --help)`);
  }, 30_000);

  it('reports a JSON syntax error as such, with its line and column', async () => {
    const file = join(store.dataDir, 'syntax.json');
    writeFileSync(file, '{\n  "port": 18104,\n  "host": "127.0.0.1",\n}\n');
    expectUsageError(await runHere(['serve', '--config', file]), new RegExp(`^grantry: the config file ${file} is not valid JSON: .* at line 4, column 1$`));
  }, 30_000);

  it('reports a bad environment variable under its own name, and a bad flag under the flag', async () => {
    const env = await runHere(['serve', '--data-dir', store.dataDir], { GRANTRY_ACCESS_TOKEN_TTL: 'one hour' });
    const flag = await runHere(['serve', '--data-dir', store.dataDir, '--port', 'eighty']);
    expectUsageError(env, 'grantry: GRANTRY_ACCESS_TOKEN_TTL: an ISO 8601 duration such as PT1H, or seconds, is required (got "one hour")');
    expectUsageError(flag, 'grantry: --port: a whole number is required (got "eighty")');
  }, 30_000);

  it('refuses a short keys secret (the key that encrypts the stored keys) before opening anything, naming the variable', async () => {
    const out = await runHere(['serve', '--data-dir', store.dataDir], { GRANTRY_KEYS_SECRET: 'short' });
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/^grantry: GRANTRY_KEYS_SECRET/);
  }, 30_000);
});

describe('grantry clients and users validate what they name', () => {
  let store: TestStore;
  const inStore = (...args: string[]) => [...args, '--data-dir', store.dataDir];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each command prints its own JSON shape
  const cli = async (...args: string[]): Promise<any> => {
    const out = await runHere(inStore(...args, '--json'));
    expect(out.code, out.stderr).toBe(0);
    return JSON.parse(out.stdout);
  };
  beforeAll(async () => {
    store = await createTestStore();
    await cli('scopes', 'add', 'read');
  }, 60_000);
  afterAll(async () => store?.dispose());

  const web = ['clients', 'create', '--name', 'Web', '--redirect-uris', 'https://app.example/cb'];
  it.each([
    ['an unknown grant type', [...web, '--grant-types', 'authorization_code,foo'], 'grantry: --grant-types: unknown grant type foo; known: authorization_code, client_credentials, refresh_token, device_code, password, implicit'],
    ['a misspelt grant type', [...web, '--grant-types', 'client_credential'], /^grantry: --grant-types: unknown grant type client_credential \(did you mean client_credentials\?\)/],
    ['a redirect URI that is not a URL', ['clients', 'create', '--name', 'W', '--grant-types', 'authorization_code', '--redirect-uris', 'not a url'], /^grantry: --redirect-uris: the redirect URI "not"/],
    ['an authorization_code client without redirect URIs', ['clients', 'create', '--name', 'W', '--grant-types', 'authorization_code,refresh_token'], 'grantry: --redirect-uris is required for a client with the authorization_code grant (RFC 6749 §3.1.2.2), e.g. --redirect-uris https://app.example.com/callback'],
    ['scopes that do not exist', [...web, '--grant-types', 'authorization_code', '--scopes', 'read write admin'], 'grantry: --scopes: unknown scopes write, admin; add them first with grantry scopes add write and grantry scopes add admin'],
  ])('clients create refuses %s with exit 2 and stores nothing', async (_what, args, message) => {
    expectUsageError(await runHere(inStore(...args)), message);
    expect(await cli('clients', 'list')).toEqual([]);
  }, 30_000);

  it('accepts known grant types, existing scopes and redirect URIs; update is held to the same rules', async () => {
    const created = await cli('clients', 'create', '--name', 'Web', '--grant-types', 'authorization_code,device_code', '--scopes', 'read', '--redirect-uris', 'https://app.example/cb');
    expect(created).toMatchObject({ grant_types: ['authorization_code', 'urn:ietf:params:oauth:grant-type:device_code'], scopes: ['read'] });
    expectUsageError(await runHere(inStore('clients', 'update', created.id, '--scopes', 'read write')), /^grantry: --scopes: unknown scope write; add it first with grantry scopes add write$/);
    expectUsageError(await runHere(inStore('clients', 'update', created.id, '--redirect-uris', '')), /^grantry: --redirect-uris is required/);
    expectUsageError(await runHere(inStore('clients', 'update', created.id, '--grant-types', 'magic')), /unknown grant type magic/);
    expect(await cli('clients', 'show', created.id)).toMatchObject({ scopes: ['read'], redirect_uris: ['https://app.example/cb'] });
    await cli('clients', 'delete', created.id);
  }, 60_000);

  it.each([
    ['one character', ['--password', 'x'], 'grantry: --password: the password must be at least 8 characters long (got 1); a few words make a good one'],
    ['a common password', ['--password', 'Password123'], 'grantry: --password: the password is one of the most common passwords'],
    ['the username', ['--password', 'dorothy-gale'], 'grantry: --password: the password must not be the username'],
    ['257 characters', ['--password', 'a'.repeat(200) + 'b'.repeat(57)], 'grantry: --password: the password must be at most 256 characters long (got 257)'],
    ['given twice', ['--password', 'long enough pw', '--password-stdin'], 'grantry: give --password or --password-stdin, not both'],
  ])('users create refuses a password of %s with exit 2', async (_what, args, message) => {
    expectUsageError(await runHere(inStore('users', 'create', '--username', 'dorothy-gale', ...args)), message);
    expect(await cli('users', 'list')).toEqual([]);
  }, 30_000);

  it('refuses a short password on stdin, and asks for one when none is given and stdin is not a terminal', async () => {
    const [short, none] = await Promise.all([
      run(inStore('users', 'create', '--username', 'toto', '--password-stdin'), { input: 'short\n' }),
      run(inStore('users', 'create', '--username', 'toto')),
    ]);
    expectUsageError(short, 'grantry: --password-stdin: the password must be at least 8 characters long (got 5); a few words make a good one');
    expectUsageError(none, 'grantry: a password is required: give --password-stdin (and the password on stdin), or run in a terminal to be asked');
  }, 30_000);

  it('stores the password read from stdin (its first line), which then signs the user in', async () => {
    const password = 'follow the yellow brick road';
    const out = await run(inStore('users', 'create', '--username', 'scarecrow', '--password-stdin', '--json'), { input: `${password}\nignored second line\n` });
    expect(out.code, out.stderr).toBe(0);
    expect(JSON.parse(out.stdout)).toMatchObject({ username: 'scarecrow' });
    const opened = await openServerStore(join(store.dataDir, 'grantry.db'), store.dataDir);
    try {
      const client = { id: 'c', name: 'c', grantTypes: ['password'], scopes: [], redirectUris: [] } as Client;
      expect(await opened.storage.users.getUserByCredentials('scarecrow', password, 'password', client)).toMatchObject({ username: 'scarecrow' });
      expect(await opened.storage.users.getUserByCredentials('scarecrow', `${password}\nignored second line`, 'password', client)).toBeUndefined();
    } finally {
      await opened.close();
    }
  }, 30_000);

  it.skipIf(!hasScript)('asks for the password twice on a terminal, without echoing it, and refuses two different answers', async () => {
    const password = 'if I only had a brain';
    const [typed, differ] = await Promise.all([
      runOnTerminal(inStore('users', 'create', '--username', 'tin-man', '--json'), [password, password]),
      runOnTerminal(inStore('users', 'create', '--username', 'lion'), [password, 'if I only had courage']),
    ]);
    expect(typed.code, typed.screen).toBe(0);
    expect(typed.screen).toContain('Password (again): ');
    expect(typed.screen).not.toContain('brain');
    expect(typed.screen).toContain('"username": "tin-man"');
    expect(differ.code).toBe(2);
    expect(differ.screen).toContain('grantry: the two passwords differ');
    expect(differ.screen).not.toContain('courage');
    const opened = await openServerStore(join(store.dataDir, 'grantry.db'), store.dataDir);
    try {
      const client = { id: 'c', name: 'c', grantTypes: ['password'], scopes: [], redirectUris: [] } as Client;
      expect(await opened.storage.users.getUserByCredentials('tin-man', password, 'password', client)).toMatchObject({ username: 'tin-man' });
    } finally {
      await opened.close();
    }
  }, 30_000);
});
