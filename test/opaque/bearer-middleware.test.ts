import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResourceServer } from '../../src/core/resource-server.js';
import { systemClock } from '../../src/contracts/clock.js';
import { createMemoryStorage } from '../../src/storage/memory/index.js';
import { startExpress, startFastify, startHono, startNode, startNodeAll, type RunningAdapter, type StartAdapter } from '../http/mounts.js';
import { CLIENT_SECRET, ISSUER, basic, registerClients, serverOver, type TokenBody } from './support.js';

/**
 * Over real sockets: the authorization server (node:http adapter, every endpoint, with an in-process resource
 * server in front of its API) issues opaque tokens; each adapter's bearer middleware accepts them through a
 * resource server that introspects at the authorization server's real URL (RFC 7662), and refuses them once revoked.
 */
describe('the bearer middlewares accept opaque access tokens (RFC 6750 §2.1) over HTTP', () => {
  const storage = createMemoryStorage();
  const { server } = serverOver(storage, { clock: systemClock }); // the remote resource server reads the real time
  let as: RunningAdapter;

  beforeAll(async () => {
    await registerClients(storage);
    as = await startNodeAll({ server, resourceServer: await ResourceServer.forAuthorizationServer(server) });
  });
  afterAll(async () => {
    await as?.close();
  });

  const post = async (path: string, params: Record<string, string>): Promise<Response> =>
    fetch(`${as.origin}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic('app', CLIENT_SECRET) },
      body: new URLSearchParams(params),
    });
  const me = (origin: string, token: string): Promise<Response> => fetch(`${origin}/api/me`, { headers: { authorization: `Bearer ${token}` } });

  it.each<[string, StartAdapter]>([
    ['node:http', startNode],
    ['Express', startExpress],
    ['Fastify', startFastify],
    ['Hono', startHono],
  ])('%s: accepted through introspection, refused once revoked; accepted and refused in-process too', async (_name, start) => {
    const token = ((await (await post('/token', { grant_type: 'client_credentials', scope: 'read' })).json()) as TokenBody).access_token;
    expect(token).toMatch(/^gat_/);
    // No cache: the revocation below must be seen on the next request.
    const remote = new ResourceServer({
      issuer: ISSUER,
      audience: ISSUER,
      introspection: { endpoint: `${as.origin}/introspect`, clientId: 'orders-api', clientSecret: CLIENT_SECRET, cacheTTL: 0 },
    });
    const api = await start({ server, resourceServer: remote });
    try {
      const ok = await me(api.origin, token);
      expect(ok.status).toBe(200);
      expect(await ok.json()).toEqual({ sub: 'client:app', client_id: 'app', scope: 'read' });
      expect((await me(as.origin, token)).status).toBe(200);

      expect((await post('/revoke', { token })).status).toBe(200);
      for (const origin of [api.origin, as.origin]) {
        const refused = await me(origin, token);
        expect(refused.status).toBe(401);
        expect(refused.headers.get('www-authenticate')).toMatch(/^Bearer .*error="invalid_token"/);
      }
    } finally {
      await api.close();
    }
  });
});
