import { statSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, cliFailure, createTestStore, TEST_KEYS_SECRET, type TestStore } from './support/grantry-process.js';

describe('the grantry command', () => {
  let store: TestStore;
  beforeAll(async () => {
    store = await createTestStore();
  });
  afterAll(async () => store?.dispose());

  it('prints a new client secret once; show and list never print it or its hash', async () => {
    await cli(store, 'scopes', 'add', 'read');
    await cli(store, 'scopes', 'add', 'write');
    const created = await cli(store, 'clients', 'create', '--name', 'Svc', '--grant-types', 'client_credentials', '--scopes', 'read write');
    expect(created).toMatchObject({ name: 'Svc', type: 'confidential', grant_types: ['client_credentials'], scopes: ['read', 'write'] });
    expect(created.client_secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const shown = await cli(store, 'clients', 'show', created.id);
    const listed = await cli(store, 'clients', 'list');
    for (const out of [JSON.stringify(shown), JSON.stringify(listed)]) {
      expect(out).toContain(created.id);
      expect(out).not.toContain(created.client_secret);
      expect(out).not.toContain('sha256$');
    }
    const pub = await cli(store, 'clients', 'create', '--name', 'SPA', '--grant-types', 'authorization_code', '--redirect-uris', 'http://127.0.0.1/cb', '--public');
    expect(pub).toMatchObject({ type: 'public', redirect_uris: ['http://127.0.0.1/cb'] });
    expect(pub.client_secret).toBeUndefined();
    expect(await cli(store, 'clients', 'delete', pub.id)).toEqual({ deleted: pub.id });
    // The database and the keys are owner-only.
    expect(statSync(join(store.dataDir, 'grantry.db')).mode & 0o777).toBe(0o600);
    expect(statSync(store.dataDir).mode & 0o777).toBe(0o700);
  }, 60_000);

  it('manages users and scopes, and lists keys without private material', async () => {
    await cli(store, 'users', 'create', '--username', 'carol', '--password', 'pw-of-carol');
    const users = JSON.stringify(await cli(store, 'users', 'list'));
    expect(users).toContain('carol');
    expect(users).not.toContain('pw-of-carol');
    await cli(store, 'scopes', 'add', 'profile', '--description', 'Your profile');
    expect(await cli(store, 'scopes', 'list')).toEqual(expect.arrayContaining([{ id: 'profile', description: 'Your profile' }]));
    const keys = await cli(store, 'keys', 'list');
    expect(keys.signing[0]).toMatchObject({ state: 'active' });
    expect(JSON.stringify(keys)).not.toContain('PRIVATE KEY');
    expect(await cli(store, 'users', 'delete', 'carol')).toEqual({ deleted: 'carol' });
  }, 60_000);

  it.each([
    ['a bad flag value', ['serve', '--port', 'eighty'], 2, /^grantry: --port: a whole number is required/],
    ['an unknown flag', ['clients', 'list', '--colour'], 2, /^grantry: Unknown option '--colour'/],
    ['an unknown command', ['frobnicate'], 2, /^grantry: unknown command frobnicate/],
    ['an unreachable database', ['serve', '--port', '0', '--database', 'postgres://nobody@127.0.0.1:1/none'], 1, /^grantry: cannot reach the PostgreSQL database postgres:\/\/nobody@127\.0\.0\.1:1\/none/],
  ])('reports %s in one line without a stack trace', async (_what, args, code, message) => {
    const { code: exit, stderr } = await cliFailure([...args, '--data-dir', store.dataDir], { GRANTRY_KEYS_SECRET: TEST_KEYS_SECRET });
    expect(exit).toBe(code);
    expect(stderr).toMatch(message);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).not.toMatch(/\n\s+at /);
  }, 30_000);

  it('reports a port in use in one line', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = String((blocker.address() as AddressInfo).port);
    try {
      const { code, stderr } = await cliFailure(['serve', '--port', port, '--data-dir', store.dataDir]);
      expect(code).toBe(1);
      expect(stderr).toBe(`grantry: port ${port} on 127.0.0.1 is in use\n`);
    } finally {
      blocker.close();
    }
  }, 30_000);

  it('reports a corrupt key file at start-up in one line', async () => {
    const bad = await createTestStore();
    await cli(bad, 'keys', 'list');
    writeFileSync(join(bad.dataDir, 'keys.json'), '{"signing":[{"kid":"k","status":"active","privateKeyPem":"-----BEGIN PRIVATE KEY-----\\nAAAA\\n-----END PRIVATE KEY-----"}],"encryption":[{"kid":"e","key":"x"}],"session":"' + 'a'.repeat(43) + '"}');
    const { code, stderr } = await cliFailure(['serve', '--port', '0', '--data-dir', bad.dataDir]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^grantry: the keys in .* (cannot be used|are invalid)/);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    await bad.dispose();
  }, 30_000);
});
