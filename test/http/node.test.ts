import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { toNodeHandler, tokenEndpointListener, withBearerToken } from '../../src/http/node.js';
import { describeAdapter, meBody } from './adapter-suite.js';

describeAdapter('node:http', async ({ server, resourceServer }) => {
  const api = withBearerToken(resourceServer, async (_request, claims) => Response.json(meBody(claims)));
  const http = createServer(tokenEndpointListener(server, { path: '/token', fallback: toNodeHandler(api) }));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => http.close(() => resolve()).closeAllConnections()),
  };
});
