import { describe, expect, it } from 'vitest';
import { BearerTokenError } from '../../src/contracts/bearer-token-error.js';
import { ResourceServer, type ResourceServerOptions } from '../../src/core/resource-server.js';
import { ClientCredentialsGrant } from '../../src/grants/client-credentials-grant.js';
import { DpopNonces } from '../../src/tokens/dpop-nonces.js';
import { CLIENT_SECRET, ISSUER, basic, createTestServer, tokenRequest, type TestServer } from '../support/fixtures.js';
import { DpopKey, ath } from './support/dpop-key.js';

const API = 'https://api.example.test/orders';

async function setup(options: Partial<ResourceServerOptions> = {}) {
  const t = await createTestServer();
  t.server.enableGrantType(new ClientCredentialsGrant(), 'PT1H');
  const rs = await ResourceServer.forAuthorizationServer(t.server, { replays: t.storage.replays, ...options });
  return { t, rs };
}

const now = (t: TestServer): number => Math.floor(t.clock.now() / 1000);

/** A client-credentials access token, bound to `key` when given. */
async function token(t: TestServer, key?: DpopKey): Promise<string> {
  const headers: Record<string, string> = { authorization: basic('app', CLIENT_SECRET) };
  if (key) headers.dpop = key.proof('POST', `${ISSUER}/token`, { iat: now(t) });
  const res = await t.server.handleTokenRequest(tokenRequest({ grant_type: 'client_credentials', scope: 'read' }, headers));
  return ((await res.json()) as { access_token: string }).access_token;
}

function apiRequest(headers: Record<string, string>, method = 'GET', url = API): Request {
  return new Request(url, { method, headers });
}

async function refusal(promise: Promise<unknown>) {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(BearerTokenError);
  const res = (error as BearerTokenError).toResponse();
  const text = await res.text();
  return { status: res.status, challenge: res.headers.get('www-authenticate') ?? '', body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>), nonce: res.headers.get('dpop-nonce') };
}

