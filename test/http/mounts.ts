// How each adapter is mounted in the tests: the idiomatic way its README section shows. Routes: POST /token,
// GET /api/me (bearer) and GET /api/admin (bearer with the `admin` scope); both API routes answer meBody(claims).
import { serve } from '@hono/node-server';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AuthorizationServer } from '../../src/core/authorization-server.js';
import type { ResourceServer } from '../../src/core/resource-server.js';
import * as expressAdapter from '../../src/http/express.js';
import * as fastifyAdapter from '../../src/http/fastify.js';
import * as honoAdapter from '../../src/http/hono.js';
import { toNodeHandler, tokenEndpointListener, withBearerToken } from '../../src/http/node.js';

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

export const startNode: StartAdapter = async ({ server, resourceServer }) => {
  const me = withBearerToken(resourceServer, async (_request, claims) => Response.json(meBody(claims)));
  const admin = withBearerToken(resourceServer, async (_request, claims) => Response.json(meBody(claims)), { scopes: ['admin'] });
  const api = toNodeHandler((request) => (new URL(request.url).pathname === '/api/admin' ? admin : me)(request));
  return listening(createServer(tokenEndpointListener(server, { path: '/token', fallback: api })).listen(0, '127.0.0.1'));
};

export const startExpress: StartAdapter = async ({ server, resourceServer }) => {
  const app = express();
  app.post('/token', expressAdapter.tokenEndpoint(server));
  app.get('/api/me', expressAdapter.requireBearerToken(resourceServer), (_req, res) => {
    res.json(meBody(res.locals.accessToken!));
  });
  app.get('/api/admin', expressAdapter.requireBearerToken(resourceServer, { scopes: ['admin'] }), (_req, res) => {
    res.json(meBody(res.locals.accessToken!));
  });
  return listening(app.listen(0, '127.0.0.1'));
};

export const startFastify: StartAdapter = async ({ server, resourceServer }) => {
  const app = Fastify();
  await app.register(fastifyAdapter.tokenEndpointPlugin, { server, path: '/token' });
  app.get('/api/me', { preHandler: fastifyAdapter.requireBearerToken(resourceServer) }, async (request) => meBody(request.accessToken!));
  app.get('/api/admin', { preHandler: fastifyAdapter.requireBearerToken(resourceServer, { scopes: ['admin'] }) }, async (request) =>
    meBody(request.accessToken!),
  );
  const origin = await app.listen({ port: 0, host: '127.0.0.1' });
  return { origin, close: () => app.close() };
};

export const startHono: StartAdapter = async ({ server, resourceServer }) => {
  const app = new Hono();
  app.post('/token', honoAdapter.tokenEndpoint(server));
  app.get('/api/me', honoAdapter.requireBearerToken(resourceServer), (c) => c.json(meBody(c.get('accessToken'))));
  app.get('/api/admin', honoAdapter.requireBearerToken(resourceServer, { scopes: ['admin'] }), (c) => c.json(meBody(c.get('accessToken'))));
  return listening(serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server);
};

export const ADAPTERS: readonly (readonly [string, StartAdapter])[] = [
  ['node:http', startNode],
  ['Express 5', startExpress],
  ['Fastify 5', startFastify],
  ['Hono', startHono],
];
