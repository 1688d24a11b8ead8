// One conformance suite for every HTTP adapter: each test file starts a REAL server on 127.0.0.1:0 with the
// adapter's idiomatic mounting, and the same requests must get the same answers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResourceServer } from '../../src/core/resource-server.js';
import { hashClientSecret } from '../../src/contracts/client-secret.js';
import { ClientCredentialsGrant } from '../../src/grants/client-credentials-grant.js';
import { RefreshTokenGrant } from '../../src/grants/refresh-token-grant.js';
import { basic, CLIENT_SECRET, createTestServer, ISSUER, mintTokens, serverOn, type TestServer } from '../support/fixtures.js';
import type { RunningAdapter, StartAdapter } from './mounts.js';
import { DpopKey, ath } from '../dpop/support/dpop-key.js';

/** Client id and secret with every character RFC 6749 §2.3.1 makes the client form-url-encode. */
export const SPECIAL_ID = 'my client:ü+%/&=?#';
export const SPECIAL_SECRET = 'p@ss:wörd +%2B/&=?"\' and 32+ characters';

const JSON_TYPE = /^application\/json/;

/** Asserts the RFC 6749 §5.1/§5.2 headers and returns the JSON body. */
async function oauthJson(res: Response): Promise<Record<string, unknown>> {
  expect(res.headers.get('content-type')).toMatch(JSON_TYPE);
  expect(res.headers.get('cache-control')).toBe('no-store');
  expect(res.headers.get('pragma')).toBe('no-cache');
  return (await res.json()) as Record<string, unknown>;
}

