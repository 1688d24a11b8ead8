import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, createTestStore, hiddenField, startGrantry, type GrantryProcess, type TestStore } from './support/grantry-process.js';
import { PageDriver, pkcePair, postForm } from './support/oauth-client.js';

const REDIRECT = 'http://127.0.0.1:9/callback';
const engines: [string, string | undefined][] = [['SQLite', undefined]];
if (process.env.DATABASE_URL) engines.push(['PostgreSQL', process.env.DATABASE_URL]);

type Json = Record<string, unknown>;

const register = (issuer: string, body: Json, token?: string): Promise<Response> =>
  fetch(`${issuer}/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
    body: JSON.stringify(body),
  });

const NATIVE = { client_name: 'MCP inspector', redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'refresh_token'], scope: 'read' };

describe.each(engines)('dynamic client registration on the real grantry server (%s)', (_engine, postgresUrl) => {
  let store: TestStore;
  let server: GrantryProcess;

  beforeAll(async () => {
    store = await createTestStore(postgresUrl);
    await cli(store, 'scopes', 'add', 'read');
    await cli(store, 'scopes', 'add', 'admin');
    await cli(store, 'users', 'create', '--username', 'alice', '--password', 'correct horse battery');
    server = await startGrantry(store, ['--registration', 'token', '--registration-scopes', 'read']);
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    await store?.dispose();
  });

  it('announces registration_endpoint in its metadata (RFC 8414 §2)', async () => {
    const meta = (await (await fetch(`${server.issuer}/.well-known/oauth-authorization-server`)).json()) as Json;
    expect(meta.registration_endpoint).toBe(`${server.issuer}/register`);
  });

  it('refuses registration without an initial access token, then registers with one from the CLI, used up after one use', async () => {
    const refused = await register(server.issuer, NATIVE);
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ error: 'invalid_token' });

    const created = await cli(store, 'registration-tokens', 'create', '--uses', '1', '--expires-in', 'P1D', '--description', 'e2e');
    expect(created.initial_access_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const listed = (await cli(store, 'registration-tokens', 'list')) as Json[];
    expect(listed).toEqual([expect.objectContaining({ id: created.id, description: 'e2e', uses_left: 1 })]);
    expect(JSON.stringify(listed)).not.toContain(created.initial_access_token as string);

    const ok = await register(server.issuer, NATIVE, created.initial_access_token as string);
    expect(ok.status).toBe(201);
    const body = (await ok.json()) as Json;
    expect(body).toMatchObject({ client_name: 'MCP inspector', scope: 'read' });
    expect(server.logs).toContainEqual(expect.objectContaining({ msg: 'client registered', client_id: body.client_id, initial_access_token: true }));
    expect((await register(server.issuer, NATIVE, created.initial_access_token as string)).status).toBe(401);
    await cli(store, 'registration-tokens', 'delete', created.id as string);
    expect(await cli(store, 'registration-tokens', 'list')).toEqual([]);
  });

  it('refuses a scope outside --registration-scopes and a bad redirect URI', async () => {
    const { initial_access_token: token } = await cli(store, 'registration-tokens', 'create');
    const scope = await register(server.issuer, { ...NATIVE, scope: 'admin' }, token as string);
    expect(scope.status).toBe(400);
    expect(await scope.json()).toMatchObject({ error: 'invalid_client_metadata' });
    const uri = await register(server.issuer, { ...NATIVE, redirect_uris: ['http://example.com/cb'] }, token as string);
    expect(uri.status).toBe(400);
    expect(uri.headers.get('cache-control')).toBe('no-store');
    expect(await uri.json()).toMatchObject({ error: 'invalid_redirect_uri' });
  });

  it('a registered client completes the code flow with PKCE, shows in clients list with its origin, and is deleted with its tokens (RFC 7592)', async () => {
    const { initial_access_token: token } = await cli(store, 'registration-tokens', 'create');
    const registered = (await (await register(server.issuer, NATIVE, token as string)).json()) as Json;
    const clientId = registered.client_id as string;

    const { verifier, challenge } = pkcePair();
    const query = new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: REDIRECT, scope: 'read', state: 's', code_challenge: challenge, code_challenge_method: 'S256' });
    const authorizeUrl = `/authorize?${query.toString()}`;
    const browser = new PageDriver(server.issuer);
    await browser.login('alice', 'correct horse battery', authorizeUrl);
    const consent = await browser.get(authorizeUrl);
    const html = await consent.text();
    expect(html).toContain('MCP inspector');
    const decision = await browser.post('/authorize/decision', { csrf_token: hiddenField(html, 'csrf_token'), consent: hiddenField(html, 'consent'), decision: 'allow' });
    const code = new URL(decision.headers.get('location')!).searchParams.get('code')!;
    const tokens = await postForm(`${server.issuer}/token`, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier, client_id: clientId });
    expect(tokens.status).toBe(200);
    const { refresh_token } = (await tokens.json()) as { refresh_token: string };

    const clients = (await cli(store, 'clients', 'list')) as Json[];
    expect(clients.find((c) => c.id === clientId)).toMatchObject({ origin: 'registration', type: 'public', name: 'MCP inspector' });

    const uri = registered.registration_client_uri as string;
    const auth = { authorization: `Bearer ${registered.registration_access_token as string}` };
    expect(uri).toBe(`${server.issuer}/register/${clientId}`);
    const read = await fetch(uri, { headers: auth });
    expect(read.status).toBe(200);
    expect(await read.json()).toMatchObject({ client_id: clientId, redirect_uris: [REDIRECT] });
    expect((await fetch(uri, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    const updated = await fetch(uri, { method: 'PUT', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ ...NATIVE, client_id: clientId, client_name: 'Renamed' }) });
    expect(updated.status).toBe(200);
    expect(await updated.json()).toMatchObject({ client_name: 'Renamed' });

    const deleted = await fetch(uri, { method: 'DELETE', headers: auth });
    expect(deleted.status).toBe(204);
    const refresh = await postForm(`${server.issuer}/token`, { grant_type: 'refresh_token', refresh_token, client_id: clientId });
    expect(refresh.status).toBe(401);
    expect((await fetch(uri, { headers: auth })).status).toBe(401);
  });
});

describe('registration off by default', () => {
  let store: TestStore;
  let server: GrantryProcess;
  beforeAll(async () => {
    store = await createTestStore();
    server = await startGrantry(store);
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
    await store?.dispose();
  });

  it('serves no /register and announces no registration_endpoint', async () => {
    const meta = (await (await fetch(`${server.issuer}/.well-known/oauth-authorization-server`)).json()) as Json;
    expect(meta.registration_endpoint).toBeUndefined();
    expect((await register(server.issuer, NATIVE)).status).toBe(404);
  });
});
