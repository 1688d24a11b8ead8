import { describe, expect, it } from 'vitest';
import { ClientCredentialsGrant } from '../../src/grants/client-credentials-grant.js';
import { AuthorizationCodeGrant } from '../../src/grants/authorization-code-grant.js';
import { DEFAULT_REGISTRATION_AUTH_METHODS } from '../../src/core/endpoints/registration-options.js';
import { ISSUER, createTestServer, serverOn, tokenRequest } from '../support/fixtures.js';
import { assertion, assertionParams, clientKey } from './support.js';

/** Open registration that offers private_key_jwt (RFC 7591 §2), with JWT client authentication on (storage.replays). */
async function setup() {
  const { storage, clock } = await createTestServer();
  const server = serverOn(storage, clock, {
    replays: storage.replays,
    registration: { mode: 'open', clients: storage.registrations, tokenEndpointAuthMethods: [...DEFAULT_REGISTRATION_AUTH_METHODS, 'private_key_jwt'] },
  });
  server.enableGrantType(new AuthorizationCodeGrant(storage.authCodes), 'PT1H');
  server.enableGrantType(new ClientCredentialsGrant(), 'PT1H');
  const register = async (body: Record<string, unknown>) => {
    const res = await server.handleRegistrationRequest(
      new Request(`${ISSUER}/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    );
    return { res, json: (await res.json()) as Record<string, unknown> };
  };
  return { server, storage, clock, register };
}

const CODE_CLIENT = { redirect_uris: ['https://tool.example/cb'], grant_types: ['authorization_code'], token_endpoint_auth_method: 'private_key_jwt' };

describe('a client that registers itself for private_key_jwt (RFC 7591 §2, RFC 7523 §2.2)', () => {
  it('is stored with its keys and method, gets no secret, and authenticates only with an assertion of those keys', async () => {
    const t = await setup();
    const key = await clientKey('tool-1');
    const { res, json } = await t.register({ ...CODE_CLIENT, jwks: { keys: [key.publicJwk] } });
    expect(res.status).toBe(201);
    expect(json.client_secret).toBeUndefined();
    const clientId = json.client_id as string;
    const stored = await t.storage.clients.getClient(clientId);
    expect(stored).toMatchObject({ tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [key.publicJwk] } });
    expect(stored?.secretHash).toBeUndefined();

    // The revocation endpoint authenticates the client before anything else (RFC 7009 §2.1).
    const revoke = (params: Record<string, string>) =>
      t.server.handleRevocationRequest(tokenRequest({ token: 'unknown', ...params }, {}, `${ISSUER}/revoke`));
    // client_id alone (as a public client would) is refused: the client is registered for private_key_jwt.
    expect((await revoke({ client_id: clientId })).status).toBe(401);
    // An assertion signed by another key under the same kid is refused; one of the registered key is accepted.
    const other = await clientKey('tool-1');
    expect((await revoke(assertionParams(await assertion(other, clientId, t.clock.now())))).status).toBe(401);
    expect((await revoke(assertionParams(await assertion(key, clientId, t.clock.now())))).status).toBe(200);
  });

  it.each([
    ['a JWK set holding a private key', { jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y', d: 'secret' }] } }],
    ['a key without kty', { jwks: { keys: [{ crv: 'P-256' }] } }],
    ['an http jwks_uri', { jwks_uri: 'http://tool.example/jwks.json' }],
  ])('refuses %s with invalid_client_metadata, storing nothing', async (_, over) => {
    const t = await setup();
    const { res, json } = await t.register({ ...CODE_CLIENT, ...over });
    expect(res.status).toBe(400);
    expect(json.error).toBe('invalid_client_metadata');
    expect(t.storage.registrations.records.size).toBe(0);
  });
});
