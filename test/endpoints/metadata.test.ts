import { describe, expect, it } from 'vitest';
import { metadataPath } from '../../src/core/endpoints/endpoint-options.js';
import { AuthorizationCodeGrant } from '../../src/grants/authorization-code-grant.js';
import { ClientCredentialsGrant } from '../../src/grants/client-credentials-grant.js';
import { DeviceCodeGrant } from '../../src/grants/device-code-grant.js';
import { ImplicitGrant } from '../../src/grants/implicit-grant.js';
import { ISSUER, createTestServer, serverOn } from '../support/fixtures.js';
import { createEndpointServer } from './support.js';

const get = (path: string, method = 'GET') => new Request(`${ISSUER}${path}`, { method });

async function metadataOf(server: { handleMetadataRequest(r: Request): Promise<Response> }): Promise<Record<string, unknown>> {
  const res = await server.handleMetadataRequest(get('/.well-known/oauth-authorization-server'));
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/); // RFC 8414 §3.2
  return (await res.json()) as Record<string, unknown>;
}

describe('authorization server metadata (RFC 8414)', () => {
  it('describes a server with only the refresh token grant: no authorization endpoint, empty response types', async () => {
    const t = await createEndpointServer();
    expect(await metadataOf(t.server)).toEqual({
      issuer: ISSUER,
      token_endpoint: `${ISSUER}/token`,
      jwks_uri: `${ISSUER}/.well-known/jwks.json`,
      scopes_supported: ['admin', 'read', 'write'],
      response_types_supported: [],
      grant_types_supported: ['refresh_token'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
      revocation_endpoint: `${ISSUER}/revoke`,
      revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
      introspection_endpoint: `${ISSUER}/introspect`,
      introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      dpop_signing_alg_values_supported: ['ES256', 'PS256', 'RS256', 'EdDSA'],
    });
  });

  it('announces what the enabled grants support: response types and modes, PKCE methods, device endpoint, iss (RFC 9207)', async () => {
    const t = await createTestServer();
    const server = serverOn(t.storage, t.clock);
    server
      .enableGrantType(new AuthorizationCodeGrant(t.storage.authCodes))
      .enableGrantType(new ImplicitGrant())
      .enableGrantType(new ClientCredentialsGrant())
      .enableGrantType(new DeviceCodeGrant(t.storage.deviceCodes));
    const m = await metadataOf(server);
    expect(m).toMatchObject({
      authorization_endpoint: `${ISSUER}/authorize`,
      response_types_supported: ['code', 'token'],
      response_modes_supported: ['query', 'fragment'],
      grant_types_supported: ['authorization_code', 'implicit', 'client_credentials', 'urn:ietf:params:oauth:grant-type:device_code'],
      code_challenge_methods_supported: ['S256'],
      device_authorization_endpoint: `${ISSUER}/device_authorization`,
      authorization_response_iss_parameter_supported: true,
    });
  });

  it('announces plain PKCE only when the code grant allows it (RFC 7636 §4.2)', async () => {
    const t = await createTestServer();
    const server = serverOn(t.storage, t.clock).enableGrantType(new AuthorizationCodeGrant(t.storage.authCodes, { allowPlainPkce: true }));
    expect((await metadataOf(server)).code_challenge_methods_supported).toEqual(['S256', 'plain']);
  });

  it('leaves out "none" when every enabled grant needs a confidential client', async () => {
    const t = await createTestServer();
    const server = serverOn(t.storage, t.clock).enableGrantType(new ClientCredentialsGrant());
    expect((await metadataOf(server)).token_endpoint_auth_methods_supported).toEqual(['client_secret_basic', 'client_secret_post']);
  });

  it('derives endpoints from an issuer with a path, served at the RFC 8414 §3 path-suffixed well-known URI', async () => {
    const t = await createTestServer();
    const server = serverOn(t.storage, t.clock, { issuer: 'https://auth.example.test/tenant-1' });
    const m = await server.metadata();
    expect(m.issuer).toBe('https://auth.example.test/tenant-1');
    expect(m.token_endpoint).toBe('https://auth.example.test/tenant-1/token');
    expect(metadataPath('https://auth.example.test/tenant-1')).toBe('/.well-known/oauth-authorization-server/tenant-1');
    expect(metadataPath(ISSUER)).toBe('/.well-known/oauth-authorization-server');
  });

  it('uses configured endpoint paths and URLs, configured scopes, and extra members', async () => {
    const t = await createTestServer();
    const server = serverOn(t.storage, t.clock, {
      endpoints: { token: '/oauth/token', jwks: 'https://keys.example.test/jwks.json' },
      scopesSupported: ['read'],
      metadata: { service_documentation: 'https://docs.example.test' },
    });
    const m = await server.metadata();
    expect(m).toMatchObject({
      token_endpoint: `${ISSUER}/oauth/token`,
      jwks_uri: 'https://keys.example.test/jwks.json',
      scopes_supported: ['read'],
      service_documentation: 'https://docs.example.test',
    });
  });

  it('is cacheable, answers HEAD without a body, and refuses POST with 405', async () => {
    const t = await createEndpointServer({ publicCacheMaxAge: 60 });
    const res = await t.server.handleMetadataRequest(get('/.well-known/oauth-authorization-server'));
    expect(res.headers.get('cache-control')).toBe('public, max-age=60');
    const head = await t.server.handleMetadataRequest(get('/.well-known/oauth-authorization-server', 'HEAD'));
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    const post = await t.server.handleMetadataRequest(get('/.well-known/oauth-authorization-server', 'POST'));
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });
});

describe('JWKS endpoint (RFC 7517)', () => {
  it('publishes public keys only, each with a kid, alg and use, as a JWK set', async () => {
    const t = await createEndpointServer();
    const res = await t.server.handleJwksRequest(get('/.well-known/jwks.json'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/jwk-set+json');
    expect(res.headers.get('cache-control')).toBe('public, max-age=300');
    const { keys } = (await res.json()) as { keys: Record<string, unknown>[] };
    expect(keys).toHaveLength(1);
    expect(keys[0]).toEqual({ kty: 'RSA', n: expect.any(String), e: 'AQAB', kid: expect.any(String), alg: 'RS256', use: 'sig' });
    for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(keys[0]).not.toHaveProperty(member);
    expect(await t.server.jwks()).toEqual({ keys });
  });

  it('refuses POST with 405', async () => {
    const t = await createEndpointServer();
    expect((await t.server.handleJwksRequest(get('/.well-known/jwks.json', 'POST'))).status).toBe(405);
  });
});
