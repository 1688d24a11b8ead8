import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import type { AddressInfo } from 'node:net';
import { requireBearerToken, tokenEndpoint } from '../../src/http/hono.js';
import { describeAdapter, meBody } from './adapter-suite.js';

describeAdapter('Hono', async ({ server, resourceServer }) => {
  const app = new Hono();
  app.post('/token', tokenEndpoint(server));
  app.get('/api/me', requireBearerToken(resourceServer), (c) => c.json(meBody(c.get('accessToken'))));
  app.get('/api/admin', requireBearerToken(resourceServer, { scopes: ['admin'] }), (c) => c.json(meBody(c.get('accessToken'))));
  const http = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  return {
    origin: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => http.close(() => resolve())),
  };
});
