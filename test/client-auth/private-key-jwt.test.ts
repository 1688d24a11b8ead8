import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ClientCredentialsGrant } from '../../src/grants/client-credentials-grant.js';
import { DeviceCodeGrant } from '../../src/grants/device-code-grant.js';
import { createMemoryStorage } from '../../src/storage/memory/index.js';
import type { Client } from '../../src/contracts/types.js';
import type { AuthorizationServerOptions } from '../../src/core/authorization-server.js';
import { basic, CLIENT_SECRET, confidentialClient, ISSUER, serverOn, testClock, tokenRequest } from '../support/fixtures.js';
import { assertion, assertionParams, clientKey, TestReplays, type ClientKey } from './support.js';

const CC = { grant_type: 'client_credentials' };

async function setup(clients: Client[], options: Partial<AuthorizationServerOptions> = {}, withReplays = true) {
  const clock = testClock();
  const storage = createMemoryStorage({ clients: [...clients, await confidentialClient()], scopes: ['read'] }, { clock });
  const replays = new TestReplays(clock);
  const server = serverOn(storage, clock, { ...(withReplays ? { replays } : {}), ...options });
  server.enableGrantType(new ClientCredentialsGrant());
  const token = async (params: Record<string, string>, headers: Record<string, string> = {}) => {
    const res = await server.handleTokenRequest(tokenRequest({ ...CC, ...params }, headers));
    return { res, body: (await res.json()) as { error?: string; access_token?: string } };
  };
  return { clock, storage, server, replays, token };
}

const bankClient = (key: ClientKey, over: Partial<Client> = {}): Client => ({
  id: 'bank',
  name: 'Bank',
  redirectUris: [],
  grantTypes: ['client_credentials'],
  scopes: [],
  tokenEndpointAuthMethod: 'private_key_jwt',
  jwks: { keys: [key.publicJwk] },
  ...over,
});

