import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { ManagedStorage } from '../../src/storage/managed-storage.js';
import { createMemoryStorage } from '../../src/storage/memory/index.js';
import { openSqliteStorage } from '../../src/storage/sqlite/index.js';
import { loadConfig, type RawSettings } from '../../src/server/config.js';
import { createGrantryApp } from '../../src/server/grantry-app.js';
import { fileKeySource } from '../../src/server/key-store.js';
import { MemoryRateLimitStore } from '../../src/server/rate-limiter.js';
import { createClient, type ServerStore } from '../../src/server/server-store.js';
import { testClock } from '../support/fixtures.js';
import { openTestPostgres, PG_SKIP } from '../storage/support/postgres.js';
import { Browser, basic, field, ISSUER, REDIRECT, type TestApp } from './support.js';

// Issue 11: grants end when what they were granted on ends. The ready server over HTTP, on each storage engine.

const dataDir = mkdtempSync(join(tmpdir(), 'grantry-ends-')); // one keys file (one RSA key) for the whole file
const dbDir = mkdtempSync(join(tmpdir(), 'grantry-ends-db-'));
afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(dbDir, { recursive: true, force: true });
});
let closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers) await close();
  closers = [];
});

const engines: { name: string; skip: string | undefined; open: () => Promise<ManagedStorage> }[] = [
  { name: 'memory', skip: undefined, open: async () => createMemoryStorage() },
  { name: 'SQLite', skip: undefined, open: async () => openSqliteStorage({ filename: join(dbDir, `${crypto.randomUUID()}.db`) }) },
  {
    name: 'PostgreSQL',
    skip: PG_SKIP,
    open: async () => {
      const pg = await openTestPostgres(undefined, 4);
      closers.push(pg.drop);
      return pg.storage;
    },
  },
];

interface App extends TestApp {
  aliceId: string;
  /** Signs alice in, approves `scope` for the client and redeems the code: the token response. */
  authorize(b: Browser, scope: string): Promise<{ access_token: string; refresh_token: string; scope: string }>;
  refresh(refreshToken: string, scope?: string): Promise<Response>;
}

