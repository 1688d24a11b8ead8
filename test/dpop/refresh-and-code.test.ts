import { describe, expect, it } from 'vitest';
import { decodeJwt } from '../../src/tokens/jwt.js';
import { CLIENT_SECRET, ISSUER, basic, tokenRequest, type TestServer } from '../support/fixtures.js';
import { VERIFIER, authorize, codeParams, createCodeServer, obtainCode } from '../grants/helpers.js';
import { DpopKey } from './support/dpop-key.js';

const TOKEN_URL = `${ISSUER}/token`;
const now = (t: TestServer): number => Math.floor(t.clock.now() / 1000);
const SPA = { client_id: 'spa', redirect_uri: 'http://127.0.0.1/cb' };

async function json(res: Response): Promise<Record<string, string>> {
  return (await res.json()) as Record<string, string>;
}

/** The public client `spa` redeems a code, with a proof of `key` when given. */
async function spaTokens(t: TestServer, key?: DpopKey): Promise<Record<string, string>> {
  const code = await obtainCode(t, SPA);
  const headers = key ? { dpop: key.proof('POST', TOKEN_URL, { iat: now(t) }) } : {};
  const res = await t.server.handleTokenRequest(tokenRequest({ grant_type: 'authorization_code', code, code_verifier: VERIFIER, ...SPA }, headers));
  expect(res.status).toBe(200);
  return json(res);
}

function refresh(t: TestServer, refreshToken: string, clientId: string, key?: DpopKey): Request {
  const headers: Record<string, string> = key ? { dpop: key.proof('POST', TOKEN_URL, { iat: now(t) }) } : {};
  if (clientId === 'app') headers.authorization = basic('app', CLIENT_SECRET);
  const params: Record<string, string> = { grant_type: 'refresh_token', refresh_token: refreshToken };
  if (clientId !== 'app') params.client_id = clientId;
  return tokenRequest(params, headers);
}

describe('DPoP-bound refresh tokens (RFC 9449 §5)', () => {
  const key = new DpopKey('ES256');

  it('binds a public client\'s refresh token to the key and refreshes only with a proof of it', async () => {
    const t = await createCodeServer();
    const first = await spaTokens(t, key);
    expect(first.token_type).toBe('DPoP');

    const withoutProof = await t.server.handleTokenRequest(refresh(t, first.refresh_token!, 'spa'));
    expect(withoutProof.status).toBe(400);
    expect((await json(withoutProof)).error).toBe('invalid_dpop_proof');

    const otherKey = await t.server.handleTokenRequest(refresh(t, first.refresh_token!, 'spa', new DpopKey()));
    expect(otherKey.status).toBe(400);
    expect((await json(otherKey)).error).toBe('invalid_grant');

    // Neither refusal spent the token: the rightful client still refreshes, and its new refresh token stays bound.
    const ok = await t.server.handleTokenRequest(refresh(t, first.refresh_token!, 'spa', key));
    expect(ok.status).toBe(200);
    const next = await json(ok);
    expect(next.token_type).toBe('DPoP');
    expect(decodeJwt(next.access_token!)!.payload.cnf).toEqual({ jkt: key.jkt });
    const stolen = await t.server.handleTokenRequest(refresh(t, next.refresh_token!, 'spa'));
    expect((await json(stolen)).error).toBe('invalid_dpop_proof');
  });

  it('reports the binding at introspection: cnf.jkt and token_type DPoP (RFC 9449 §6.2)', async () => {
    const t = await createCodeServer();
    const app = await t.server.handleTokenRequest(tokenRequest({ grant_type: 'authorization_code', code: await obtainCode(t), code_verifier: VERIFIER, redirect_uri: 'https://app.example.test/callback' }, { authorization: basic('app', CLIENT_SECRET), dpop: key.proof('POST', TOKEN_URL, { iat: now(t) }) }));
    const body = await json(app);
    const introspected = (await (await t.server.handleIntrospectionRequest(
      tokenRequest({ token: body.access_token! }, { authorization: basic('app', CLIENT_SECRET) }, `${ISSUER}/introspect`),
    )).json()) as Record<string, unknown>;
    expect(introspected).toMatchObject({ active: true, token_type: 'DPoP', cnf: { jkt: key.jkt } });
  });

  it('does not bind a confidential client\'s refresh token; its new access token is bound to the presented proof', async () => {
    const t = await createCodeServer();
    const code = await obtainCode(t);
    const res = await t.server.handleTokenRequest(tokenRequest(
      { grant_type: 'authorization_code', code, code_verifier: VERIFIER, redirect_uri: 'https://app.example.test/callback' },
      { authorization: basic('app', CLIENT_SECRET), dpop: key.proof('POST', TOKEN_URL, { iat: now(t) }) },
    ));
    const first = await json(res);
    expect(first.token_type).toBe('DPoP');
    const another = new DpopKey('EdDSA');
    const next = await json(await t.server.handleTokenRequest(refresh(t, first.refresh_token!, 'app', another)));
    expect(next.token_type).toBe('DPoP');
    expect(decodeJwt(next.access_token!)!.payload.cnf).toEqual({ jkt: another.jkt });
    const bearer = await json(await t.server.handleTokenRequest(refresh(t, next.refresh_token!, 'app')));
    expect(bearer.token_type).toBe('Bearer');
  });
});

describe('dpop_jkt at the authorization endpoint (RFC 9449 §10)', () => {
  const key = new DpopKey('ES256');

  it('binds the code to the thumbprint: redeemed only with a proof of that key', async () => {
    const t = await createCodeServer();
    const code = await obtainCode(t, { ...SPA, dpop_jkt: key.jkt });
    const params = { grant_type: 'authorization_code', code, code_verifier: VERIFIER, ...SPA };
    const missing = await t.server.handleTokenRequest(tokenRequest(params));
    expect((await json(missing)).error).toBe('invalid_dpop_proof');
    const other = await t.server.handleTokenRequest(tokenRequest(params, { dpop: new DpopKey().proof('POST', TOKEN_URL, { iat: now(t) }) }));
    expect((await json(other)).error).toBe('invalid_grant');
    const ok = await t.server.handleTokenRequest(tokenRequest(params, { dpop: key.proof('POST', TOKEN_URL, { iat: now(t) }) }));
    expect(ok.status).toBe(200);
    expect((await json(ok)).token_type).toBe('DPoP');
  });

  it('redirects a malformed dpop_jkt back with invalid_request', async () => {
    const t = await createCodeServer();
    const error = await t.server.validateAuthorizationRequest(new Request(`${ISSUER}/authorize?${new URLSearchParams(codeParams({ dpop_jkt: 'not a thumbprint' }))}`)).then(() => undefined, (e: unknown) => e);
    const res = await t.server.errorResponse(error);
    expect(new URL(res.headers.get('location')!).searchParams.get('error')).toBe('invalid_request');
  });

  it('keeps the thumbprint through the stored authorization request', async () => {
    const t = await createCodeServer();
    const location = await authorize(t, codeParams({ dpop_jkt: key.jkt }));
    expect(location.searchParams.get('code')).toBeTruthy();
    expect([...t.storage.authCodes.records.values()][0]!.dpopJkt).toBe(key.jkt);
  });
});
