import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, createTestStore, hiddenField, startGrantry, type GrantryProcess, type TestStore } from './support/grantry-process.js';
import { basicAuth, discover, PageDriver, pkcePair, postForm, type Metadata } from './support/oauth-client.js';

// Issue 11: `grantry users delete` against a running server revokes the user's tokens and ends their sessions.

const REDIRECT = 'http://127.0.0.1:9/callback';
const engines: [string, string | undefined][] = [['SQLite', undefined]];
if (process.env.DATABASE_URL) engines.push(['PostgreSQL', process.env.DATABASE_URL]);

describe.each(engines)('grantry users delete with a running server on %s', (_engine, postgresUrl) => {
  let store: TestStore;
  let server: GrantryProcess;
  let meta: Metadata;
  let auth: string;
  let clientId: string;

  beforeAll(async () => {
    store = await createTestStore(postgresUrl);
    await cli(store, 'scopes', 'add', 'read');
    const client = await cli(store, 'clients', 'create', '--name', 'E2E app', '--grant-types', 'authorization_code,password,refresh_token', '--scopes', 'read', '--redirect-uris', REDIRECT);
    clientId = client.id;
    auth = basicAuth(client.id, client.client_secret);
    await cli(store, 'users', 'create', '--username', 'carol', '--password', 'correct horse battery');
    server = await startGrantry(store, ['--grants', 'authorization_code,password,refresh_token']);
    meta = await discover(server.issuer);
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    await store?.dispose();
  });

  it("revokes carol's refresh and access tokens and signs her browser out", async () => {
    const token = await postForm(meta.token_endpoint, { grant_type: 'password', username: 'carol', password: 'correct horse battery', scope: 'read' }, { authorization: auth });
    expect(token.status).toBe(200);
    const tokens = (await token.json()) as { access_token: string; refresh_token: string };
    const authorizeUrl = `/authorize?${new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: REDIRECT, scope: 'read', code_challenge: pkcePair().challenge, code_challenge_method: 'S256' }).toString()}`;
    const browser = new PageDriver(server.issuer);
    expect((await browser.login('carol', 'correct horse battery', authorizeUrl)).status).toBe(303);
    const consent = await (await browser.get(authorizeUrl)).text();
    expect(consent).toContain('Signed in as carol.');

    await cli(store, 'users', 'delete', 'carol');

    const refreshed = await postForm(meta.token_endpoint, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token }, { authorization: auth });
    expect(refreshed.status).toBe(400);
    expect(await refreshed.json()).toMatchObject({ error: 'invalid_grant' });
    const introspected = await postForm(meta.introspection_endpoint, { token: tokens.access_token }, { authorization: auth });
    expect(await introspected.json()).toEqual({ active: false });
    const approve = await browser.post('/authorize/decision', { csrf_token: hiddenField(consent, 'csrf_token'), consent: hiddenField(consent, 'consent'), decision: 'allow' });
    expect(approve.status).toBe(403);
    expect(approve.headers.get('location')).toBeNull();
    const again = await browser.get(authorizeUrl);
    expect(again.status).toBe(303);
    expect(again.headers.get('location')).toMatch(/^\/login\?/);
  }, 60_000);
});
