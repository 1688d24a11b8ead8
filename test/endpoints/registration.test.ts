import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AuthorizationCodeGrant } from '../../src/grants/authorization-code-grant.js';
import { ClientCredentialsGrant } from '../../src/grants/client-credentials-grant.js';
import type { RegistrationOptions } from '../../src/core/endpoints/registration-options.js';
import { RefreshTokenGrant } from '../../src/grants/refresh-token-grant.js';
import { ISSUER, basic, createTestServer, serverOn, tokenRequest, type TestServer } from '../support/fixtures.js';
import { CHALLENGE, VERIFIER, authorize } from '../grants/helpers.js';

type Json = Record<string, unknown>;

/** A server with the code, refresh and client credentials grants and registration on (open unless `mode` says otherwise). */
async function registrationServer(registration: Partial<RegistrationOptions> = {}): Promise<TestServer> {
  const { storage, clock } = await createTestServer();
  const server = serverOn(storage, clock, {
    refreshTokens: storage.refreshTokens,
    registration: { mode: 'open', clients: storage.registrations, initialAccessTokens: storage.initialAccessTokens, ...registration },
  });
  server.enableGrantType(new RefreshTokenGrant(storage.refreshTokens), 'PT1H');
  server.enableGrantType(new AuthorizationCodeGrant(storage.authCodes, { refreshTokens: storage.refreshTokens }), 'PT1H');
  server.enableGrantType(new ClientCredentialsGrant(), 'PT1H');
  return { server, storage, clock };
}