describe('private_key_jwt (RFC 7523 §2.2, OpenID Connect Core §9)', () => {
  it('issues a token to a client that signs its assertion with a registered key', async () => {
    const key = await clientKey('k1');
    const t = await setup([bankClient(key)]);
    const { res, body } = await t.token(assertionParams(await assertion(key, 'bank', t.clock.now())));
    expect(res.status).toBe(200);
    expect(body.access_token).toBeTypeOf('string');
  });

  it('accepts client_id in the body when it names the same client (RFC 7521 §4.2)', async () => {
    const key = await clientKey('k1');
    const t = await setup([bankClient(key)]);
    const { res } = await t.token({ client_id: 'bank', ...assertionParams(await assertion(key, 'bank', t.clock.now())) });
    expect(res.status).toBe(200);
    const other = await t.token({ client_id: 'app', ...assertionParams(await assertion(key, 'bank', t.clock.now())) });
    expect(other.res.status).toBe(400);
    expect(other.body.error).toBe('invalid_request');
  });

  it('refuses an assertion sent with HTTP Basic as well: one method per request (RFC 6749 §2.3)', async () => {
    const key = await clientKey('k1');
    const t = await setup([bankClient(key)]);
    const { res, body } = await t.token(assertionParams(await assertion(key, 'bank', t.clock.now())), { authorization: basic('app', CLIENT_SECRET) });
    expect(res.status).toBe(400);
    expect(body.error).toBe('invalid_request');
  });

  it('refuses a replayed assertion: its jti is single use (RFC 7523 §3 item 7)', async () => {
    const key = await clientKey('k1');
    const t = await setup([bankClient(key)]);
    const jwt = await assertion(key, 'bank', t.clock.now());
    expect((await t.token(assertionParams(jwt))).res.status).toBe(200);
    const again = await t.token(assertionParams(jwt));
    expect(again.res.status).toBe(401);
    expect(again.body.error).toBe('invalid_client');
  });

  it.each([
    ['the token endpoint URL (allowed only by option)', `${ISSUER}/token`],
    ['another server', 'https://evil.example'],
    ['an array with the issuer and another audience', [ISSUER, 'https://evil.example']],
  ])('refuses an assertion whose audience is %s (draft-ietf-oauth-rfc7523bis)', async (_, aud) => {
    const key = await clientKey('k1');
    const t = await setup([bankClient(key)]);
    const { res, body } = await t.token(assertionParams(await assertion(key, 'bank', t.clock.now(), { aud })));
    expect(res.status).toBe(401);
    expect(body.error).toBe('invalid_client');
  });

  it('accepts the issuer as a one-element array, and the token endpoint URL when acceptTokenEndpointAudience is set', async () => {
    const key = await clientKey('k1');
    const t = await setup([bankClient(key)], { clientAssertions: { acceptTokenEndpointAudience: true } });
    expect((await t.token(assertionParams(await assertion(key, 'bank', t.clock.now(), { aud: [ISSUER] })))).res.status).toBe(200);
    expect((await t.token(assertionParams(await assertion(key, 'bank', t.clock.now(), { aud: `${ISSUER}/token` })))).res.status).toBe(200);
  });

  it('refuses an expired assertion, one that lives too long, and one without jti (RFC 7523 §3)', async () => {
    const key = await clientKey('k1');
    const t = await setup([bankClient(key)]);
    const now = Math.floor(t.clock.now() / 1000);
    for (const claims of [{ exp: now - 120, iat: now - 180 }, { exp: now + 3600 }, { jti: '' }, { iss: 'app' }, { nbf: now + 600, exp: now + 200 }]) {
      const { res, body } = await t.token(assertionParams(await assertion(key, 'bank', t.clock.now(), claims)));
      expect(res.status, JSON.stringify(claims)).toBe(401);
      expect(body.error).toBe('invalid_client');
    }
    // An assertion that was valid is refused once the clock passes its exp (plus the skew).
    const jwt = await assertion(key, 'bank', t.clock.now());
    t.clock.advance(60 + 61);
    expect((await t.token(assertionParams(jwt))).res.status).toBe(401);
  });

  it('refuses an assertion signed by a key the client did not register', async () => {
    const key = await clientKey('k1');
    const stranger = await clientKey('k1');
    const t = await setup([bankClient(key)]);
    expect((await t.token(assertionParams(await assertion(stranger, 'bank', t.clock.now())))).res.status).toBe(401);
  });

  it('refuses a client secret from a client registered for private_key_jwt, and an assertion from a secret client (RFC 7591 §2)', async () => {
    const key = await clientKey('k1');
    const t = await setup([bankClient(key, { id: 'app-jwt' })]);
    const secret = await t.token({}, { authorization: basic('app-jwt', CLIENT_SECRET) });
    expect(secret.res.status).toBe(401);
    const none = await t.token({ client_id: 'app-jwt' });
    expect(none.res.status).toBe(401);
    const fromSecretClient = await t.token(assertionParams(await assertion(key, 'app', t.clock.now())));
    expect(fromSecretClient.res.status).toBe(401);
  });

  it('refuses JWT client authentication when the server has no replay store', async () => {
    const key = await clientKey('k1');
    const t = await setup([bankClient(key)], {}, false);
    expect((await t.token(assertionParams(await assertion(key, 'bank', t.clock.now())))).res.status).toBe(401);
    const metadata = await t.server.metadata();
    expect(metadata.token_endpoint_auth_methods_supported).not.toContain('private_key_jwt');
  });

  it('announces the methods and algorithms in the metadata (RFC 8414 §2)', async () => {
    const key = await clientKey('k1');
    const t = await setup([bankClient(key)]);
    const metadata = await t.server.metadata();
    for (const endpoint of ['token', 'revocation', 'introspection']) {
      expect(metadata[`${endpoint}_endpoint_auth_methods_supported`]).toEqual(expect.arrayContaining(['private_key_jwt', 'client_secret_jwt']));
      expect(metadata[`${endpoint}_endpoint_auth_signing_alg_values_supported`]).toEqual(expect.arrayContaining(['ES256', 'RS256', 'HS256']));
    }
  });

  it('authenticates at the revocation and introspection endpoints too', async () => {
    const key = await clientKey('k1');
    const t = await setup([bankClient(key, { permissions: ['introspect'] })]);
    const form = (params: Record<string, string>) => ({ method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(params).toString() });
    const issued = await t.token(assertionParams(await assertion(key, 'bank', t.clock.now())));
    const introspect = await t.server.handleIntrospectionRequest(
      new Request(`${ISSUER}/introspect`, form({ token: issued.body.access_token!, ...assertionParams(await assertion(key, 'bank', t.clock.now())) })),
    );
    expect(introspect.status).toBe(200);
    expect(((await introspect.json()) as { active: boolean }).active).toBe(true);
    const revoke = await t.server.handleRevocationRequest(
      new Request(`${ISSUER}/revoke`, form({ token: issued.body.access_token!, ...assertionParams(await assertion(key, 'bank', t.clock.now())) })),
    );
    expect(revoke.status).toBe(200);
    const replayed = await t.server.handleRevocationRequest(new Request(`${ISSUER}/revoke`, form({ token: 'x', ...assertionParams('a.b.c') })));
    expect(replayed.status).toBe(401);
  });
});