describe('DPoP at the resource server (RFC 9449 §7)', () => {
  const key = new DpopKey('ES256');

  it('accepts a DPoP-bound token with a proof of its key, for this method and URL, with ath', async () => {
    const { t, rs } = await setup();
    const at = await token(t, key);
    const claims = await rs.validateAuthenticatedRequest(apiRequest({ authorization: `DPoP ${at}`, dpop: key.proof('GET', API, { iat: now(t), ath: ath(at) }) }));
    expect(claims.cnf).toEqual({ jkt: key.jkt });
  });

  type Case = [string, (t: TestServer, at: string) => Record<string, string>, string];
  const refused: Case[] = [
    ['an ath that is not the hash of the token (§4.3 item 12)', (t, at) => ({ authorization: `DPoP ${at}`, dpop: key.proof('GET', API, { iat: now(t), ath: ath(`${at}x`) }) }), 'ath'],
    ['a proof without ath', (t, at) => ({ authorization: `DPoP ${at}`, dpop: key.proof('GET', API, { iat: now(t) }) }), 'ath'],
    ['a proof for another method', (t, at) => ({ authorization: `DPoP ${at}`, dpop: key.proof('POST', API, { iat: now(t), ath: ath(at) }) }), 'htm'],
    ['a proof for another URL', (t, at) => ({ authorization: `DPoP ${at}`, dpop: key.proof('GET', 'https://api.example.test/other', { iat: now(t), ath: ath(at) }) }), 'htu'],
    ['a stale proof', (t, at) => ({ authorization: `DPoP ${at}`, dpop: key.proof('GET', API, { iat: now(t) - 300, ath: ath(at) }) }), 'iat'],
    ['a proof of another key than the token is bound to', (t, at) => ({ authorization: `DPoP ${at}`, dpop: new DpopKey().proof('GET', API, { iat: now(t), ath: ath(at) }) }), 'bound'],
    ['a DPoP token without a proof', (_t, at) => ({ authorization: `DPoP ${at}` }), 'proof'],
  ];
  it.each(refused)('refuses %s with 401 invalid_dpop_proof and a DPoP challenge', async (_name, headers, words) => {
    const { t, rs } = await setup();
    const at = await token(t, key);
    const r = await refusal(rs.validateAuthenticatedRequest(apiRequest(headers(t, at))));
    expect(r.status).toBe(401);
    expect(r.body.error).toBe('invalid_dpop_proof');
    expect(String(r.body.error_description)).toContain(words);
    expect(r.challenge).toMatch(/^DPoP error="invalid_dpop_proof", error_description="[^"]+", algs="ES256 PS256 RS256 EdDSA"$/);
  });

  it('refuses a replayed proof at the resource server when given the replays repository (RFC 9449 §11.1)', async () => {
    const { t, rs } = await setup();
    const at = await token(t, key);
    const headers = { authorization: `DPoP ${at}`, dpop: key.proof('GET', API, { iat: now(t), ath: ath(at) }) };
    await rs.validateAuthenticatedRequest(apiRequest(headers));
    const r = await refusal(rs.validateAuthenticatedRequest(apiRequest(headers)));
    expect(r.body.error).toBe('invalid_dpop_proof');
  });

  it('refuses a DPoP-bound token presented as a bearer token (RFC 9449 §7.2)', async () => {
    const { t, rs } = await setup();
    const at = await token(t, key);
    const r = await refusal(rs.validateAuthenticatedRequest(apiRequest({ authorization: `Bearer ${at}` })));
    expect(r.status).toBe(401);
    expect(r.body.error).toBe('invalid_token');
    expect(r.challenge).toMatch(/^Bearer error="invalid_token"/);
    // The header-only path of the Node middlewares refuses it too.
    expect((await refusal(rs.validateAuthorization(`Bearer ${at}`))).body.error).toBe('invalid_token');
  });

  it('refuses an unbound token presented with the DPoP scheme', async () => {
    const { t, rs } = await setup();
    const at = await token(t);
    const r = await refusal(rs.validateAuthenticatedRequest(apiRequest({ authorization: `DPoP ${at}`, dpop: key.proof('GET', API, { iat: now(t), ath: ath(at) }) })));
    expect(r.body.error).toBe('invalid_token');
    expect(r.challenge).toMatch(/^DPoP error="invalid_token"/);
  });

  it('accepts an unbound bearer token unless DPoP is required; when required, refuses it with only a DPoP challenge', async () => {
    const { t, rs } = await setup();
    const at = await token(t);
    await expect(rs.validateAuthenticatedRequest(apiRequest({ authorization: `Bearer ${at}` }))).resolves.toBeDefined();
    const strict = await ResourceServer.forAuthorizationServer(t.server, { dpop: { required: true } });
    const r = await refusal(strict.validateAuthenticatedRequest(apiRequest({ authorization: `Bearer ${at}` })));
    expect(r.status).toBe(401);
    expect(r.challenge).toMatch(/^DPoP error="invalid_token"/);
    const missing = await refusal(strict.validateAuthenticatedRequest(apiRequest({})));
    expect(missing.challenge).toBe('DPoP algs="ES256 PS256 RS256 EdDSA"');
  });

  it('answers a bare Bearer challenge when DPoP is off (dpop: false)', async () => {
    const { t } = await setup();
    const bearerOnly = await ResourceServer.forAuthorizationServer(t.server, { dpop: false });
    expect((await refusal(bearerOnly.validateAuthenticatedRequest(apiRequest({})))).challenge).toBe('Bearer');
  });

  it('asks for a nonce with use_dpop_nonce and DPoP-Nonce, then accepts the proof that carries it (RFC 9449 §9)', async () => {
    const nonces = new DpopNonces('resource server nonce secret, 32 bytes or more');
    const { t, rs } = await setup({ dpop: { nonces } });
    const at = await token(t, key);
    const first = await refusal(rs.validateAuthenticatedRequest(apiRequest({ authorization: `DPoP ${at}`, dpop: key.proof('GET', API, { iat: now(t), ath: ath(at) }) })));
    expect(first.status).toBe(401);
    expect(first.body.error).toBe('use_dpop_nonce');
    expect(first.challenge).toMatch(/^DPoP error="use_dpop_nonce"/);
    expect(first.nonce).toBeTruthy();
    const claims = await rs.validateAuthenticatedRequest(apiRequest({ authorization: `DPoP ${at}`, dpop: key.proof('GET', API, { iat: now(t), ath: ath(at), nonce: first.nonce! }) }));
    expect(claims.cnf).toEqual({ jkt: key.jkt });
  });
});
