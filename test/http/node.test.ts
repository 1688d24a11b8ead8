import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { toNodeHandler, tokenEndpointListener, withBearerToken } from '../../src/http/node.js';
import { describeAdapter, meBody } from './adapter-suite.js';

describeAdapter('node:http', async ({ server, resourceServer }) => {
  const me = withBearerToken(resourceServer, async (_request, claims) => Response.json(meBody(claims)));
  const admin = withBearerToken(resourceServer, async (_request, claims) => Response.json(meBody(claims)), { scopes: ['admin'] });
  const api = toNodeHandler((request) => (new URL(request.url).pathname === '/api/admin' ? admin : me)(request));
  const http = createServer(tokenEndpointListener(server, { path: '/token', fallback: api }));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => http.close(() => resolve()).closeAllConnections()),
  };
});
