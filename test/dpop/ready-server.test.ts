import { describe, expect, it } from 'vitest';
import { clientsCommand } from '../../src/cli/clients-command.js';
import { loadConfig } from '../../src/server/config.js';
import { ISSUER, createTestApp, type TestApp } from '../server/support.js';
import { DpopKey } from './support/dpop-key.js';

const TOKEN_URL = `${ISSUER}/token`;
const basic = (t: TestApp): string => `Basic ${Buffer.from(`${t.clientId}:${t.clientSecret}`).toString('base64')}`;
const now = (t: TestApp): number => Math.floor(t.clock.now() / 1000);

function token(t: TestApp, headers: Record<string, string> = {}): Promise<Response> {
  return t.send('/token', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(t), ...headers },
    body: 'grant_type=client_credentials&scope=read',
  });
}

describe('DPoP in the ready server', () => {
  const key = new DpopKey('ES256');

  it('reads --require-dpop, --dpop-nonce and --dpop-proof-max-age (and their GRANTRY_ variables)', () => {
    expect(loadConfig({}, {})).toMatchObject({ requireDpop: false, dpopNonce: false, dpopProofMaxAge: 60 });
    expect(loadConfig({ 'require-dpop': true, 'dpop-nonce': true, 'dpop-proof-max-age': 'PT2M' }, {})).toMatchObject({ requireDpop: true, dpopNonce: true, dpopProofMaxAge: 120 });
    expect(loadConfig({}, { GRANTRY_REQUIRE_DPOP: 'true' }).requireDpop).toBe(true);
  });

  it('binds tokens and refuses a replayed proof through the storage\'s replays (SQLite, migration 8)', async () => {
    const t = await createTestApp();
    const proof = key.proof('POST', TOKEN_URL, { iat: now(t) });
    const first = await token(t, { dpop: proof });
    expect(first.status).toBe(200);
    expect(((await first.json()) as { token_type: string }).token_type).toBe('DPoP');
    const replayed = await token(t, { dpop: proof });
    expect(replayed.status).toBe(400);
    expect(((await replayed.json()) as { error: string }).error).toBe('invalid_dpop_proof');
    const metadata = (await (await t.send('/.well-known/oauth-authorization-server')).json()) as Record<string, unknown>;
    expect(metadata.dpop_signing_alg_values_supported).toEqual(['ES256', 'PS256', 'RS256', 'EdDSA']);
  });

  it('refuses requests without a proof with --require-dpop', async () => {
    const t = await createTestApp({ 'require-dpop': true });
    const res = await token(t);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toBe('invalid_dpop_proof');
    expect((await token(t, { dpop: key.proof('POST', TOKEN_URL, { iat: now(t) }) })).status).toBe(200);
  });

  it('asks for its nonce with --dpop-nonce, and accepts it', async () => {
    const t = await createTestApp({ 'dpop-nonce': true });
    const first = await token(t, { dpop: key.proof('POST', TOKEN_URL, { iat: now(t) }) });
    expect(((await first.json()) as { error: string }).error).toBe('use_dpop_nonce');
    const nonce = first.headers.get('dpop-nonce')!;
    expect((await token(t, { dpop: key.proof('POST', TOKEN_URL, { iat: now(t), nonce }) })).status).toBe(200);
  });

  it('registers a client that must use DPoP with `clients update --dpop-bound` (dpop_bound_access_tokens)', async () => {
    const t = await createTestApp();
    const out = await clientsCommand(t.store, 'update', t.clientId, { 'dpop-bound': true });
    expect(out.json).toMatchObject({ dpop_bound_access_tokens: true });
    expect((await t.store.storage.clients.getClient(t.clientId))?.dpopBoundAccessTokens).toBe(true);
    expect(((await (await token(t)).json()) as { error: string }).error).toBe('invalid_dpop_proof');
    await clientsCommand(t.store, 'update', t.clientId, { 'no-dpop-bound': true });
    expect((await token(t)).status).toBe(200);
  });
});
