import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, createTestStore, hiddenField, startGrantry, type GrantryProcess, type TestStore } from '../e2e/support/grantry-process.js';
import { basicAuth, discover, PageDriver, pkcePair, postForm } from '../e2e/support/oauth-client.js';
import { assertion, assertionParams, clientKey } from '../client-auth/support.js';

const REDIRECT = 'http://127.0.0.1:9/callback';
const engines: [string, string | undefined][] = [['SQLite', undefined]];
if (process.env.DATABASE_URL) engines.push(['PostgreSQL', process.env.DATABASE_URL]);

describe.each(engines)('pushed authorization requests through the ready server over HTTP on %s (RFC 9126)', (_engine, postgresUrl) => {
  let store: TestStore;
  let server: GrantryProcess;
  let client: { id: string; client_secret: string };
  let auth: string;
  let meta: Record<string, unknown> & { pushed_authorization_request_endpoint: string; token_endpoint: string; authorization_endpoint: string };

  beforeAll(async () => {
    store = await createTestStore(postgresUrl);
    await cli(store, 'scopes', 'add', 'read');
    client = await cli(store, 'clients', 'create', '--name', 'PAR app', '--grant-types', 'authorization_code,refresh_token', '--scopes', 'read', '--redirect-uris', REDIRECT, '--require-par');
    await cli(store, 'users', 'create', '--username', 'alice', '--password', 'correct horse battery');
    server = await startGrantry(store, ['--grants', 'authorization_code,refresh_token', '--request-uri-ttl', '60']);
    meta = (await discover(server.issuer)) as unknown as typeof meta;
    auth = basicAuth(client.id, client.client_secret);
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    await store?.dispose();
  });

  it('announces the PAR endpoint (RFC 9126 §5)', () => {
    expect(meta.pushed_authorization_request_endpoint).toBe(`${server.issuer}/par`);
    expect(meta.require_pushed_authorization_requests).toBe(false);
  });

  it('refuses a plain authorization request from a client registered with --require-par', async () => {
    const query = new URLSearchParams({ response_type: 'code', client_id: client.id, redirect_uri: REDIRECT, scope: 'read', state: 's', code_challenge: pkcePair().challenge, code_challenge_method: 'S256' });
    const browser = new PageDriver(server.issuer);
    const res = await browser.get(`/authorize?${query.toString()}`);
    expect(res.status).toBe(302);
    expect(new URL(res.headers.get('location')!).searchParams.get('error')).toBe('invalid_request');
  });

  it('pushes a request, signs in, consents, and gets a code once; the request_uri cannot be used again', async () => {
    const { verifier, challenge } = pkcePair();
    const pushed = await postForm(meta.pushed_authorization_request_endpoint, { response_type: 'code', client_id: client.id, redirect_uri: REDIRECT, scope: 'read', state: 'par-state', code_challenge: challenge, code_challenge_method: 'S256' }, { authorization: auth });
    expect(pushed.status).toBe(201);
    const { request_uri, expires_in } = (await pushed.json()) as { request_uri: string; expires_in: number };
    expect(expires_in).toBe(60);

    const authorizeUrl = `/authorize?${new URLSearchParams({ client_id: client.id, request_uri }).toString()}`;
    const browser = new PageDriver(server.issuer);
    const toLogin = await browser.get(authorizeUrl);
    expect(toLogin.status).toBe(303);
    // The resolved request crosses the sign-in page (the request_uri may expire meanwhile).
    const returnTo = new URL(toLogin.headers.get('location')!, server.issuer).searchParams.get('return_to')!;
    expect(returnTo).toMatch(/^\/authorize\?pushed_request=/);
    const loggedIn = await browser.login('alice', 'correct horse battery', returnTo);
    expect(loggedIn.headers.get('location')).toBe(returnTo);
    const consent = await browser.get(returnTo);
    expect(consent.status).toBe(200);
    const html = await consent.text();
    expect(html).toContain('PAR app');
    const decision = await browser.post('/authorize/decision', { csrf_token: hiddenField(html, 'csrf_token'), consent: hiddenField(html, 'consent'), decision: 'allow' });
    expect(decision.status).toBe(302);
    const location = new URL(decision.headers.get('location')!);
    expect(location.searchParams.get('state')).toBe('par-state');
    const code = location.searchParams.get('code')!;
    const token = await postForm(meta.token_endpoint, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier }, { authorization: auth });
    expect(token.status).toBe(200);

    // Single use: the request_uri again, and the carried request again, are both refused.
    const again = await browser.get(authorizeUrl);
    expect(again.status).toBe(400);
    const replayed = await browser.get(returnTo);
    const html2 = await replayed.text();
    const second = await browser.post('/authorize/decision', { csrf_token: hiddenField(html2, 'csrf_token'), consent: hiddenField(html2, 'consent'), decision: 'allow' });
    expect(second.status).toBe(302);
    expect(new URL(second.headers.get('location')!).searchParams.get('error')).toBe('invalid_request');
  });

  it('refuses a pushed request from an unauthenticated confidential client (RFC 9126 §2)', async () => {
    const res = await postForm(meta.pushed_authorization_request_endpoint, { response_type: 'code', client_id: client.id, redirect_uri: REDIRECT });
    expect(res.status).toBe(401);
  });

  it('registers a private_key_jwt client with a JWK set file (grantry clients create --auth-method)', async () => {
    const file = join(store.dataDir, 'client-jwks.json');
    writeFileSync(file, JSON.stringify({ keys: [{ kty: 'EC', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0', kid: 'k1' }] }));
    const created = await cli(store, 'clients', 'create', '--name', 'Bank', '--grant-types', 'client_credentials', '--auth-method', 'private_key_jwt', '--jwks-file', file);
    expect(created).toMatchObject({ token_endpoint_auth_method: 'private_key_jwt', type: 'confidential' });
    expect(created.client_secret).toBeUndefined();
    const updated = await cli(store, 'clients', 'update', created.id, '--jwks-uri', 'https://bank.example/jwks.json', '--require-par');
    expect(updated).toMatchObject({ token_endpoint_auth_method: 'private_key_jwt', jwks_uri: 'https://bank.example/jwks.json', require_pushed_authorization_requests: true });
    expect(updated.jwks).toBeUndefined();
  });

  it('authenticates a private_key_jwt client at /par, its assertion single use in the database (storage.replays)', async () => {
    const key = await clientKey('par-1');
    const file = join(store.dataDir, 'par-client-jwks.json');
    writeFileSync(file, JSON.stringify({ keys: [key.publicJwk] }));
    const created = await cli(store, 'clients', 'create', '--name', 'Keyed app', '--grant-types', 'authorization_code', '--scopes', 'read', '--redirect-uris', REDIRECT, '--auth-method', 'private_key_jwt', '--jwks-file', file);
    const jwt = await assertion(key, created.id, Date.now(), { aud: server.issuer });
    const params = { response_type: 'code', client_id: created.id, redirect_uri: REDIRECT, scope: 'read', code_challenge: pkcePair().challenge, code_challenge_method: 'S256', ...assertionParams(jwt) };
    const first = await postForm(meta.pushed_authorization_request_endpoint, params);
    expect(first.status).toBe(201);
    const again = await postForm(meta.pushed_authorization_request_endpoint, params);
    expect(again.status).toBe(401);
    expect(((await again.json()) as { error: string }).error).toBe('invalid_client');
  });
});
