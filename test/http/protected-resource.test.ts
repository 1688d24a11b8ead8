// RFC 9728 on every adapter, on real listening servers: the metadata document at the well-known paths, the
// `resource_metadata` challenge parameter, and tokens for another resource refused with invalid_token.
import { serve } from '@hono/node-server';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthorizationServer } from '../../src/core/authorization-server.js';
import { ResourceServer } from '../../src/core/resource-server.js';
import { ClientCredentialsGrant } from '../../src/grants/client-credentials-grant.js';
import * as expressAdapter from '../../src/http/express.js';
import * as fastifyAdapter from '../../src/http/fastify.js';
import * as honoAdapter from '../../src/http/hono.js';
import { bearerTokenListener, toNodeHandler, withBearerToken } from '../../src/http/node.js';
import { basic, CLIENT_SECRET, createTestServer, ISSUER, serverOn, tokenRequest } from '../support/fixtures.js';

const RESOURCE = 'https://mcp.example.test/mcp';
const OTHER = 'https://other.example.test/api';
const METADATA_URL = 'https://mcp.example.test/.well-known/oauth-protected-resource/mcp';

interface Running {
  origin: string;
  close(): Promise<void>;
}

async function listening(http: Server): Promise<Running> {
  if (!http.listening) await new Promise<void>((resolve) => http.once('listening', resolve));
  return {
    origin: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => http.close(() => resolve()).closeAllConnections()),
  };
}

const answer = (claims: { sub: string; aud: unknown }) => ({ sub: claims.sub, aud: claims.aud });

/** Each adapter mounted as its README shows: the bearer middleware on /mcp, the metadata on the well-known paths. */
const ADAPTERS: readonly (readonly [string, (rs: ResourceServer) => Promise<Running>])[] = [
  [
    'node:http (withBearerToken serves the metadata itself)',
    async (rs) => listening(createServer(toNodeHandler(withBearerToken(rs, async (_r, claims) => Response.json(answer(claims)), { scopes: ['read'] }))).listen(0, '127.0.0.1')),
  ],
  [
    'node:http (bearerTokenListener serves the metadata itself)',
    async (rs) =>
      listening(
        createServer(
          bearerTokenListener(rs, (_req, res, claims) => void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer(claims))), { scopes: ['read'] }),
        ).listen(0, '127.0.0.1'),
      ),
  ],
  [
    'Express 5 (requireBearerToken for the whole app)',
    async (rs) => {
      const app = express();
      app.use(expressAdapter.requireBearerToken(rs, { scopes: ['read'] }));
      app.get('/mcp', (_req, res) => {
        res.json(answer(res.locals.accessToken!));
      });
      return listening(app.listen(0, '127.0.0.1'));
    },
  ],
  [
    'Fastify 5 (protectedResourceMetadataPlugin, requireBearerToken as preHandler)',
    async (rs) => {
      const app = Fastify();
      await app.register(fastifyAdapter.protectedResourceMetadataPlugin, { resourceServer: rs });
      app.get('/mcp', { preHandler: fastifyAdapter.requireBearerToken(rs, { scopes: ['read'] }) }, async (request) => answer(request.accessToken!));
      const origin = await app.listen({ port: 0, host: '127.0.0.1' });
      return { origin, close: () => app.close() };
    },
  ],
  [
    'Hono (protectedResourceMetadata, requireBearerToken on the route)',
    async (rs) => {
      const app = new Hono();
      app.use(honoAdapter.protectedResourceMetadata(rs));
      app.get('/mcp', honoAdapter.requireBearerToken(rs, { scopes: ['read'] }), (c) => c.json(answer(c.get('accessToken'))));
      return listening(serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server);
    },
  ],
];

async function issue(server: AuthorizationServer, params: Record<string, string>): Promise<string> {
  const res = await server.handleTokenRequest(tokenRequest({ grant_type: 'client_credentials', ...params }, { authorization: basic('app', CLIENT_SECRET) }));
  const body = (await res.json()) as { access_token?: string; error?: string };
  if (!body.access_token) throw new Error(`no token: ${JSON.stringify(body)}`);
  return body.access_token;
}

describe.each(ADAPTERS)('protected resource metadata (RFC 9728) on %s', (_name, start) => {
  let running: Running;
  const tokens: Record<'mine' | 'other' | 'issuer' | 'noScope', string> = { mine: '', other: '', issuer: '', noScope: '' };

  beforeAll(async () => {
    const t = await createTestServer();
    t.storage.resources.resources.set(RESOURCE, { id: RESOURCE, scopes: ['read'] });
    t.storage.resources.resources.set(OTHER, { id: OTHER, scopes: [] });
    const server = serverOn(t.storage, t.clock, { resources: t.storage.resources });
    server.enableGrantType(new ClientCredentialsGrant(), 'PT1H');
    tokens.mine = await issue(server, { scope: 'read', resource: RESOURCE });
    tokens.noScope = await issue(server, { resource: RESOURCE });
    tokens.other = await issue(server, { scope: 'read', resource: OTHER });
    tokens.issuer = await issue(server, { scope: 'read' });
    running = await start(await ResourceServer.forAuthorizationServer(server, {
      resource: RESOURCE,
      resourceMetadata: { scopesSupported: ['read'], resourceName: 'Test MCP server' },
      clock: t.clock,
    }));
  });
  afterAll(async () => running?.close());

  const get = (path: string, token?: string) =>
    fetch(`${running.origin}${path}`, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });

  it.each(['/.well-known/oauth-protected-resource/mcp', '/.well-known/oauth-protected-resource'])(
    'serves the RFC 9728 §2 document at %s, without a token',
    async (path) => {
      const res = await get(path);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await res.json()).toEqual({
        resource: RESOURCE,
        authorization_servers: [ISSUER],
        scopes_supported: ['read'],
        bearer_methods_supported: ['header'],
        resource_name: 'Test MCP server',
      });
    },
  );

  it('answers a request without a token 401 with WWW-Authenticate: Bearer resource_metadata (RFC 9728 §5.1)', async () => {
    const res = await get('/mcp');
    expect(res.status).toBe(401);
    // A bare challenge for each scheme the resource accepts (RFC 6750 §3, RFC 9449 §7.1), each naming the metadata.
    expect(res.headers.get('www-authenticate')).toBe(`Bearer resource_metadata="${METADATA_URL}", DPoP resource_metadata="${METADATA_URL}", algs="ES256 PS256 RS256 EdDSA"`);
  });

  it('lets a token for this resource through', async () => {
    const res = await get('/mcp', tokens.mine);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ aud: RESOURCE });
  });

  it.each([
    ['another resource', 'other'],
    ['the default audience (the issuer)', 'issuer'],
  ] as const)('refuses a token for %s with invalid_token (RFC 6750 §3.1), naming the metadata', async (_what, which) => {
    const res = await get('/mcp', tokens[which]);
    expect(res.status).toBe(401);
    const challenge = res.headers.get('www-authenticate')!;
    expect(challenge).toContain(`resource_metadata="${METADATA_URL}"`);
    expect(challenge).toContain('error="invalid_token"');
    expect(((await res.json()) as { error: string }).error).toBe('invalid_token');
  });

  it('answers a token without the needed scope 403 insufficient_scope, naming the metadata too', async () => {
    const res = await get('/mcp', tokens.noScope);
    expect(res.status).toBe(403);
    const challenge = res.headers.get('www-authenticate')!;
    expect(challenge).toContain('error="insufficient_scope"');
    expect(challenge).toContain(`resource_metadata="${METADATA_URL}"`);
  });
});
