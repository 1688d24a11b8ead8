import { describe, expect, it } from 'vitest';
import { ClientCredentialsGrant } from '../../src/grants/client-credentials-grant.js';
import { DpopNonces } from '../../src/tokens/dpop-nonces.js';
import { decodeJwt } from '../../src/tokens/jwt.js';
import type { AuthorizationServerOptions } from '../../src/core/authorization-server.js';
import { CLIENT_SECRET, ISSUER, basic, createTestServer, serverOn, tokenRequest, type TestServer } from '../support/fixtures.js';
import { DpopKey } from './support/dpop-key.js';

const TOKEN_URL = `${ISSUER}/token`;

async function setup(options: Partial<AuthorizationServerOptions> = {}) {
  const t = await createTestServer(options);
  t.server.enableGrantType(new ClientCredentialsGrant(), 'PT1H');
  return t;
}

const now = (t: TestServer): number => Math.floor(t.clock.now() / 1000);

function ccRequest(headers: Record<string, string> = {}, url = TOKEN_URL): Request {
  return tokenRequest({ grant_type: 'client_credentials', scope: 'read' }, { authorization: basic('app', CLIENT_SECRET), ...headers }, url);
}

async function json(res: Response): Promise<Record<string, unknown>> {
  return (await res.json()) as Record<string, unknown>;
}

