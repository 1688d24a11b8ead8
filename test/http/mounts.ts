// How each adapter is mounted in the tests: the idiomatic way its README section shows. Routes: POST /token,
// GET /api/me (bearer) and GET /api/admin (bearer with the `admin` scope); both API routes answer meBody(claims).
import { serve } from '@hono/node-server';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AuthorizationServer } from '../../src/core/authorization-server.js';
import type { ResourceServer } from '../../src/core/resource-server.js';
import * as expressAdapter from '../../src/http/express.js';
import * as fastifyAdapter from '../../src/http/fastify.js';
import * as honoAdapter from '../../src/http/hono.js';
import { bearerTokenListener, oauthEndpointsListener, toNodeHandler, tokenEndpointListener, withBearerToken } from '../../src/http/node.js';

export interface AdapterMount {
  server: AuthorizationServer;
  resourceServer: ResourceServer;
}

export interface RunningAdapter {
  origin: string;
  close(): Promise<void>;
}

export type StartAdapter = (mount: AdapterMount) => Promise<RunningAdapter>;

/** The body the API routes answer with once the bearer token is valid. */
export function meBody(claims: { sub: string; client_id: string; scope?: string | undefined }): { sub: string; client_id: string; scope: string | undefined } {
  return { sub: claims.sub, client_id: claims.client_id, scope: claims.scope };
}

async function listening(http: Server): Promise<RunningAdapter> {
  if (!http.listening) await new Promise<void>((resolve) => http.once('listening', resolve));
  return {
    origin: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => http.close(() => resolve()).closeAllConnections()),
  };
}

function nodeApi(resourceServer: ResourceServer) {
  const me = withBearerToken(resourceServer, async (_request, claims) => Response.json(meBody(claims)));
  const admin = withBearerToken(resourceServer, async (_request, claims) => Response.json(meBody(claims)), { scopes: ['admin'] });
  return toNodeHandler((request) => (new URL(request.url).pathname === '/api/admin' ? admin : me)(request));
}

/** The API on node's own request and response (bearerTokenListener: no Fetch objects), as the README mounts it. */
function nodeListenerApi(resourceServer: ResourceServer) {
  const answer = (res: ServerResponse, claims: Parameters<typeof meBody>[0]): void => {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(meBody(claims)));
  };
  const me = bearerTokenListener(resourceServer, (_req, res, claims) => answer(res, claims));
  const admin = bearerTokenListener(resourceServer, (_req, res, claims) => answer(res, claims), { scopes: ['admin'] });
  return (req: IncomingMessage, res: ServerResponse): void => (req.url?.split('?')[0] === '/api/admin' ? admin : me)(req, res);
}

/** The token endpoint alone, with the API behind withBearerToken (the Fetch-API twin of bearerTokenListener). */
export const startNode: StartAdapter = async ({ server, resourceServer }) =>
  listening(createServer(tokenEndpointListener(server, { path: '/token', fallback: nodeApi(resourceServer) })).listen(0, '127.0.0.1'));

/** Every endpoint of the server (token, revocation, introspection, JWKS, metadata) in front of the API. */
export const startNodeAll: StartAdapter = async ({ server, resourceServer }) =>
  listening(createServer(oauthEndpointsListener(server, { fallback: nodeListenerApi(resourceServer) })).listen(0, '127.0.0.1'));

export const startExpress: StartAdapter = async (mount) => listening(expressApp(mount, false).listen(0, '127.0.0.1'));
export const startExpressAll: StartAdapter = async (mount) => listening(expressApp(mount, true).listen(0, '127.0.0.1'));

function expressApp({ server, resourceServer }: AdapterMount, all: boolean): express.Express {
  const app = express();
  if (all) app.use(expressAdapter.oauthEndpoints(server));
  else app.post('/token', expressAdapter.tokenEndpoint(server));
  app.get('/api/me', expressAdapter.requireBearerToken(resourceServer), (_req, res) => {
    res.json(meBody(res.locals.accessToken!));
  });
  app.get('/api/admin', expressAdapter.requireBearerToken(resourceServer, { scopes: ['admin'] }), (_req, res) => {
    res.json(meBody(res.locals.accessToken!));
  });
  return app;
}

export const startFastify: StartAdapter = async (mount) => fastifyApp(mount, false);
export const startFastifyAll: StartAdapter = async (mount) => fastifyApp(mount, true);

async function fastifyApp({ server, resourceServer }: AdapterMount, all: boolean): Promise<RunningAdapter> {
  const app = Fastify();
  if (all) await app.register(fastifyAdapter.oauthEndpointsPlugin, { server });
  else await app.register(fastifyAdapter.tokenEndpointPlugin, { server, path: '/token' });
  app.get('/api/me', { preHandler: fastifyAdapter.requireBearerToken(resourceServer) }, async (request) => meBody(request.accessToken!));
  app.get('/api/admin', { preHandler: fastifyAdapter.requireBearerToken(resourceServer, { scopes: ['admin'] }) }, async (request) =>
    meBody(request.accessToken!),
  );
  const origin = await app.listen({ port: 0, host: '127.0.0.1' });
  return { origin, close: () => app.close() };
}

export const startHono: StartAdapter = async (mount) => honoApp(mount, false);
export const startHonoAll: StartAdapter = async (mount) => honoApp(mount, true);

async function honoApp({ server, resourceServer }: AdapterMount, all: boolean): Promise<RunningAdapter> {
  const app = new Hono();
  if (all) app.use(honoAdapter.oauthEndpoints(server));
  else app.post('/token', honoAdapter.tokenEndpoint(server));
  app.get('/api/me', honoAdapter.requireBearerToken(resourceServer), (c) => c.json(meBody(c.get('accessToken'))));
  app.get('/api/admin', honoAdapter.requireBearerToken(resourceServer, { scopes: ['admin'] }), (c) => c.json(meBody(c.get('accessToken'))));
  return listening(serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server);
}

export const ADAPTERS: readonly (readonly [string, StartAdapter])[] = [
  ['node:http', startNode],
  ['Express 5', startExpress],
  ['Fastify 5', startFastify],
  ['Hono', startHono],
];

/** The same four, each serving every endpoint of the server with its `oauthEndpoints*` helper. */
export const ALL_ENDPOINT_ADAPTERS: readonly (readonly [string, StartAdapter])[] = [
  ['node:http', startNodeAll],
  ['Express 5', startExpressAll],
  ['Fastify 5', startFastifyAll],
  ['Hono', startHonoAll],
];
