import express from 'express';
import type { AddressInfo } from 'node:net';
import { requireBearerToken, tokenEndpoint } from '../../src/http/express.js';
import { describeAdapter, meBody } from './adapter-suite.js';

describeAdapter('Express 5', async ({ server, resourceServer }) => {
  const app = express();
  app.post('/token', tokenEndpoint(server));
  app.get('/api/me', requireBearerToken(resourceServer), (_req, res) => {
    res.json(meBody(res.locals.accessToken));
  });
  app.get('/api/admin', requireBearerToken(resourceServer, { scopes: ['admin'] }), (_req, res) => {
    res.json(meBody(res.locals.accessToken));
  });
  const http = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => http.once('listening', resolve));
  return {
    origin: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => http.close(() => resolve()).closeAllConnections()),
  };
});