export function describeAdapter(name: string, start: StartAdapter): void {
  describe(`HTTP adapter: ${name}`, () => {
    let t: TestServer;
    let running: RunningAdapter;
    const post = (body: BodyInit, headers: Record<string, string>, init: RequestInit = {}) =>
      fetch(`${running.origin}/token`, { method: 'POST', headers, body, ...init });
    const form = (params: Record<string, string>, authorization = basic('app', CLIENT_SECRET)) =>
      post(new URLSearchParams(params).toString(), { 'content-type': 'application/x-www-form-urlencoded', authorization });

    beforeAll(async () => {
      t = await createTestServer();
      t.server.enableGrantType(new ClientCredentialsGrant(), 'PT1H');
      t.storage.clients.clients.set(SPECIAL_ID, {
        id: SPECIAL_ID,
        name: 'Special characters',
        secretHash: await hashClientSecret(SPECIAL_SECRET),
        redirectUris: [],
        grantTypes: ['client_credentials', 'refresh_token'],
        scopes: [],
      });
      const resourceServer = await ResourceServer.forAuthorizationServer(t.server);
      running = await start({ server: t.server, resourceServer });
    });
    afterAll(async () => running?.close());

    it('issues tokens to a client authenticated with HTTP Basic, special characters form-url-encoded (RFC 6749 §2.3.1)', async () => {
      const res = await form({ grant_type: 'client_credentials', scope: 'read' }, basic(SPECIAL_ID, SPECIAL_SECRET));
      const body = await oauthJson(res);
      expect(res.status, JSON.stringify(body)).toBe(200);
      expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: 'read' });
      expect(typeof body.access_token).toBe('string');
    });

    it('refreshes with rotation: a new refresh token, and the old one refused afterwards (RFC 6749 §6, RFC 9700 §4.14.2)', async () => {
      const minted = await mintTokens(t, SPECIAL_ID);
      const auth = basic(SPECIAL_ID, SPECIAL_SECRET);
      const first = await form({ grant_type: 'refresh_token', refresh_token: minted.refresh_token! }, auth);
      const rotated = await oauthJson(first);
      expect(first.status, JSON.stringify(rotated)).toBe(200);
      expect(rotated.refresh_token).toEqual(expect.any(String));
      expect(rotated.refresh_token).not.toBe(minted.refresh_token);
      expect(rotated.scope).toBe('read write');

      const replay = await form({ grant_type: 'refresh_token', refresh_token: minted.refresh_token! }, auth);
      expect(replay.status).toBe(400);
      expect((await oauthJson(replay)).error).toBe('invalid_grant');
    });

    it('answers a failed Basic authentication 401 invalid_client with WWW-Authenticate: Basic (RFC 6749 §5.2)', async () => {
      const res = await form({ grant_type: 'client_credentials' }, basic('app', 'wrong secret'));
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Basic /);
      const body = await oauthJson(res);
      expect(body.error).toBe('invalid_client');
      expect(typeof body.error_description).toBe('string');
    });

    it('refuses a body over the size limit with 413 JSON, whether its length is declared or not', async () => {
      const big = 'grant_type=client_credentials&pad=' + 'x'.repeat(40 * 1024);
      const declared = await post(big, { 'content-type': 'application/x-www-form-urlencoded', authorization: basic('app', CLIENT_SECRET) });
      expect(declared.status).toBe(413);
      expect((await oauthJson(declared)).error).toBe('invalid_request');

      const chunks = [new TextEncoder().encode('grant_type=client_credentials&pad='), new Uint8Array(60 * 1024).fill(0x78)];
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          const next = chunks.shift();
          if (next) controller.enqueue(next);
          else controller.close();
        },
      });
      const chunked = await post(stream, { 'content-type': 'application/x-www-form-urlencoded' }, { duplex: 'half' } as RequestInit);
      expect(chunked.status).toBe(413);
      expect((await oauthJson(chunked)).error).toBe('invalid_request');

      // The connection (or the server) is still good for the next request.
      const after = await form({ grant_type: 'client_credentials' });
      expect(after.status).toBe(200);
    });

    it('refuses a body that is not application/x-www-form-urlencoded with invalid_request (RFC 6749 §3.2)', async () => {
      const res = await post(JSON.stringify({ grant_type: 'client_credentials' }), {
        'content-type': 'application/json',
        authorization: basic('app', CLIENT_SECRET),
      });
      expect(res.status).toBe(400);
      expect((await oauthJson(res)).error).toBe('invalid_request');

      const none = await post(new Uint8Array([1, 2, 3]), { 'content-type': 'text/plain;;;', authorization: basic('app', CLIENT_SECRET) });
      expect(none.status).toBeGreaterThanOrEqual(400);
      expect(none.status).toBeLessThan(500);
      expect((await oauthJson(none)).error).toBe('invalid_request');
    });

    it('refuses a repeated parameter with invalid_request, the raw form reaching the core untouched (RFC 6749 §3.1)', async () => {
      const res = await post('grant_type=client_credentials&scope=read&scope=write', {
        'content-type': 'application/x-www-form-urlencoded; charset=UTF-8',
        authorization: basic('app', CLIENT_SECRET),
      });
      expect(res.status).toBe(400);
      expect((await oauthJson(res)).error).toBe('invalid_request');
    });

    it('answers a request without a bearer token 401 with a bare WWW-Authenticate: Bearer challenge (RFC 6750 §3.1)', async () => {
      const res = await fetch(`${running.origin}/api/me`);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer\b/);
      expect(res.headers.get('www-authenticate')).not.toMatch(/error=/);
    });

    it('answers an invalid bearer token 401 invalid_token (RFC 6750 §3.1)', async () => {
      const res = await fetch(`${running.origin}/api/me`, { headers: { authorization: 'Bearer not.a.jwt' } });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
    });

    it('lets a request with a valid bearer token through, with its claims (RFC 6750 §2.1)', async () => {
      const minted = await mintTokens(t, 'app', ['read']);
      const res = await fetch(`${running.origin}/api/me`, { headers: { authorization: `Bearer ${minted.access_token}` } });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ sub: 'user-1', client_id: 'app', scope: 'read' });
    });

    it('answers a valid token without the scope a route needs 403 insufficient_scope naming it (RFC 6750 §3.1)', async () => {
      const minted = await mintTokens(t, 'app', ['read']);
      const res = await fetch(`${running.origin}/api/admin`, { headers: { authorization: `Bearer ${minted.access_token}` } });
      expect(res.status).toBe(403);
      expect(res.headers.get('www-authenticate')).toMatch(/error="insufficient_scope"/);
      expect(res.headers.get('www-authenticate')).toMatch(/scope="admin"/);

      const admin = await mintTokens(t, 'app', ['admin']);
      const ok = await fetch(`${running.origin}/api/admin`, { headers: { authorization: `Bearer ${admin.access_token}` } });
      expect(ok.status).toBe(200);
    });

    it('issues a DPoP-bound token and lets it through with a proof of its key; refuses it as Bearer and with a wrong ath (RFC 9449 §5, §7)', async () => {
      const key = new DpopKey('ES256');
      const iat = Math.floor(t.clock.now() / 1000);
      const issued = await post('grant_type=client_credentials&scope=read', {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: basic('app', CLIENT_SECRET),
        dpop: key.proof('POST', `${running.origin}/token`, { iat }),
      });
      const body = await oauthJson(issued);
      expect(issued.status, JSON.stringify(body)).toBe(200);
      expect(body.token_type).toBe('DPoP');
      const at = body.access_token as string;
      const api = `${running.origin}/api/me`;
      const ok = await fetch(api, { headers: { authorization: `DPoP ${at}`, dpop: key.proof('GET', api, { iat, ath: ath(at) }) } });
      expect(ok.status).toBe(200);
      const asBearer = await fetch(api, { headers: { authorization: `Bearer ${at}` } });
      expect(asBearer.status).toBe(401);
      expect(asBearer.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
      const wrongAth = await fetch(api, { headers: { authorization: `DPoP ${at}`, dpop: key.proof('GET', api, { iat, ath: ath('another token') }) } });
      expect(wrongAth.status).toBe(401);
      expect(wrongAth.headers.get('www-authenticate')).toMatch(/^DPoP error="invalid_dpop_proof"/);
    });
  });
}

