import { describe, expect, it } from 'vitest';
import { OAuthError } from '../../src/contracts/oauth-error.js';
import {
  protectedResourceMetadata,
  protectedResourceMetadataUrl,
  respondToProtectedResourceMetadataRequest,
} from '../../src/core/protected-resource-metadata.js';
import { ResourceServer } from '../../src/core/resource-server.js';
import { signJwt } from '../../src/tokens/jwt.js';
import { createTestServer, ISSUER, type TestServer } from '../support/fixtures.js';

const RESOURCE = 'https://api.example.test/mcp';

async function signed(t: TestServer, aud: unknown): Promise<string> {
  const now = Math.floor(t.clock.now() / 1000);
  const claims = { iss: ISSUER, sub: 'user-1', aud, client_id: 'app', scope: 'read', iat: now, exp: now + 600, jti: crypto.randomUUID() };
  return signJwt((await t.server.context()).signingKeys.active, claims, 'at+jwt');
}

const bearer = (token: string) => new Request('https://api.example.test/mcp', { headers: { authorization: `Bearer ${token}` } });

async function refusal(promise: Promise<unknown>): Promise<Response> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(OAuthError);
  return (error as OAuthError).toResponse();
}

describe('protected resource metadata URL (RFC 9728 §3.1)', () => {
  it.each([
    ['https://api.example.test/mcp', 'https://api.example.test/.well-known/oauth-protected-resource/mcp'],
    ['https://api.example.test', 'https://api.example.test/.well-known/oauth-protected-resource'],
    ['https://api.example.test/', 'https://api.example.test/.well-known/oauth-protected-resource'],
    ['https://api.example.test:8443/a/b?tenant=1', 'https://api.example.test:8443/.well-known/oauth-protected-resource/a/b?tenant=1'],
  ])('inserts the well-known path between the host and the path of %s', (resource, url) => {
    expect(protectedResourceMetadataUrl(resource)).toBe(url);
  });

  it('refuses a resource identifier that is not an http(s) URL', () => {
    expect(() => protectedResourceMetadataUrl('urn:example:api')).toThrow(TypeError);
  });
});

describe('protectedResourceMetadata (RFC 9728 §2)', () => {
  it('builds the document with the resource, its authorization servers and the header bearer method', () => {
    expect(protectedResourceMetadata(RESOURCE, { authorizationServers: [ISSUER], scopesSupported: ['tools'], resourceName: 'MCP', extra: { resource: 'ignored', x: 1 } })).toEqual({
      resource: RESOURCE,
      authorization_servers: [ISSUER],
      scopes_supported: ['tools'],
      bearer_methods_supported: ['header'],
      resource_name: 'MCP',
      x: 1,
    });
  });

  it('is what ResourceServer.protectedResourceMetadata() answers, the issuer as the authorization server', async () => {
    const t = await createTestServer();
    const rs = await ResourceServer.forAuthorizationServer(t.server, { resource: RESOURCE, resourceMetadata: { resourceName: 'MCP' } });
    expect(rs.protectedResourceMetadata()).toEqual({ resource: RESOURCE, authorization_servers: [ISSUER], bearer_methods_supported: ['header'], resource_name: 'MCP' });
    expect(rs.resourceMetadataUrl).toBe('https://api.example.test/.well-known/oauth-protected-resource/mcp');
  });

  it('answers GET and HEAD on the well-known paths only', async () => {
    const t = await createTestServer();
    const rs = await ResourceServer.forAuthorizationServer(t.server, { resource: RESOURCE });
    expect(respondToProtectedResourceMetadataRequest(rs, 'GET', '/.well-known/oauth-protected-resource/mcp')?.status).toBe(200);
    expect(respondToProtectedResourceMetadataRequest(rs, 'HEAD', '/.well-known/oauth-protected-resource')?.status).toBe(200);
    expect(respondToProtectedResourceMetadataRequest(rs, 'GET', '/mcp')).toBeUndefined();
    expect(respondToProtectedResourceMetadataRequest(rs, 'POST', '/.well-known/oauth-protected-resource/mcp')).toBeUndefined();
    const withoutResource = await ResourceServer.forAuthorizationServer(t.server);
    expect(respondToProtectedResourceMetadataRequest(withoutResource, 'GET', '/.well-known/oauth-protected-resource')).toBeUndefined();
    expect(() => withoutResource.protectedResourceMetadata()).toThrow(TypeError);
  });
});

describe('ResourceServer with a resource (RFC 8707 audience, RFC 9728 §5.1 challenge)', () => {
  it('accepts a token whose aud is the resource, alone or in a list', async () => {
    const t = await createTestServer();
    const rs = await ResourceServer.forAuthorizationServer(t.server, { resource: RESOURCE });
    expect((await rs.validateAuthenticatedRequest(bearer(await signed(t, RESOURCE)))).aud).toBe(RESOURCE);
    expect((await rs.validateAuthenticatedRequest(bearer(await signed(t, ['https://x.example.test', RESOURCE])))).sub).toBe('user-1');
  });

  it.each([
    ['another resource', 'https://other.example.test/mcp'],
    ['the issuer (the default audience)', ISSUER],
    ['a prefix of the resource', 'https://api.example.test'],
  ])('refuses a token for %s with 401 invalid_token and the resource_metadata parameter', async (_name, aud) => {
    const t = await createTestServer();
    const rs = await ResourceServer.forAuthorizationServer(t.server, { resource: RESOURCE });
    const res = await refusal(rs.validateAuthenticatedRequest(bearer(await signed(t, aud))));
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe(
      'Bearer resource_metadata="https://api.example.test/.well-known/oauth-protected-resource/mcp", error="invalid_token", ' +
        'error_description="The access token is not meant for this resource server."',
    );
  });

  it('answers a request without a token with a bare challenge naming the metadata', async () => {
    const t = await createTestServer();
    const rs = await ResourceServer.forAuthorizationServer(t.server, { resource: RESOURCE, realm: 'mcp' });
    const res = await refusal(rs.validateAuthenticatedRequest(new Request(RESOURCE)));
    expect(res.status).toBe(401);
    const metadata = 'resource_metadata="https://api.example.test/.well-known/oauth-protected-resource/mcp"';
    // One bare challenge per accepted scheme (RFC 6750 §3, RFC 9449 §7.1), each naming the metadata.
    expect(res.headers.get('www-authenticate')).toBe(`Bearer realm="mcp", ${metadata}, DPoP realm="mcp", ${metadata}, algs="ES256 PS256 RS256 EdDSA"`);
  });

  it('accepts the configured audience besides the resource when both are given', async () => {
    const t = await createTestServer();
    const rs = await ResourceServer.forAuthorizationServer(t.server, { resource: RESOURCE, audience: ISSUER });
    expect((await rs.validateAuthenticatedRequest(bearer(await signed(t, ISSUER)))).aud).toBe(ISSUER);
  });

  it('refuses a resource option that is not an absolute URI without a fragment', () => {
    expect(() => new ResourceServer({ issuer: ISSUER, resource: '/mcp', jwksUri: `${ISSUER}/jwks` })).toThrow(TypeError);
    expect(() => new ResourceServer({ issuer: ISSUER, resource: `${RESOURCE}#x`, jwksUri: `${ISSUER}/jwks` })).toThrow(TypeError);
    expect(() => new ResourceServer({ issuer: ISSUER, jwksUri: `${ISSUER}/jwks` })).toThrow(TypeError);
  });
});
