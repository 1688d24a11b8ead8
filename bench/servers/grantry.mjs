// grantry, as its README sets it up: the Fetch-API core behind the node:http (or Express) adapter.
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import express from 'express';
import { AUDIENCE, CLIENT_ID, CLIENT_SECRET, ISSUER, JSON_NO_STORE, loadKeys, readBody } from '../lib/shared.mjs';

const g = await import(process.env.BENCH_GRANTRY_BUNDLE);

/** Opens the storage of the spec and seeds the one confidential client and the scopes. */
async function openStorage(spec, client) {
  const seed = { clients: [client], scopes: ['read', 'write'] };
  switch (spec.storage) {
    case 'memory':
      return { storage: g.createMemoryStorage(seed), close: async () => undefined };
    case 'sqlite': {
      if (!g.sqlite) throw new Error('grantry: the SQLite storage is not there yet');
      const filename = `${spec.scratchDir}/grantry-${process.pid}.sqlite`;
      const remove = () => ['', '-wal', '-shm'].forEach((x) => rmSync(filename + x, { force: true }));
      remove();
      const storage = g.sqlite.openSqliteStorage({ filename });
      await storage.migrate();
      await seedAdmin(storage.admin, seed);
      return { storage, close: async () => { await storage.close?.(); remove(); } };
    }
    case 'postgres': {
      if (!g.postgres) throw new Error('grantry: the PostgreSQL storage is not there yet');
      const schema = `bench_${process.pid}`;
      const dropSchema = async () => {
        const { default: pg } = await import('pg');
        const db = new pg.Client({ connectionString: spec.databaseUrl });
        await db.connect();
        await db.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await db.end();
      };
      await dropSchema();
      const storage = g.postgres.openPostgresStorage({ connectionString: spec.databaseUrl, schema });
      await storage.migrate();
      await seedAdmin(storage.admin, seed);
      return { storage, close: async () => { await storage.close(); await dropSchema(); } };
    }
    default:
      throw new Error(`unknown storage ${spec.storage}`);
  }
}

async function seedAdmin(admin, seed) {
  for (const client of seed.clients) await admin.createClient(client);
  for (const id of seed.scopes) await admin.addScope({ id });
}

/** node:http ⇄ Fetch: grantry's own adapter when it exists, else a minimal buffered one. */
function nodeAdapter(handle) {
  if (g.nodeHttp?.toNodeHandler) return g.nodeHttp.toNodeHandler(handle);
  return async (req, res) => {
    const body = req.method === 'GET' || req.method === 'HEAD' ? undefined : await readBody(req);
    const headers = new Headers();
    for (let i = 0; i < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
    const response = await handle(new Request(`http://${req.headers.host}${req.url}`, { method: req.method, headers, body }));
    const out = Buffer.from(await response.arrayBuffer());
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(out);
  };
}

export async function create(spec) {
  const keys = loadKeys(spec.keysDir, spec.alg);
  const client = {
    id: CLIENT_ID,
    name: 'Benchmark client',
    secretHash: await g.hashClientSecret(CLIENT_SECRET),
    redirectUris: ['http://127.0.0.1/callback'],
    grantTypes: ['client_credentials', 'refresh_token'],
    scopes: ['read', 'write'],
  };
  const { storage, close } = await openStorage(spec, client);
  const server = new g.AuthorizationServer({
    clients: storage.clients,
    accessTokens: storage.accessTokens,
    scopes: storage.scopes,
    refreshTokens: storage.refreshTokens,
    privateKey: keys.pem,
    encryptionKey: randomBytes(32).toString('base64'),
    issuer: ISSUER,
    audience: AUDIENCE,
    logger: { error: (message, details) => console.error(message, details) },
  });
  const workloads = ['W2'];
  if (g.ClientCredentialsGrant) {
    server.enableGrantType(new g.ClientCredentialsGrant(), 'PT1H');
    workloads.unshift('W1');
  }
  server.enableGrantType(new g.RefreshTokenGrant(storage.refreshTokens), 'PT1H');
  const ctx = await server.context();

  // W3 as the target states it: signature and claims, no revocation lookup.
  const rs = g.ResourceServer ? await g.ResourceServer.forAuthorizationServer(server, { checkRevocation: spec.checkRevocation === true }) : undefined;
  if (rs) workloads.push('W3');
  const introspect = server.handleIntrospectionRequest?.bind(server);
  if (introspect) workloads.push('W4');

  const routes = {
    'POST /token': (request) => server.handleTokenRequest(request),
    'GET /resource': async (request) => {
      try {
        const claims = await rs.validateAuthenticatedRequest(request);
        return Response.json({ sub: claims.sub, scope: claims.scope });
      } catch (error) {
        return g.toOAuthError(error).toResponse();
      }
    },
    'POST /introspect': (request) => introspect(request),
  };
  const notFound = () => Response.json({ error: 'not_found' }, { status: 404 });
  const handle = (request) => (routes[`${request.method} ${new URL(request.url).pathname}`] ?? notFound)(request);

  let requestListener;
  if (spec.framework === 'express') {
    const app = express();
    app.disable('x-powered-by');
    app.disable('etag');
    const toExpress = g.expressHttp?.toExpressHandler ?? nodeAdapter;
    app.post('/token', toExpress(routes['POST /token']));
    app.get('/resource', toExpress(routes['GET /resource']));
    app.post('/introspect', toExpress(routes['POST /introspect']));
    requestListener = app;
  } else {
    requestListener = nodeAdapter(handle);
  }

  return {
    requestListener,
    internals: { g, server, ctx, storage, client, rs, keys },
    format: 'jwt',
    workloads,
    // Pre-minted refresh tokens, as the refresh grant would have issued them (sealed token + stored records); the
    // access-token record they point to is stored unsigned, since only its revocation matters to the refresh.
    async mintRefresh(n) {
      const tokens = [];
      const iat = Math.floor(Date.now() / 1000);
      for (let i = 0; i < n; i++) {
        const familyId = randomBytes(16).toString('base64url');
        const jti = randomBytes(16).toString('base64url');
        const { token, id } = await ctx.refreshTokenCodec.issue(CLIENT_ID, iat + 30 * 86400);
        await storage.accessTokens.save({ id: jti, clientId: CLIENT_ID, userId: 'user-1', scopes: ['read', 'write'], expiresAt: (iat + 3600) * 1000, familyId });
        await storage.refreshTokens.save({ id, familyId, clientId: CLIENT_ID, userId: 'user-1', scopes: ['read', 'write'], expiresAt: (iat + 30 * 86400) * 1000, accessTokenId: jti });
        tokens.push(token);
      }
      return tokens;
    },
    async mintAccess() {
      const body = await g.issueTokens({ server: ctx, client, accessTokenTTL: 3600 }, { userId: 'user-1', scopes: ['read', 'write'], grantType: 'client_credentials' });
      return body.access_token;
    },
    close,
  };
}
