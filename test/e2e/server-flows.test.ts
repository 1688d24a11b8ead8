import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, createTestStore, hiddenField, startGrantry, type GrantryProcess, type TestStore } from './support/grantry-process.js';
import { basicAuth, discover, PageDriver, pkcePair, postForm, type Metadata } from './support/oauth-client.js';

const DEVICE = 'urn:ietf:params:oauth:grant-type:device_code';
const REDIRECT = 'http://127.0.0.1:9/callback';
const engines: [string, string | undefined][] = [['SQLite', undefined]];
if (process.env.DATABASE_URL) engines.push(['PostgreSQL', process.env.DATABASE_URL]);

describe.each(engines)('the real grantry server process on %s', (_engine, postgresUrl) => {
  let store: TestStore;
  let server: GrantryProcess;
  let meta: Metadata;
  let client: { id: string; client_secret: string };
  let auth: string;

  beforeAll(async () => {
    store = await createTestStore(postgresUrl);
    await cli(store, 'scopes', 'add', 'read');
    await cli(store, 'scopes', 'add', 'write');
    client = await cli(store, 'clients', 'create', '--name', 'E2E app', '--grant-types', `authorization_code,client_credentials,password,refresh_token,device_code`, '--scopes', 'read write', '--redirect-uris', REDIRECT);
    await cli(store, 'users', 'create', '--username', 'alice', '--password', 'correct horse battery');
    server = await startGrantry(store, ['--grants', 'authorization_code,client_credentials,password,refresh_token,device_code', '--device-poll-interval', '1']);
    meta = await discover(server.issuer);
    auth = basicAuth(client.id, client.client_secret);
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    await store?.dispose();
  });

  it('publishes every endpoint and the enabled grants in its metadata (RFC 8414 §2)', () => {
    expect(meta.issuer).toBe(server.issuer);
    for (const key of ['token_endpoint', 'authorization_endpoint', 'revocation_endpoint', 'introspection_endpoint', 'device_authorization_endpoint', 'jwks_uri'] as const) {
      expect(meta[key]).toMatch(new RegExp(`^${server.issuer}/`));
    }
    expect(meta.grant_types_supported).toEqual(expect.arrayContaining(['authorization_code', 'client_credentials', 'password', 'refresh_token', DEVICE]));
  });

  it('issues, introspects and revokes a client credentials token (RFC 6749 §4.4, RFC 7662, RFC 7009)', async () => {
    const token = await postForm(meta.token_endpoint, { grant_type: 'client_credentials', scope: 'read' }, { authorization: auth });
    expect(token.status).toBe(200);
    const { access_token } = (await token.json()) as { access_token: string };
    const active = await postForm(meta.introspection_endpoint, { token: access_token }, { authorization: auth });
    expect(await active.json()).toMatchObject({ active: true, scope: 'read', client_id: client.id });
    const revoked = await postForm(meta.revocation_endpoint, { token: access_token }, { authorization: auth });
    expect(revoked.status).toBe(200);
    const inactive = await postForm(meta.introspection_endpoint, { token: access_token }, { authorization: auth });
    expect(await inactive.json()).toEqual({ active: false });
  });

  it('runs the password grant, then refreshes with rotation (RFC 6749 §4.3, §6)', async () => {
    const token = await postForm(meta.token_endpoint, { grant_type: 'password', username: 'alice', password: 'correct horse battery', scope: 'read write' }, { authorization: auth });
    expect(token.status).toBe(200);
    const first = (await token.json()) as { refresh_token: string };
    expect(first.refresh_token).toEqual(expect.any(String));
    const refreshed = await postForm(meta.token_endpoint, { grant_type: 'refresh_token', refresh_token: first.refresh_token, scope: 'read' }, { authorization: auth });
    expect(refreshed.status).toBe(200);
    expect(await refreshed.json()).toMatchObject({ scope: 'read', token_type: 'Bearer' });
    const replay = await postForm(meta.token_endpoint, { grant_type: 'refresh_token', refresh_token: first.refresh_token }, { authorization: auth });
    expect(replay.status).toBe(400);
    expect(await replay.json()).toMatchObject({ error: 'invalid_grant' });
  });

  it('runs the authorization code flow with PKCE through the login and consent pages (RFC 6749 §4.1, RFC 7636)', async () => {
    const { verifier, challenge } = pkcePair();
    const query = new URLSearchParams({ response_type: 'code', client_id: client.id, redirect_uri: REDIRECT, scope: 'read', state: 'xyz', code_challenge: challenge, code_challenge_method: 'S256' });
    const authorizeUrl = `${new URL(meta.authorization_endpoint).pathname}?${query.toString()}`;
    const browser = new PageDriver(server.issuer);
    const toLogin = await browser.get(authorizeUrl);
    expect(toLogin.status).toBe(303);
    expect(toLogin.headers.get('location')).toMatch(/^\/login\?return_to=/);
    const loggedIn = await browser.login('alice', 'correct horse battery', authorizeUrl);
    expect(loggedIn.status).toBe(303);
    expect(loggedIn.headers.get('location')).toBe(authorizeUrl);
    expect(loggedIn.headers.get('set-cookie')).toMatch(/HttpOnly; SameSite=Lax/);
    const consent = await browser.get(authorizeUrl);
    const html = await consent.text();
    expect(html).toContain('E2E app');
    expect(html).toContain('<li>read</li>');
    const decision = await browser.post('/authorize/decision', { csrf_token: hiddenField(html, 'csrf_token'), consent: hiddenField(html, 'consent'), decision: 'allow' });
    expect(decision.status).toBe(302);
    const location = new URL(decision.headers.get('location')!);
    expect(location.origin + location.pathname).toBe(REDIRECT);
    expect(location.searchParams.get('state')).toBe('xyz');
    expect(location.searchParams.get('iss')).toBe(server.issuer);
    const code = location.searchParams.get('code')!;
    const token = await postForm(meta.token_endpoint, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier }, { authorization: auth });
    expect(token.status).toBe(200);
    const tokens = (await token.json()) as { access_token: string; refresh_token: string };
    const refreshed = await postForm(meta.token_endpoint, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token }, { authorization: auth });
    expect(refreshed.status).toBe(200);
    const again = await postForm(meta.token_endpoint, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier }, { authorization: auth });
    expect(await again.json()).toMatchObject({ error: 'invalid_grant' });
  });

  it('runs the device flow: authorization, pending, approval on the device page, tokens (RFC 8628)', async () => {
    const started = await postForm(meta.device_authorization_endpoint, { scope: 'read' }, { authorization: auth });
    expect(started.status).toBe(200);
    const device = (await started.json()) as { device_code: string; user_code: string; verification_uri: string; interval: number };
    expect(device.verification_uri).toBe(`${server.issuer}/device`);
    const pending = await postForm(meta.token_endpoint, { grant_type: DEVICE, device_code: device.device_code }, { authorization: auth });
    expect(await pending.json()).toMatchObject({ error: 'authorization_pending' });

    const browser = new PageDriver(server.issuer);
    expect((await browser.login('alice', 'correct horse battery', '/device')).status).toBe(303);
    const entry = await (await browser.get('/device')).text();
    const approval = await browser.post('/device', { csrf_token: hiddenField(entry, 'csrf_token'), user_code: device.user_code.toLowerCase() });
    const approvalHtml = await approval.text();
    expect(approval.status).toBe(200);
    expect(approvalHtml).toContain('E2E app');
    const done = await browser.post('/device/decision', { csrf_token: hiddenField(approvalHtml, 'csrf_token'), device: hiddenField(approvalHtml, 'device'), decision: 'allow' });
    expect(done.status).toBe(200);

    // RFC 8628 §3.5: wait the interval between polls.
    await new Promise((r) => setTimeout(r, device.interval * 1000));
    const token = await postForm(meta.token_endpoint, { grant_type: DEVICE, device_code: device.device_code }, { authorization: auth });
    expect(token.status).toBe(200);
    expect(await token.json()).toMatchObject({ token_type: 'Bearer', scope: 'read' });
  }, 30_000);

  it('sees clients and users changed by the CLI without a restart', async () => {
    const second = await cli(store, 'clients', 'create', '--name', 'Late client', '--grant-types', 'client_credentials');
    const late = await postForm(meta.token_endpoint, { grant_type: 'client_credentials' }, { authorization: basicAuth(second.id, second.client_secret) });
    expect(late.status).toBe(200);
    await cli(store, 'users', 'create', '--username', 'bob', '--password', 'bobs password');
    const bob = () => postForm(meta.token_endpoint, { grant_type: 'password', username: 'bob', password: 'bobs password' }, { authorization: auth });
    expect((await bob()).status).toBe(200);
    await cli(store, 'users', 'delete', 'bob');
    expect(await (await bob()).json()).toMatchObject({ error: 'invalid_grant' });
    await cli(store, 'clients', 'delete', second.id);
    const gone = await postForm(meta.token_endpoint, { grant_type: 'client_credentials' }, { authorization: basicAuth(second.id, second.client_secret) });
    expect(gone.status).toBe(401);
  }, 60_000);

  it('picks up `grantry keys rotate` without a restart: the JWKS lists both keys, new tokens carry the new kid', async () => {
    const kidOf = (jwt: string) => (JSON.parse(Buffer.from(jwt.split('.')[0]!, 'base64url').toString()) as { kid: string }).kid;
    const issue = async () => ((await (await postForm(meta.token_endpoint, { grant_type: 'client_credentials' }, { authorization: auth })).json()) as { access_token: string }).access_token;
    const oldKid = kidOf(await issue());
    const rotated = await cli(store, 'keys', 'rotate', '--key-activation-delay', '1');
    const newKid = rotated.signing[0].kid as string;
    // Newest first: the new key (pending for a second), then the one that signs until it activates.
    expect(rotated.signing.map((k: { kid: string }) => k.kid)).toEqual([newKid, oldKid]);
    let kid = oldKid;
    for (let i = 0; i < 50 && kid === oldKid; i++) {
      await new Promise((r) => setTimeout(r, 200));
      kid = kidOf(await issue());
    }
    expect(kid).toBe(newKid);
    const jwks = (await (await fetch(meta.jwks_uri)).json()) as { keys: { kid: string }[] };
    expect(jwks.keys.map((k) => k.kid).sort()).toEqual([oldKid, newKid].sort());
  }, 60_000);

  it('answers /healthz and /metrics (Prometheus text), and logs one JSON line per request without secrets', async () => {
    expect(await (await fetch(`${server.issuer}/healthz`)).json()).toEqual({ status: 'ok' });
    const metrics = await fetch(`${server.issuer}/metrics`);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await metrics.text();
    expect(text).toMatch(/grantry_http_requests_total\{route="\/token",method="POST",status="200"\} \d+/);
    expect(text).toMatch(/grantry_access_tokens_issued_total\{grant_type="client_credentials"\} \d+/);
    const requests = server.logs.filter((l) => l.msg === 'request');
    expect(requests.length).toBeGreaterThan(10);
    expect(requests[0]).toMatchObject({ method: expect.any(String), status: expect.any(Number), duration_ms: expect.any(Number) });
    const all = JSON.stringify(server.logs);
    expect(all).not.toContain(client.client_secret);
    expect(all).not.toContain('correct horse battery');
    expect(all).not.toContain('code=');
  });
});