describe('private_key_jwt at the device authorization endpoint (RFC 8628 §3.1)', () => {
  it('authenticates the client by its assertion, and refuses a replayed one', async () => {
    const key = await clientKey('k1');
    const t = await setup([bankClient(key, { grantTypes: ['urn:ietf:params:oauth:grant-type:device_code'] })]);
    t.server.enableGrantType(new DeviceCodeGrant(t.storage.deviceCodes, { verificationUri: `${ISSUER}/device` }));
    const jwt = await assertion(key, 'bank', t.clock.now());
    const start = () => t.server.handleDeviceAuthorizationRequest(new Request(`${ISSUER}/device_authorization`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(assertionParams(jwt)).toString(),
    }));
    const first = await start();
    expect(first.status).toBe(200);
    expect(((await first.json()) as { device_code?: string }).device_code).toBeTypeOf('string');
    expect((await start()).status).toBe(401);
  });
});

describe('private_key_jwt with a jwks_uri', () => {
  let http: Server | undefined;
  afterEach(() => new Promise<void>((resolve) => (http ? http.close(() => resolve()) : resolve())));

  /** Serves a JWK set that the test can replace, counting fetches. */
  async function jwksServer(initial: object) {
    const state = { jwks: initial, fetches: 0 };
    http = createServer((_, res) => {
      state.fetches++;
      res.writeHead(200, { 'content-type': 'application/jwk-set+json', 'cache-control': 'max-age=3600' });
      res.end(JSON.stringify(state.jwks));
    });
    await new Promise<void>((resolve) => http!.listen(0, '127.0.0.1', resolve));
    return { state, url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/jwks.json` };
  }

  it('picks up a key rotated at the client\'s jwks_uri: an unknown kid refetches, at most once per cooldown', async () => {
    const oldKey = await clientKey('2026-01');
    const newKey = await clientKey('2026-02');
    const served = await jwksServer({ keys: [oldKey.publicJwk] });
    // The test's JWK set server is plain http on loopback, which the default (SSRF-safe) fetch refuses: the runtime's.
    const plainFetch = (url: string, init: RequestInit) => fetch(url, init);
    const t = await setup([bankClient(oldKey, { jwks: undefined, jwksUri: served.url })], { clientAssertions: { jwksRefetchCooldown: 30, fetch: plainFetch } });
    expect((await t.token(assertionParams(await assertion(oldKey, 'bank', t.clock.now())))).res.status).toBe(200);
    expect(served.state.fetches).toBe(1);
    expect((await t.token(assertionParams(await assertion(oldKey, 'bank', t.clock.now())))).res.status).toBe(200);
    expect(served.state.fetches).toBe(1); // cached

    // The client rotates: the new key is published, the old one withdrawn.
    served.state.jwks = { keys: [newKey.publicJwk] };
    t.clock.advance(31);
    expect((await t.token(assertionParams(await assertion(newKey, 'bank', t.clock.now())))).res.status).toBe(200);
    expect(served.state.fetches).toBe(2);

    // A stream of unknown kids within the cooldown does not become a stream of fetches.
    const forged = await clientKey('forged');
    for (let i = 0; i < 3; i++) expect((await t.token(assertionParams(await assertion(forged, 'bank', t.clock.now())))).res.status).toBe(401);
    expect(served.state.fetches).toBe(2);
  });

  it('fetches a jwks_uri SSRF-safe by default: a loopback http server is never asked, and the client is refused', async () => {
    const key = await clientKey('k1');
    const served = await jwksServer({ keys: [key.publicJwk] });
    const t = await setup([bankClient(key, { jwks: undefined, jwksUri: served.url })]);
    const { res, body } = await t.token(assertionParams(await assertion(key, 'bank', t.clock.now())));
    expect(res.status).toBe(401);
    expect(body.error).toBe('invalid_client');
    expect(served.state.fetches).toBe(0);
  });

  it('uses the injected fetch for jwks_uri (where an SSRF-safe fetch is plugged in)', async () => {
    const key = await clientKey('k1');
    const urls: string[] = [];
    const fetch = async (url: string) => {
      urls.push(url);
      return Response.json({ keys: [key.publicJwk] });
    };
    const t = await setup([bankClient(key, { jwks: undefined, jwksUri: 'https://bank.example/jwks.json' })], { clientAssertions: { fetch } });
    expect((await t.token(assertionParams(await assertion(key, 'bank', t.clock.now())))).res.status).toBe(200);
    expect(urls).toEqual(['https://bank.example/jwks.json']);
  });

  it('answers invalid_client, not a 5xx, when the jwks_uri cannot be fetched', async () => {
    const key = await clientKey('k1');
    const fetch = async () => new Response('down', { status: 503 });
    const t = await setup([bankClient(key, { jwks: undefined, jwksUri: 'https://bank.example/jwks.json' })], { clientAssertions: { fetch } });
    const { res, body } = await t.token(assertionParams(await assertion(key, 'bank', t.clock.now())));
    expect(res.status).toBe(401);
    expect(body.error).toBe('invalid_client');
  });
});
