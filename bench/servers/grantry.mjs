// grantry, as its README sets it up: AuthorizationServer behind oauthEndpointsListener (node:http) or oauthEndpoints
// (Express), the resource server behind withBearerToken / requireBearerToken.
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import express from 'express';
import { AUDIENCE, BASIC, CLIENT_ID, CLIENT_SECRET, ISSUER, loadKeys, readBody } from '../lib/shared.mjs';

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

/** Whether a token is a JWS (three base64url parts, a JSON header with `alg`). */
function looksLikeJwt(token) {
  const parts = token.split('.');
  if (parts.length !== 3) return false;
  try {
    return typeof JSON.parse(Buffer.from(parts[0], 'base64url').toString()).alg === 'string';
  } catch {
    return false;
  }
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
  // A diagnostic, never a measured row: access-token records not kept (what retaining them costs the heap).
  if (spec.discardAccessTokens) storage.accessTokens.save = async () => undefined;
  const opaque = spec.format === 'opaque';
  const server = new g.AuthorizationServer({
    clients: storage.clients,
    accessTokens: storage.accessTokens,
    scopes: storage.scopes,
    refreshTokens: storage.refreshTokens,
    privateKey: keys.pem,
    encryptionKey: randomBytes(32).toString('base64'),
    issuer: ISSUER,
    audience: AUDIENCE,
    // Opaque access tokens (built in parallel with this benchmark): an unknown option is ignored by older trees,
    // which then still sign JWTs; the check below notices and the server is skipped with a note.
    ...(opaque ? { accessTokenFormat: 'opaque' } : {}),
    logger: { error: (message, details) => console.error(message, details) },
  });
  const workloads = ['W2'];
  if (g.ClientCredentialsGrant) {
    server.enableGrantType(new g.ClientCredentialsGrant(), 'PT1H');
    workloads.unshift('W1');
  }
  server.enableGrantType(new g.RefreshTokenGrant(storage.refreshTokens), 'PT1H');
  const ctx = await server.context();

  if (opaque) {
    const probe = await server.handleTokenRequest(
      new Request(`${ISSUER}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: BASIC }, body: 'grant_type=client_credentials&scope=read%20write' }),
    );
    const token = (await probe.json()).access_token;
    if (typeof token !== 'string' || looksLikeJwt(token)) {
      return {
        requestListener: (_req, res) => res.writeHead(404).end(),
        format: 'opaque',
        workloads: [],
        notes: `accessTokenFormat: 'opaque' is not supported by this tree yet (the server answered ${typeof token === 'string' ? 'a JWT' : probe.status}); skipped`,
        close,
      };
    }
  }

  // W3 as the target states it: signature and claims, without (or, for the second variant, with) the revocation
  // lookup. Opaque tokens need a lookup by design: their W3 is not measured.
  const rs = !opaque && g.ResourceServer ? await g.ResourceServer.forAuthorizationServer(server, { checkRevocation: spec.checkRevocation === true }) : undefined;
  if (rs) workloads.push('W3');
  if (server.handleIntrospectionRequest) workloads.push('W4');

  // As grantry's README mounts it: every machine-to-machine endpoint through the adapter (the plain path on
  // node:http and Express), the API behind withBearerToken (node:http) or requireBearerToken (Express).
  let requestListener;
  const me = (claims) => ({ sub: claims.sub, scope: claims.scope });
  if (spec.framework === 'express') {
    const app = express();
    app.disable('x-powered-by');
    app.disable('etag');
    app.use(g.expressHttp.oauthEndpoints(server));
    if (rs) app.get('/resource', g.expressHttp.requireBearerToken(rs), (_req, res) => res.json(me(res.locals.accessToken)));
    requestListener = app;
  } else {
    // `bearer: 'header'`: a middleware of one's own on the header entry point, rs.validateAuthorization (no Request).
    const byHeader = async (req, res) => {
      try {
        const claims = await rs.validateAuthorization(req.headers.authorization ?? null);
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(me(claims)));
      } catch (error) {
        const e = g.toOAuthError(error);
        res.writeHead(e.status, { 'content-type': 'application/json', ...(e.headers ?? {}) }).end(JSON.stringify(e.toJSON()));
      }
    };
    // As the README mounts it: bearerTokenListener (node's own request and response) where the tree has it, else
    // withBearerToken behind toNodeHandler (`bearer: 'fetch'` asks for the latter: the Fetch-API twin).
    const listener = g.nodeHttp.bearerTokenListener;
    const api = !rs
      ? (_req, res) => res.writeHead(404).end()
      : spec.bearer === 'header'
        ? byHeader
        : listener && spec.bearer !== 'fetch'
          ? listener(rs, (_req, res, claims) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(me(claims))))
          : g.nodeHttp.toNodeHandler(g.nodeHttp.withBearerToken(rs, async (_request, claims) => Response.json(me(claims))));
    requestListener = g.nodeHttp.oauthEndpointsListener(server, { fallback: api });
    if (spec.framework === 'bare') {
      // A diagnostic, not how users mount grantry: the core behind the floor's own handler (read the body, answer
      // with writeHead + end), so that core and adapter costs can be told apart.
      requestListener = async (req, res) => {
        if (req.method !== 'POST' || req.url !== '/token') return void api(req, res);
        const plain = new g.PlainRequest('POST', `http://127.0.0.1${req.url}`, { get: (name) => req.headers[name] ?? null }, await readBody(req));
        const result = await server.serveTokenRequest(plain);
        res.writeHead(result.status, result.headers);
        res.end(result.body);
      };
    }
  }

  return {
    requestListener,
    internals: { g, server, ctx, storage, client, rs, keys },
    format: opaque ? 'opaque' : 'jwt',
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
