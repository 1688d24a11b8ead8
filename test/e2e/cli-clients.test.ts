import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/server/config.js';
import { createGrantryApp, type GrantryApp } from '../../src/server/grantry-app.js';
import { openServerStore, type ServerStore } from '../../src/server/server-store.js';
import { basic } from '../support/fixtures.js';
import { cli, createTestStore, type TestStore } from './support/grantry-process.js';

const BIN = join(import.meta.dirname, '../../bin/grantry.js');
const ISSUER = 'http://auth.test';

/** Runs `grantry <args>` on the store with `input` on stdin; resolves with the exit code and both outputs. */
function run(store: TestStore, args: string[], input = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GRANTRY_') && k !== 'DATABASE_URL'));
  const child = spawn(process.execPath, [BIN, ...args, '--data-dir', store.dataDir], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin.end(input);
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

describe('grantry clients: redirect URI rule, imported secrets and the introspection permission', () => {
  let store: TestStore;
  beforeAll(async () => {
    store = await createTestStore();
    await cli(store, 'keys', 'list'); // creates the keys once, before the parallel commands below
  }, 60_000);
  afterAll(async () => store?.dispose());

  it('refuses http://client.example.com/cb and a fragment with a clear one-line message; accepts loopback and native URIs', async () => {
    const web = ['clients', 'create', '--name', 'Web', '--grant-types', 'authorization_code'];
    const [plain, fragment, native] = await Promise.all([
      run(store, [...web, '--redirect-uris', 'https://ok.example/cb,http://client.example.com/cb']),
      run(store, [...web, '--redirect-uris', 'https://app.example/cb#x']),
      run(store, [...web, '--redirect-uris', 'http://127.0.0.1:53682/cb,http://[::1]/cb,com.example.app:/cb', '--json']),
    ]);
    expect(plain.code).toBe(2);
    expect(plain.stderr).toMatch(/^grantry: --redirect-uris: the redirect URI "http:\/\/client\.example\.com\/cb" uses plain http on a host that is not a loopback address.*use https/);
    expect(plain.stderr.trim().split('\n')).toHaveLength(1);
    expect(fragment.code).toBe(2);
    expect(fragment.stderr).toMatch(/fragment.*RFC 6749 §3\.1\.2/);
    expect(native.code).toBe(0);
    const created = JSON.parse(native.stdout);
    expect(created.redirect_uris).toEqual(['http://127.0.0.1:53682/cb', 'http://[::1]/cb', 'com.example.app:/cb']);
    // update is held to the same rule, and leaves the client as it was.
    const update = await run(store, ['clients', 'update', created.id, '--redirect-uris', 'http://client.example.com/cb']);
    expect(update.code).toBe(2);
    expect((await cli(store, 'clients', 'show', created.id)).redirect_uris).toEqual(created.redirect_uris);
  }, 60_000);

  describe('against the ready server on the same database', () => {
    let server: { app: GrantryApp; store: ServerStore };
    const shortSecret = 'legacy-pw-9';
    const longSecret = 'imported-secret-from-another-server-0123456789';
    let ids: { legacy: string; migrated: string; rs: string; rsSecret: string };

    beforeAll(async () => {
      const secretFile = join(store.dataDir, 'secret.txt');
      writeFileSync(secretFile, `${longSecret}\n`, { mode: 0o600 });
      const cc = ['clients', 'create', '--grant-types', 'client_credentials', '--json'];
      const [legacy, migrated, rs] = await Promise.all([
        run(store, [...cc, '--name', 'Legacy', '--secret-stdin'], `${shortSecret}\n`),
        run(store, [...cc, '--name', 'Migrated', '--secret-file', secretFile]),
        run(store, [...cc, '--name', 'Orders API', '--can-introspect']),
      ]);
      for (const r of [legacy, migrated, rs]) expect(r.code, r.stderr).toBe(0);
      // An imported secret is never printed back, nor on the command line to begin with.
      expect(legacy.stdout + migrated.stdout).not.toContain(shortSecret);
      expect(legacy.stdout + migrated.stdout).not.toContain(longSecret);
      expect(JSON.parse(legacy.stdout).client_secret).toBeUndefined();
      expect(JSON.parse(rs.stdout).permissions).toEqual(['introspect']);
      const rsOut = JSON.parse(rs.stdout);
      ids = { legacy: JSON.parse(legacy.stdout).id, migrated: JSON.parse(migrated.stdout).id, rs: rsOut.id, rsSecret: rsOut.client_secret };

      const config = loadConfig({ 'data-dir': store.dataDir, grants: 'client_credentials' }, {});
      const opened = await openServerStore(config.database, store.dataDir);
      const app = await createGrantryApp({ config, store: opened, keys: await opened.keys.load(), issuer: ISSUER, logger: { error: () => undefined } });
      server = { app, store: opened };
    }, 90_000);
    afterAll(async () => server?.store.close());

    const post = (path: string, form: Record<string, string>, authorization: string) =>
      server.app.fetch(
        new Request(`${ISSUER}${path}`, { method: 'POST', headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form) }),
        { source: '192.0.2.7' },
      );

    it('authenticates clients with the secrets imported from stdin and from a file', async () => {
      expect((await post('/token', { grant_type: 'client_credentials' }, basic(ids.legacy, shortSecret))).status).toBe(200);
      expect((await post('/token', { grant_type: 'client_credentials' }, basic(ids.migrated, longSecret))).status).toBe(200);
      expect((await post('/token', { grant_type: 'client_credentials' }, basic(ids.migrated, shortSecret))).status).toBe(401);
    }, 30_000);

    it('lets the --can-introspect client introspect another client\'s token, and no longer once the permission is removed', async () => {
      const issued = await post('/token', { grant_type: 'client_credentials' }, basic(ids.migrated, longSecret));
      const { access_token } = (await issued.json()) as { access_token: string };
      const rsAuth = basic(ids.rs, ids.rsSecret);
      expect(await (await post('/introspect', { token: access_token }, rsAuth)).json()).toMatchObject({ active: true, client_id: ids.migrated });
      // Another client without the permission learns nothing (RFC 7662 §4); the owner still may.
      expect(await (await post('/introspect', { token: access_token }, basic(ids.legacy, shortSecret))).json()).toEqual({ active: false });
      expect(await (await post('/introspect', { token: access_token }, basic(ids.migrated, longSecret))).json()).toMatchObject({ active: true });
      const updated = await run(store, ['clients', 'update', ids.rs, '--permissions', '', '--json']);
      expect(JSON.parse(updated.stdout).permissions).toEqual([]);
      expect(await (await post('/introspect', { token: access_token }, rsAuth)).json()).toEqual({ active: false });
    }, 60_000);
  });
});
