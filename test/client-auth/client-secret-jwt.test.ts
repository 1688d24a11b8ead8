import { describe, expect, it } from 'vitest';
import { ClientCredentialsGrant } from '../../src/grants/client-credentials-grant.js';
import { createMemoryStorage } from '../../src/storage/memory/index.js';
import type { Client } from '../../src/contracts/types.js';
import { serverOn, testClock, tokenRequest } from '../support/fixtures.js';
import { assertion, assertionParams, clientKey, TestReplays } from './support.js';

const SECRET = 'a-shared-secret-of-at-least-32-characters-for-hmac';

async function setup() {
  const clock = testClock();
  const hmacClient: Client = {
    id: 'hmac', name: 'HMAC client', redirectUris: [], grantTypes: ['client_credentials'], scopes: [],
    tokenEndpointAuthMethod: 'client_secret_jwt', secretForJwt: SECRET,
  };
  const storage = createMemoryStorage({ clients: [hmacClient] }, { clock });
  const server = serverOn(storage, clock, { replays: new TestReplays(clock) });
  server.enableGrantType(new ClientCredentialsGrant());
  const token = async (params: Record<string, string>) => {
    const res = await server.handleTokenRequest(tokenRequest({ grant_type: 'client_credentials', ...params }));
    return { res, body: (await res.json()) as { error?: string; access_token?: string } };
  };
  return { clock, storage, server, token };
}

describe('client_secret_jwt (OpenID Connect Core §9)', () => {
  it.each(['HS256', 'HS384', 'HS512'] as const)('issues a token for an assertion MACed with the client secret (%s)', async (alg) => {
    const t = await setup();
    const { res, body } = await t.token(assertionParams(await assertion({ secret: SECRET, alg }, 'hmac', t.clock.now())));
    expect(res.status).toBe(200);
    expect(body.access_token).toBeTypeOf('string');
  });

  it('refuses an assertion MACed with another secret, and a replayed one, with invalid_client', async () => {
    const t = await setup();
    const bad = await t.token(assertionParams(await assertion({ secret: `${SECRET}-wrong` }, 'hmac', t.clock.now())));
    expect(bad.res.status).toBe(401);
    expect(bad.body.error).toBe('invalid_client');
    const jwt = await assertion({ secret: SECRET }, 'hmac', t.clock.now());
    expect((await t.token(assertionParams(jwt))).res.status).toBe(200);
    expect((await t.token(assertionParams(jwt))).res.status).toBe(401);
  });

  it('refuses an asymmetric assertion from a client registered for client_secret_jwt (RFC 7591 §2)', async () => {
    const t = await setup();
    const key = await clientKey('k1');
    expect((await t.token(assertionParams(await assertion(key, 'hmac', t.clock.now())))).res.status).toBe(401);
  });

  it('refuses a malformed assertion and an unknown assertion type with the right codes', async () => {
    const t = await setup();
    expect((await t.token({ client_id: 'hmac', ...assertionParams('not-a-jwt') })).body.error).toBe('invalid_client');
    const wrongType = await t.token({ client_assertion_type: 'urn:example:saml', client_assertion: 'x' });
    expect(wrongType.res.status).toBe(400);
    expect(wrongType.body.error).toBe('invalid_request');
  });
});
