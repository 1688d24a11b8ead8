import Fastify from 'fastify';
import { requireBearerToken, tokenEndpointPlugin } from '../../src/http/fastify.js';
import { describeAdapter, meBody } from './adapter-suite.js';

describeAdapter('Fastify 5', async ({ server, resourceServer }) => {
  const app = Fastify();
  await app.register(tokenEndpointPlugin, { server, path: '/token' });
  app.get('/api/me', { preHandler: requireBearerToken(resourceServer) }, async (request) => meBody(request.accessToken!));
  app.get('/api/admin', { preHandler: requireBearerToken(resourceServer, { scopes: ['admin'] }) }, async (request) => meBody(request.accessToken!));
  const origin = await app.listen({ port: 0, host: '127.0.0.1' });
  return { origin, close: () => app.close() };
});