function post(body: unknown, headers: Record<string, string> = {}, path = '/register'): Request {
  return new Request(`${ISSUER}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

const manage = (method: string, uri: string, token: string | undefined, body?: unknown): Request =>
  new Request(uri, {
    method,
    headers: { ...(token === undefined ? {} : { authorization: `Bearer ${token}` }), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

const NATIVE = { client_name: 'CLI tool', redirect_uris: ['http://127.0.0.1:8765/cb'], token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'refresh_token'] };

async function register(t: TestServer, body: Json = NATIVE, headers: Record<string, string> = {}): Promise<{ res: Response; json: Json }> {
  const res = await t.server.handleRegistrationRequest(post(body, headers));
  return { res, json: (await res.json()) as Json };
}

describe('client registration endpoint (RFC 7591 §3)', () => {
  it('registers a public client: 201 with client_id, registration access token and URI, and the accepted metadata (§3.2.1)', async () => {
    const t = await registrationServer();
    const events: unknown[] = [];
    t.server.events.on('client.registered', (e) => events.push(e));
    const { res, json } = await register(t);
    expect(res.status).toBe(201);
    expect(events).toEqual([{ clientId: json.client_id, grantTypes: ['authorization_code', 'refresh_token'], initialAccessToken: false }]);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(json).toMatchObject({
      client_name: 'CLI tool',
      redirect_uris: ['http://127.0.0.1:8765/cb'],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      client_id_issued_at: Math.floor(t.clock.now() / 1000),
    });
    expect(json.client_secret).toBeUndefined();
    expect(json.registration_client_uri).toBe(`${ISSUER}/register/${json.client_id as string}`);
    expect(json.registration_access_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const client = await t.storage.clients.getClient(json.client_id as string);
    expect(client).toMatchObject({ name: 'CLI tool', origin: 'registration', grantTypes: ['authorization_code', 'refresh_token'] });
    expect(client?.secretHash).toBeUndefined();
    expect(client?.permissions).toBeUndefined();
    // Stored as a hash only.
    const stored = await t.storage.registrations.find(json.client_id as string);
    expect(stored?.accessTokenHash).toBe(createHash('sha256').update(json.registration_access_token as string).digest('base64url'));
    expect(JSON.stringify(stored)).not.toContain(json.registration_access_token as string);
  });

  it('registers a confidential client with a secret stored hashed, client_secret_expires_at 0 (§3.2.1)', async () => {
    const t = await registrationServer({ grantTypes: ['authorization_code', 'client_credentials'] });
    const { res, json } = await register(t, { redirect_uris: ['https://app.example.test/cb'], grant_types: ['client_credentials'] });
    expect(res.status).toBe(201);
    // RFC 7591 §2: token_endpoint_auth_method defaults to client_secret_basic.
    expect(json).toMatchObject({ token_endpoint_auth_method: 'client_secret_basic', client_secret_expires_at: 0, response_types: [] });
    const secret = json.client_secret as string;
    const client = await t.storage.clients.getClient(json.client_id as string);
    expect(client?.secretHash).toBeDefined();
    expect(client?.secretHash).not.toContain(secret);
    expect(client?.name).toBe(json.client_id);
    const token = await t.server.handleTokenRequest(tokenRequest({ grant_type: 'client_credentials' }, { authorization: basic(json.client_id as string, secret) }));
    expect(token.status).toBe(200);
  });

  it('lets a registered public client complete the authorization code flow with PKCE and refresh', async () => {
    const t = await registrationServer();
    const { json } = await register(t);
    const clientId = json.client_id as string;
    const location = await authorize(t, {
      response_type: 'code', client_id: clientId, redirect_uri: 'http://127.0.0.1:8765/cb', scope: 'read', state: 's',
      code_challenge: CHALLENGE, code_challenge_method: 'S256',
    });
    const code = location.searchParams.get('code')!;
    const res = await t.server.handleTokenRequest(
      tokenRequest({ grant_type: 'authorization_code', code, redirect_uri: 'http://127.0.0.1:8765/cb', code_verifier: VERIFIER, client_id: clientId }),
    );
    expect(res.status).toBe(200);
    const tokens = (await res.json()) as { access_token: string; refresh_token: string };
    expect(tokens.refresh_token).toBeDefined();
    const refreshed = await t.server.handleTokenRequest(tokenRequest({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: clientId }));
    expect(refreshed.status).toBe(200);
  });

  it('gives registered clients the policy scopes when they name none, and refuses others', async () => {
    const t = await registrationServer({ scopes: ['read'] });
    const { json } = await register(t);
    expect(json.scope).toBe('read');
    expect((await t.storage.clients.getClient(json.client_id as string))?.scopes).toEqual(['read']);
    const refused = await register(t, { ...NATIVE, scope: 'read write' });
    expect(refused.res.status).toBe(400);
    expect(refused.json.error).toBe('invalid_client_metadata');
  });

  it('ignores unknown fields and software statements, keeps the known descriptive ones (RFC 7591 §2)', async () => {
    const t = await registrationServer();
    const { res, json } = await register(t, {
      ...NATIVE, color: 'blue', software_statement: 'eyJ.x.y', client_uri: 'https://tool.example/', logo_uri: 'https://tool.example/logo.png',
      'client_name#fr': 'Outil', contacts: ['ops@tool.example'], software_id: 'tool', software_version: '1.2', policy_uri: 'https://tool.example/privacy',
      permissions: ['introspect'], client_id: 'chosen-id', client_secret: 'chosen-secret',
    });
    expect(res.status).toBe(201);
    // A client chooses neither its id, its secret nor permissions.
    expect(json.client_id).not.toBe('chosen-id');
    expect(json.client_secret).toBeUndefined();
    expect((await t.storage.clients.getClient(json.client_id as string))?.permissions).toBeUndefined();
    expect(json.permissions).toBeUndefined();
    expect(json.color).toBeUndefined();
    expect(json.software_statement).toBeUndefined();
    expect(json).toMatchObject({ client_uri: 'https://tool.example/', 'client_name#fr': 'Outil', contacts: ['ops@tool.example'], software_id: 'tool', software_version: '1.2' });
  });

  it.each([
    ['a plain-http redirect URI off loopback', { redirect_uris: ['http://app.example.test/cb'] }],
    ['a redirect URI with a fragment', { redirect_uris: ['https://app.example.test/cb#x'] }],
    ['a relative redirect URI', { redirect_uris: ['/cb'] }],
    ['localhost', { redirect_uris: ['http://localhost:8765/cb'] }],
    ['redirect_uris that is not an array', { redirect_uris: 'https://app.example.test/cb' }],
    ['no redirect URI for the code grant', { redirect_uris: [] }],
    ['a missing redirect_uris for the code grant', { redirect_uris: undefined }],
  ])('refuses %s with invalid_redirect_uri (RFC 7591 §3.2.2)', async (_, over) => {
    const t = await registrationServer();
    const { res, json } = await register(t, { ...NATIVE, ...over });
    expect(res.status).toBe(400);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(json.error).toBe('invalid_redirect_uri');
    expect(json.error_description).toMatch(/^[\x20-\x21\x23-\x5B\x5D-\x7E]+$/);
    expect(t.storage.registrations.records.size).toBe(0);
  });

  it.each([
    ['the password grant', { grant_types: ['password'] }],
    ['client_credentials when the policy does not allow it', { grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_basic' }],
    ['a grant type the server has not enabled', { grant_types: ['authorization_code', 'urn:ietf:params:oauth:grant-type:device_code'], response_types: ['code'] }],
    ['implicit (not in the policy)', { grant_types: ['implicit'], response_types: ['token'] }],
    ['grant_types without the code grant but response type code', { grant_types: ['refresh_token'], response_types: ['code'] }],
    ['authorization_code without the response type code', { grant_types: ['authorization_code'], response_types: [] }],
    ['an unknown response type', { response_types: ['code id_token'] }],
    ['an unsupported token_endpoint_auth_method', { token_endpoint_auth_method: 'private_key_jwt' }],
    ['a token_endpoint_auth_method that is not a string', { token_endpoint_auth_method: 42 }],
    ['grant_types that is not an array of strings', { grant_types: 'authorization_code' }],
    ['an unknown scope', { scope: 'read nope' }],
    ['a malformed scope', { scope: 'read "quoted"' }],
    ['a client_name that is not a string', { client_name: ['x'] }],
    ['a client_name with a control character', { client_name: 'a\u0000b' }],
    ['a logo_uri that is not a URL', { logo_uri: 'not a url' }],
    ['a javascript: client_uri', { client_uri: 'javascript:alert(1)' }],
    ['contacts that is not a list', { contacts: 'ops@tool.example' }],
    ['both jwks and jwks_uri', { jwks: { keys: [] }, jwks_uri: 'https://tool.example/jwks' }],
    ['a jwks that is not a JWK set', { jwks: 'keys' }],
  ])('refuses %s with invalid_client_metadata (RFC 7591 §3.2.2)', async (_, over) => {
    const t = await registrationServer();
    const { res, json } = await register(t, { ...NATIVE, ...over });
    expect(res.status).toBe(400);
    expect(json.error).toBe('invalid_client_metadata');
    expect(json.error_description).toMatch(/^[\x20-\x21\x23-\x5B\x5D-\x7E]+$/);
    expect(t.storage.registrations.records.size).toBe(0);
  });

  it('refuses a public client asking for client_credentials even when the policy allows the grant (RFC 6749 §4.4)', async () => {
    const t = await registrationServer({ grantTypes: ['client_credentials'] });
    const { json } = await register(t, { grant_types: ['client_credentials'], token_endpoint_auth_method: 'none' });
    expect(json.error).toBe('invalid_client_metadata');
  });

  it.each([
    ['a form body', 'client_name=x', { 'content-type': 'application/x-www-form-urlencoded' }, 400, 'invalid_request'],
    ['malformed JSON', '{"client_name":', {}, 400, 'invalid_request'],
    ['a JSON array', '[]', {}, 400, 'invalid_client_metadata'],
    ['a body over the size limit', JSON.stringify({ client_name: 'x'.repeat(20_000) }), {}, 413, 'invalid_request'],
  ])('answers %s with a JSON error', async (_, body, headers, status, error) => {
    const t = await registrationServer();
    const res = await t.server.handleRegistrationRequest(post(body, headers));
    expect(res.status).toBe(status);
    expect(((await res.json()) as Json).error).toBe(error);
  });

  it('answers GET on the registration endpoint 405 and a server without registration 404', async () => {
    const t = await registrationServer();
    const res = await t.server.handleRegistrationRequest(new Request(`${ISSUER}/register`));
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
    const off = await createTestServer();
    expect((await off.server.handleRegistrationRequest(post(NATIVE))).status).toBe(404);
  });

  it('announces registration_endpoint in the metadata only when registration is on (RFC 8414 §2)', async () => {
    const t = await registrationServer();
    expect((await t.server.metadata()).registration_endpoint).toBe(`${ISSUER}/register`);
    expect((await (await createTestServer()).server.metadata()).registration_endpoint).toBeUndefined();
  });

  it('refuses the password grant in the options at construction (a TypeError, not a 400)', async () => {
    await expect(registrationServer({ grantTypes: ['password'] })).rejects.toThrow(TypeError);
    await expect(registrationServer({ mode: 'initial-access-token', initialAccessTokens: undefined })).rejects.toThrow(/initialAccessTokens/);
  });
});

describe('registration with an initial access token (RFC 7591 §3)', () => {
  const sha = (token: string): string => createHash('sha256').update(token).digest('base64url');

  it('refuses a registration without the token or with a wrong one (401 invalid_token), and accepts a valid one', async () => {
    const t = await registrationServer({ mode: 'initial-access-token' });
    await t.storage.initialAccessTokens.save({ id: sha('initial-token-1'), createdAt: t.clock.now() });
    const missing = await register(t);
    expect(missing.res.status).toBe(401);
    expect(missing.json.error).toBe('invalid_token');
    expect(missing.res.headers.get('www-authenticate')).toMatch(/^Bearer /);
    const wrong = await register(t, NATIVE, { authorization: 'Bearer initial-token-2' });
    expect(wrong.res.status).toBe(401);
    const ok = await register(t, NATIVE, { authorization: 'Bearer initial-token-1' });
    expect(ok.res.status).toBe(201);
  });

  it('spends a single-use token on a registration, not on refused metadata, and honours expiry', async () => {
    const t = await registrationServer({ mode: 'initial-access-token' });
    await t.storage.initialAccessTokens.save({ id: sha('once'), createdAt: t.clock.now(), usesLeft: 1 });
    await t.storage.initialAccessTokens.save({ id: sha('soon'), createdAt: t.clock.now(), expiresAt: t.clock.now() + 60_000 });
    expect((await register(t, { ...NATIVE, grant_types: ['password'] }, { authorization: 'Bearer once' })).json.error).toBe('invalid_client_metadata');
    expect((await register(t, NATIVE, { authorization: 'Bearer once' })).res.status).toBe(201);
    expect((await register(t, NATIVE, { authorization: 'Bearer once' })).res.status).toBe(401);
    t.clock.advance(61);
    expect((await register(t, NATIVE, { authorization: 'Bearer soon' })).res.status).toBe(401);
  });
});

describe('client configuration endpoint (RFC 7592)', () => {
  async function registered(body: Json = NATIVE) {
    const t = await registrationServer();
    const { json } = await register(t, body);
    return { t, uri: json.registration_client_uri as string, token: json.registration_access_token as string, clientId: json.client_id as string, json };
  }

  it('reads the registration with the registration access token (§2.1)', async () => {
    const { t, uri, token, clientId, json } = await registered();
    const res = await t.server.handleRegistrationRequest(manage('GET', uri, token));
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const read = (await res.json()) as Json;
    const { registration_access_token: _, ...expected } = json;
    expect(read).toEqual(expected);
    expect(read.client_id).toBe(clientId);
  });

  it.each([
    ['no token', undefined],
    ['a wrong token', 'x'.repeat(43)],
  ])('answers %s with 401 invalid_token on read, update and delete (§2)', async (_, presented) => {
    const { t, uri, clientId } = await registered();
    for (const method of ['GET', 'PUT', 'DELETE']) {
      const res = await t.server.handleRegistrationRequest(manage(method, uri, presented, method === 'PUT' ? { ...NATIVE, client_id: clientId } : undefined));
      expect(res.status).toBe(401);
      expect(((await res.json()) as Json).error).toBe('invalid_token');
    }
    expect(await t.storage.clients.getClient(clientId)).toBeDefined();
  });

  it("refuses one client's registration access token for another client (§2)", async () => {
    const { t, token } = await registered();
    const other = await register(t);
    const res = await t.server.handleRegistrationRequest(manage('GET', other.json.registration_client_uri as string, token));
    expect(res.status).toBe(401);
  });

  it('answers an operator-created client 401: it has no registration (§2.1)', async () => {
    const { t, token } = await registered();
    expect((await t.server.handleRegistrationRequest(manage('GET', `${ISSUER}/register/app`, token))).status).toBe(401);
  });

  it('replaces the registration on update, omitted fields back to their defaults (§2.2)', async () => {
    const { t, uri, token, clientId } = await registered({ ...NATIVE, client_uri: 'https://tool.example/' });
    const res = await t.server.handleRegistrationRequest(
      manage('PUT', uri, token, { client_id: clientId, client_name: 'Renamed', redirect_uris: ['http://127.0.0.1:9999/cb'], token_endpoint_auth_method: 'none' }),
    );
    expect(res.status).toBe(200);
    const json = (await res.json()) as Json;
    expect(json).toMatchObject({ client_id: clientId, client_name: 'Renamed', redirect_uris: ['http://127.0.0.1:9999/cb'], grant_types: ['authorization_code'] });
    expect(json.client_uri).toBeUndefined();
    expect(json.registration_access_token).toBeUndefined();
    expect(await t.storage.clients.getClient(clientId)).toMatchObject({ name: 'Renamed', redirectUris: ['http://127.0.0.1:9999/cb'], grantTypes: ['authorization_code'], origin: 'registration' });
    // The same registration access token still works.
    expect((await t.server.handleRegistrationRequest(manage('GET', uri, token))).status).toBe(200);
  });

  it('issues a secret when a public client becomes confidential, and keeps it across later updates (§2.2)', async () => {
    const { t, uri, token, clientId } = await registered();
    const confidential = { ...NATIVE, client_id: clientId, token_endpoint_auth_method: 'client_secret_post' };
    const first = (await (await t.server.handleRegistrationRequest(manage('PUT', uri, token, confidential))).json()) as Json;
    expect(first.client_secret).toEqual(expect.any(String));
    const hash = (await t.storage.clients.getClient(clientId))?.secretHash;
    expect(hash).toBeDefined();
    const again = await t.server.handleRegistrationRequest(manage('PUT', uri, token, { ...confidential, client_secret: first.client_secret, client_name: 'Again' }));
    expect(again.status).toBe(200);
    expect(((await again.json()) as Json).client_secret).toBeUndefined();
    expect((await t.storage.clients.getClient(clientId))?.secretHash).toBe(hash);
  });

  it.each([
    ['a missing client_id', (id: string) => ({ ...NATIVE, client_id: undefined, id }), 'invalid_client_metadata'],
    ['another client_id', () => ({ ...NATIVE, client_id: 'app' }), 'invalid_client_metadata'],
    ['registration_access_token in the body', (id: string) => ({ ...NATIVE, client_id: id, registration_access_token: 'x' }), 'invalid_request'],
    ['client_id_issued_at in the body', (id: string) => ({ ...NATIVE, client_id: id, client_id_issued_at: 1 }), 'invalid_request'],
    ['a chosen client_secret', (id: string) => ({ ...NATIVE, client_id: id, client_secret: 'my-own-secret' }), 'invalid_client_metadata'],
    ['an invalid redirect URI', (id: string) => ({ ...NATIVE, client_id: id, redirect_uris: ['http://example.test/cb'] }), 'invalid_redirect_uri'],
    ['a disallowed grant type', (id: string) => ({ ...NATIVE, client_id: id, grant_types: ['password'] }), 'invalid_client_metadata'],
  ])('refuses an update with %s and leaves the registration as it was (§2.2)', async (_, body, error) => {
    const { t, uri, token, clientId } = await registered();
    const before = await t.storage.clients.getClient(clientId);
    const res = await t.server.handleRegistrationRequest(manage('PUT', uri, token, body(clientId)));
    expect(res.status).toBe(400);
    expect(((await res.json()) as Json).error).toBe(error);
    expect(await t.storage.clients.getClient(clientId)).toEqual(before);
  });

  it('deletes the client and revokes what it was granted (§2.3)', async () => {
    const { t, uri, token, clientId } = await registered();
    const location = await authorize(t, {
      response_type: 'code', client_id: clientId, redirect_uri: 'http://127.0.0.1:8765/cb', scope: 'read', state: 's',
      code_challenge: CHALLENGE, code_challenge_method: 'S256',
    });
    const tokens = (await (
      await t.server.handleTokenRequest(
        tokenRequest({ grant_type: 'authorization_code', code: location.searchParams.get('code')!, redirect_uri: 'http://127.0.0.1:8765/cb', code_verifier: VERIFIER, client_id: clientId }),
      )
    ).json()) as { refresh_token: string };
    const deletions: unknown[] = [];
    t.server.events.on('client.registration_deleted', (e) => deletions.push(e));
    const res = await t.server.handleRegistrationRequest(manage('DELETE', uri, token));
    expect(res.status).toBe(204);
    expect(deletions).toEqual([{ clientId }]);
    expect(await res.text()).toBe('');
    expect(await t.storage.clients.getClient(clientId)).toBeUndefined();
    expect([...t.storage.refreshTokens.records.values()].every((r) => r.revoked)).toBe(true);
    // The token is gone with the client (RFC 7592 §2.1: 401 for a client that does not exist).
    expect((await t.server.handleRegistrationRequest(manage('GET', uri, token))).status).toBe(401);
    const refresh = await t.server.handleTokenRequest(tokenRequest({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: clientId }));
    expect(refresh.status).toBe(401);
  });

  it('answers other methods 405 and nested paths 404', async () => {
    const { t, uri, token } = await registered();
    const res = await t.server.handleRegistrationRequest(manage('POST', uri, token, {}));
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, PUT, DELETE');
    expect((await t.server.handleRegistrationRequest(manage('GET', `${uri}/more`, token))).status).toBe(404);
  });
});
