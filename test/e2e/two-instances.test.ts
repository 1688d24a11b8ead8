import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, createTestStore, startGrantry, type GrantryProcess, type TestStore } from './support/grantry-process.js';
import { basicAuth, postForm } from './support/oauth-client.js';

describe.skipIf(!process.env.DATABASE_URL)('two server instances sharing one PostgreSQL database', () => {
  let store: TestStore;
  let a: GrantryProcess;
  let b: GrantryProcess;
  let client: { id: string; client_secret: string };

  beforeAll(async () => {
    store = await createTestStore(process.env.DATABASE_URL);
    client = await cli(store, 'clients', 'create', '--name', 'Shared', '--grant-types', 'password,refresh_token,client_credentials');
    await cli(store, 'users', 'create', '--username', 'dana', '--password', 'dana password');
    // Each instance has its own data directory: the keys come from the database, not from the directory.
    const other: TestStore = { ...store, dataDir: mkdtempSync(join(tmpdir(), 'grantry-b-')) };
    const flags = ['--grants', 'password,refresh_token,client_credentials', '--issuer', 'http://auth.shared.test', '--rate-limit-max', '4', '--rate-limit-window', '60'];
    [a, b] = await Promise.all([startGrantry(store, flags), startGrantry(other, flags)]);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await store?.dispose();
  });

  // Both share the issuer; each listens on its own port.
  const url = (p: GrantryProcess, path: string) => `http://127.0.0.1:${p.logs.find((l) => l.msg === 'listening')!.port as number}${path}`;

  it('refreshes at one instance a token issued by the other, and revocation at one is seen by the other', async () => {
    const auth = basicAuth(client.id, client.client_secret);
    const issued = await postForm(url(a, '/token'), { grant_type: 'password', username: 'dana', password: 'dana password' }, { authorization: auth });
    expect(issued.status).toBe(200);
    const { refresh_token, access_token } = (await issued.json()) as { refresh_token: string; access_token: string };
    const refreshed = await postForm(url(b, '/token'), { grant_type: 'refresh_token', refresh_token }, { authorization: auth });
    expect(refreshed.status).toBe(200);
    await postForm(url(b, '/revoke'), { token: access_token }, { authorization: auth });
    const introspected = await postForm(url(a, '/introspect'), { token: access_token }, { authorization: auth });
    expect(await introspected.json()).toEqual({ active: false });
    const jwksA = await (await fetch(url(a, '/.well-known/jwks.json'))).json();
    expect(await (await fetch(url(b, '/.well-known/jwks.json'))).json()).toEqual(jwksA);
  });

  it('shares the brute-force limiter: guesses at one instance are refused at the other', async () => {
    for (let i = 0; i < 4; i++) {
      const target = i % 2 === 0 ? a : b;
      expect((await postForm(url(target, '/token'), { grant_type: 'client_credentials' }, { authorization: basicAuth(client.id, `wrong-${i}`) })).status).toBe(401);
    }
    for (const target of [a, b]) {
      const refused = await postForm(url(target, '/token'), { grant_type: 'client_credentials' }, { authorization: basicAuth(client.id, client.client_secret) });
      expect(refused.status).toBe(429);
    }
  }, 30_000);
});