/** The endpoints beyond the token endpoint, for a mount made with the adapter's `oauthEndpoints*` helper. */
export function describeEndpoints(name: string, start: StartAdapter): void {
  describe(`HTTP adapter: ${name}, every endpoint of the server`, () => {
    let t: TestServer;
    let running: RunningAdapter;
    const auth = { authorization: basic('app', CLIENT_SECRET), 'content-type': 'application/x-www-form-urlencoded' };

    beforeAll(async () => {
      const base = await createTestServer();
      // Revocation and introspection of refresh tokens need the refresh token repository.
      const server = serverOn(base.storage, base.clock, { refreshTokens: base.storage.refreshTokens });
      server.enableGrantType(new RefreshTokenGrant(base.storage.refreshTokens), 'PT1H');
      t = { ...base, server };
      running = await start({ server, resourceServer: await ResourceServer.forAuthorizationServer(server) });
    });
    afterAll(async () => running?.close());

    it('serves the metadata document at the RFC 8414 §3 well-known path, naming the endpoints it routes', async () => {
      const res = await fetch(`${running.origin}/.well-known/oauth-authorization-server`);
      expect(res.status).toBe(200);
      const metadata = (await res.json()) as Record<string, unknown>;
      expect(metadata).toMatchObject({ issuer: ISSUER, token_endpoint: `${ISSUER}/token`, revocation_endpoint: `${ISSUER}/revoke` });
    });

    it('serves the JWKS the access tokens verify against', async () => {
      const res = await fetch(`${running.origin}/.well-known/jwks.json`);
      expect(res.status).toBe(200);
      const { keys } = (await res.json()) as { keys: { kid?: string }[] };
      expect(keys.length).toBeGreaterThan(0);
      expect(typeof keys[0]!.kid).toBe('string');
    });

    it('refreshes at the token endpoint, introspects the new access token, revokes it, and the API then refuses it (RFC 7662, RFC 7009)', async () => {
      const minted = await mintTokens(t);
      const refreshed = await fetch(`${running.origin}/token`, {
        method: 'POST',
        headers: auth,
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: minted.refresh_token! }),
      });
      expect(refreshed.status).toBe(200);
      const { access_token } = (await refreshed.json()) as { access_token: string };

      const introspected = await fetch(`${running.origin}/introspect`, { method: 'POST', headers: auth, body: new URLSearchParams({ token: access_token }) });
      expect(introspected.status).toBe(200);
      expect(await introspected.json()).toMatchObject({ active: true, client_id: 'app', sub: 'user-1' });

      const before = await fetch(`${running.origin}/api/me`, { headers: { authorization: `Bearer ${access_token}` } });
      expect(before.status).toBe(200);
      const revoked = await fetch(`${running.origin}/revoke`, { method: 'POST', headers: auth, body: new URLSearchParams({ token: access_token }) });
      expect(revoked.status).toBe(200);
      const after = await fetch(`${running.origin}/api/me`, { headers: { authorization: `Bearer ${access_token}` } });
      expect(after.status).toBe(401);
      expect(after.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
    });

    it('passes requests for other paths on to the application', async () => {
      const res = await fetch(`${running.origin}/api/me`);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer\b/);
    });
  });
}