describe('DPoP at the token endpoint (RFC 9449 §4.3, §5)', () => {
  const key = new DpopKey('ES256');

  it('binds the access token to the proof key: cnf.jkt and token_type DPoP (RFC 9449 §5, §6.1)', async () => {
    const t = await setup();
    const res = await t.server.handleTokenRequest(ccRequest({ dpop: key.proof('POST', TOKEN_URL, { iat: now(t) }) }));
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body.token_type).toBe('DPoP');
    expect(decodeJwt(body.access_token as string)!.payload.cnf).toEqual({ jkt: key.jkt });
  });

  it('issues a Bearer token without cnf to a request without a proof when DPoP is not required', async () => {
    const t = await setup();
    const body = await json(await t.server.handleTokenRequest(ccRequest()));
    expect(body.token_type).toBe('Bearer');
    expect(decodeJwt(body.access_token as string)!.payload.cnf).toBeUndefined();
  });

  it.each(['EdDSA', 'RS256', 'PS256'] as const)('accepts a %s proof', async (alg) => {
    const t = await setup();
    const other = new DpopKey(alg);
    const res = await t.server.handleTokenRequest(ccRequest({ dpop: other.proof('POST', TOKEN_URL, { iat: now(t) }) }));
    expect(res.status).toBe(200);
    expect(decodeJwt(((await json(res)).access_token as string))!.payload.cnf).toEqual({ jkt: other.jkt });
  });

  it('refuses a request without a proof when the server requires DPoP', async () => {
    const t = await setup({ dpop: { required: true } });
    const res = await t.server.handleTokenRequest(ccRequest());
    expect(res.status).toBe(400);
    expect((await json(res)).error).toBe('invalid_dpop_proof');
    expect(res.headers.get('cache-control')).toBe('no-store');
  });

  it('refuses a request without a proof from a client registered with dpopBoundAccessTokens (RFC 9449 §5.2)', async () => {
    const t = await setup();
    const app = (await t.storage.clients.getClient('app'))!;
    t.storage.clients.clients.set('app', { ...app, dpopBoundAccessTokens: true });
    const refused = await t.server.handleTokenRequest(ccRequest());
    expect(refused.status).toBe(400);
    expect((await json(refused)).error).toBe('invalid_dpop_proof');
    const ok = await t.server.handleTokenRequest(ccRequest({ dpop: key.proof('POST', TOKEN_URL, { iat: now(t) }) }));
    expect(ok.status).toBe(200);
  });

  type Case = [string, (t: TestServer) => string];
  const refused: Case[] = [
    ['a wrong htm (item 8)', (t) => key.proof('GET', TOKEN_URL, { iat: now(t) })],
    ['a wrong htu (item 9)', (t) => key.proof('POST', `${ISSUER}/other`, { iat: now(t) })],
    ['an htu of another host', (t) => key.proof('POST', 'https://evil.example.test/token', { iat: now(t) })],
    ['a stale iat (item 11)', (t) => key.proof('POST', TOKEN_URL, { iat: now(t) - 120 })],
    ['an iat in the future', (t) => key.proof('POST', TOKEN_URL, { iat: now(t) + 60 })],
    ['a proof signed by another key than its jwk (item 6)', (t) => key.proof('POST', TOKEN_URL, { iat: now(t) }, {}, new DpopKey('ES256').privateKey)],
    ['a private key in the jwk header (item 7)', (t) => key.proof('POST', TOKEN_URL, { iat: now(t) }, { jwk: key.privateJwk })],
    ['a typ other than dpop+jwt (item 4)', (t) => key.proof('POST', TOKEN_URL, { iat: now(t) }, { typ: 'JWT' })],
    ['alg none (item 5)', (t) => key.proof('POST', TOKEN_URL, { iat: now(t) }, { alg: 'none' })],
    ['a symmetric alg (item 5)', (t) => key.proof('POST', TOKEN_URL, { iat: now(t) }, { alg: 'HS256' })],
    ['a proof without jti (item 3)', (t) => key.proof('POST', TOKEN_URL, { iat: now(t), jti: '' })],
    ['a header that is no JWT (item 2)', () => 'not-a-jwt'],
  ];
  it.each(refused)('refuses %s with 400 invalid_dpop_proof', async (_name, make) => {
    const t = await setup();
    const res = await t.server.handleTokenRequest(ccRequest({ dpop: make(t) }));
    expect(res.status).toBe(400);
    expect(await json(res)).toMatchObject({ error: 'invalid_dpop_proof' });
    expect(t.storage.accessTokens.records.size).toBe(0);
  });

  it('ignores the query of the request URL and normalises htu (RFC 9449 §4.3 item 9)', async () => {
    const t = await setup();
    const res = await t.server.handleTokenRequest(ccRequest({ dpop: key.proof('POST', 'HTTPS://AUTH.example.test:443/token', { iat: now(t) }) }, `${TOKEN_URL}?x=1`));
    expect(res.status).toBe(200);
  });

  it('refuses two DPoP headers (RFC 9449 §4.3 item 1)', async () => {
    const t = await setup();
    const request = ccRequest();
    request.headers.append('dpop', key.proof('POST', TOKEN_URL, { iat: now(t) }));
    request.headers.append('dpop', key.proof('POST', TOKEN_URL, { iat: now(t) }));
    const res = await t.server.handleTokenRequest(request);
    expect((await json(res)).error).toBe('invalid_dpop_proof');
  });

  it('refuses a replayed proof: its jti is single use (RFC 9449 §11.1)', async () => {
    const t = await setup();
    const proof = key.proof('POST', TOKEN_URL, { iat: now(t) });
    expect((await t.server.handleTokenRequest(ccRequest({ dpop: proof }))).status).toBe(200);
    const again = await t.server.handleTokenRequest(ccRequest({ dpop: proof }));
    expect(again.status).toBe(400);
    expect((await json(again)).error).toBe('invalid_dpop_proof');
  });

  it('remembers jti in the replays repository it is given: two instances sharing it refuse a replay across them', async () => {
    const t = await setup();
    const [a, b] = [serverOn(t.storage, t.clock, { replays: t.storage.replays }), serverOn(t.storage, t.clock, { replays: t.storage.replays })];
    for (const s of [a, b]) s.enableGrantType(new ClientCredentialsGrant(), 'PT1H');
    const proof = key.proof('POST', TOKEN_URL, { iat: now(t) });
    expect((await a.handleTokenRequest(ccRequest({ dpop: proof }))).status).toBe(200);
    expect(t.storage.replays.records.size).toBe(1);
    const replayed = await b.handleTokenRequest(ccRequest({ dpop: proof }));
    expect(replayed.status).toBe(400);
    expect((await json(replayed)).error).toBe('invalid_dpop_proof');
  });

  it('announces dpop_signing_alg_values_supported in the metadata (RFC 9449 §5.1)', async () => {
    const t = await setup();
    expect((await t.server.metadata()).dpop_signing_alg_values_supported).toEqual(['ES256', 'PS256', 'RS256', 'EdDSA']);
    const off = await setup({ dpop: false });
    expect((await off.server.metadata()).dpop_signing_alg_values_supported).toBeUndefined();
  });

  it('round-trips a server nonce: use_dpop_nonce with DPoP-Nonce, then accepted with it (RFC 9449 §8)', async () => {
    const nonces = new DpopNonces('a nonce secret of at least thirty-two bytes');
    const t = await setup({ dpop: { nonces } });
    const first = await t.server.handleTokenRequest(ccRequest({ dpop: key.proof('POST', TOKEN_URL, { iat: now(t) }) }));
    expect(first.status).toBe(400);
    expect((await json(first)).error).toBe('use_dpop_nonce');
    const nonce = first.headers.get('dpop-nonce');
    expect(nonce).toBeTruthy();
    const wrong = await t.server.handleTokenRequest(ccRequest({ dpop: key.proof('POST', TOKEN_URL, { iat: now(t), nonce: 'made-up' }) }));
    expect((await json(wrong)).error).toBe('use_dpop_nonce');
    const second = await t.server.handleTokenRequest(ccRequest({ dpop: key.proof('POST', TOKEN_URL, { iat: now(t), nonce: nonce! }) }));
    expect(second.status).toBe(200);
    expect(second.headers.get('dpop-nonce')).toBe(nonce);
    // Another instance with the same secret accepts the same nonce (stateless).
    const other = await setup({ dpop: { nonces: new DpopNonces('a nonce secret of at least thirty-two bytes') } });
    const elsewhere = await other.server.handleTokenRequest(ccRequest({ dpop: key.proof('POST', TOKEN_URL, { iat: now(t), nonce: nonce! }) }));
    expect(elsewhere.status).toBe(200);
    // Two windows later the nonce is stale.
    t.clock.advance(601);
    const stale = await t.server.handleTokenRequest(ccRequest({ dpop: key.proof('POST', TOKEN_URL, { iat: now(t), nonce: nonce! }) }));
    expect((await json(stale)).error).toBe('use_dpop_nonce');
  });
});