async function appOn(open: () => Promise<ManagedStorage>, flags: RawSettings = {}): Promise<App> {
  const storage = await open();
  await storage.migrate();
  const store: ServerStore = { storage, rateLimits: new MemoryRateLimitStore(), keys: fileKeySource(dataDir), probe: async () => undefined, close: () => storage.close() };
  closers.unshift(() => storage.close());
  const config = loadConfig({ 'data-dir': dataDir, database: ':memory:', grants: 'authorization_code,refresh_token', ...flags }, {});
  await storage.admin.addScope({ id: 'read' });
  await storage.admin.addScope({ id: 'write' });
  const alice = await storage.admin.createUser({ username: 'alice', password: 'wonderland' });
  const { client, secret } = await createClient(store, {
    id: 'app',
    name: 'App',
    grantTypes: ['authorization_code', 'refresh_token'],
    scopes: ['read', 'write'],
    redirectUris: [REDIRECT],
    public: false,
  });
  const clock = testClock(Date.now());
  const logs: Record<string, unknown>[] = [];
  const app = await createGrantryApp({ config, store, keys: await store.keys.load(), issuer: ISSUER, clock, logger: { error: () => undefined }, log: (line) => logs.push(line) });
  const send: TestApp['send'] = (path, init = {}) => app.fetch(new Request(new URL(path, ISSUER), init), { source: init.source ?? '192.0.2.1' });
  const token = (form: Record<string, string>) =>
    send('/token', {
      method: 'POST',
      headers: { authorization: basic(client.id, secret!), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
  const t: App = {
    app,
    logs,
    store,
    clock,
    clientId: client.id,
    clientSecret: secret!,
    send,
    aliceId: alice.id,
    async authorize(b, scope) {
      const login = await (await b.get('/login')).text();
      expect((await b.post('/login', { csrf_token: field(login, 'csrf_token'), return_to: '/', username: 'alice', password: 'wonderland' })).status).toBe(303);
      const verifier = randomBytes(32).toString('base64url');
      const consent = await consentPage(b, scope, verifier);
      const allow = await b.post('/authorize/decision', { csrf_token: field(consent, 'csrf_token'), consent: field(consent, 'consent'), decision: 'allow' });
      const code = new URL(allow.headers.get('location')!).searchParams.get('code')!;
      const response = await token({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier });
      expect(response.status).toBe(200);
      return (await response.json()) as { access_token: string; refresh_token: string; scope: string };
    },
    refresh: (refreshToken, scope) => token({ grant_type: 'refresh_token', refresh_token: refreshToken, ...(scope === undefined ? {} : { scope }) }),
  };
  return t;
}

async function consentPage(b: Browser, scope: string, verifier: string): Promise<string> {
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const query = new URLSearchParams({ response_type: 'code', client_id: 'app', redirect_uri: REDIRECT, scope, state: 'st', code_challenge: challenge, code_challenge_method: 'S256' });
  const response = await b.get(`/authorize?${query.toString()}`);
  expect(response.status).toBe(200);
  return response.text();
}

async function expectInvalidGrant(response: Response): Promise<void> {
  expect(response.status).toBe(400);
  expect(response.headers.get('cache-control')).toBe('no-store');
  expect(((await response.json()) as { error: string }).error).toBe('invalid_grant');
}

describe.each(engines)('grants end with what they were granted on: $name', ({ skip, open }) => {
  it('a deleted user: their refresh token gets invalid_grant, their access token is revoked, their session no longer approves consent', async (t) => {
    if (skip) return t.skip(skip);
    const app = await appOn(open);
    const b = new Browser(app);
    const tokens = await app.authorize(b, 'read');
    // Still signed in: a consent form is shown, and kept for after the deletion.
    const kept = await consentPage(b, 'read', randomBytes(32).toString('base64url'));

    expect(await app.store.storage.admin.deleteUser(app.aliceId)).toBe(true);

    await expectInvalidGrant(await app.refresh(tokens.refresh_token));
    const introspection = await app.send('/introspect', {
      method: 'POST',
      headers: { authorization: basic(app.clientId, app.clientSecret), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: tokens.access_token }).toString(),
    });
    expect(await introspection.json()).toEqual({ active: false });
    // The saved consent form with the same cookie: refused, and a new /authorize asks for a sign-in.
    const approve = await b.post('/authorize/decision', { csrf_token: field(kept, 'csrf_token'), consent: field(kept, 'consent'), decision: 'allow' });
    expect(approve.status).toBe(403);
    expect(approve.headers.get('location')).toBeNull();
    const again = await b.get(`/authorize?${new URLSearchParams({ response_type: 'code', client_id: 'app', redirect_uri: REDIRECT, scope: 'read', code_challenge: 'x'.repeat(43), code_challenge_method: 'S256' }).toString()}`);
    expect(again.status).toBe(303);
    expect(again.headers.get('location')).toMatch(/^\/login\?/);
  });

  it('a client whose scopes were narrowed cannot refresh into the dropped ones; a scope within the rest is answered', async (t) => {
    if (skip) return t.skip(skip);
    const app = await appOn(open);
    const tokens = await app.authorize(new Browser(app), 'read write');
    expect(tokens.scope).toBe('read write');
    const client = (await app.store.storage.admin.getClient('app'))!;
    await app.store.storage.admin.updateClient({ ...client, scopes: ['read'] });

    await expectInvalidGrant(await app.refresh(tokens.refresh_token)); // the whole original grant: refused
    await expectInvalidGrant(await app.refresh(tokens.refresh_token, 'write'));
    // Refused before it was spent: a narrower request with the same token still works.
    const narrowed = await app.refresh(tokens.refresh_token, 'read');
    expect(narrowed.status).toBe(200);
    const body = (await narrowed.json()) as { scope: string; refresh_token: string };
    expect(body.scope).toBe('read');
    // The new refresh token keeps only what is still allowed.
    const next = await app.refresh(body.refresh_token);
    expect(next.status).toBe(200);
    expect(((await next.json()) as { scope: string }).scope).toBe('read');
  });

  it('a client deleted and re-created with fewer scopes: the old refresh token gets invalid_grant', async (t) => {
    if (skip) return t.skip(skip);
    const app = await appOn(open);
    const tokens = await app.authorize(new Browser(app), 'read write');
    const client = (await app.store.storage.admin.getClient('app'))!;
    expect(await app.store.storage.admin.deleteClient('app')).toBe(true);
    await app.store.storage.admin.createClient({ ...client, scopes: ['read'] });

    await expectInvalidGrant(await app.refresh(tokens.refresh_token));
    await expectInvalidGrant(await app.refresh(tokens.refresh_token, 'read'));
  });

  it('a family past its absolute lifetime gets invalid_grant although its newest token is within its TTL', async (t) => {
    if (skip) return t.skip(skip);
    const app = await appOn(open, { 'refresh-token-ttl': 'P1D', 'refresh-token-absolute-ttl': 'P3D' });
    let refreshToken = (await app.authorize(new Browser(app), 'read')).refresh_token;
    // Rotated every 20 hours: each token is used well within its one-day idle limit.
    for (let i = 0; i < 3; i++) {
      app.clock.advance(20 * 3600);
      const response = await app.refresh(refreshToken);
      expect(response.status).toBe(200);
      refreshToken = ((await response.json()) as { refresh_token: string }).refresh_token;
    }
    // 60 h after sign-in the newest token was issued; at 73 h it is 13 h old, but the family ended at 72 h.
    app.clock.advance(13 * 3600);
    await expectInvalidGrant(await app.refresh(refreshToken));
  });
});
