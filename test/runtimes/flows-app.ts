// The runtime-neutral app that test/runtimes/runtimes.test.ts serves on Bun, Deno and workerd: an AuthorizationServer
// on the memory storage and a ResourceServer that checks its tokens, behind one Fetch handler. No node: imports here
// nor in what it imports on the Web Crypto path, so that the same code runs in a Worker.
import { AuthorizationServer } from '../../src/core/authorization-server.js';
import { hashClientSecret } from '../../src/contracts/client-secret.js';
import { toOAuthError } from '../../src/contracts/oauth-error.js';
import { ResourceServer } from '../../src/core/resource-server.js';
import { ClientCredentialsGrant } from '../../src/grants/client-credentials-grant.js';
import { PasswordGrant } from '../../src/grants/password-grant.js';
import { RefreshTokenGrant } from '../../src/grants/refresh-token-grant.js';
import { oauthRouteTable } from '../../src/http/oauth-routes.js';
import { createMemoryStorage } from '../../src/storage/memory/index.js';
import { hashPassword, verifyPassword } from '../../src/storage/password-hash.js';
import { webCryptoBackend } from '../../src/tokens/crypto/web-crypto-backend.js';
import { RemoteJwks } from '../../src/tokens/remote-jwks.js';

/** What the launcher hands the app (environment variables on Bun and Deno, bindings in workerd). */
export interface FlowsAppEnv {
  GRANTRY_PRIVATE_KEY: string;
  GRANTRY_ENCRYPTION_KEY: string;
  GRANTRY_CLIENT_SECRET: string;
}

export const ISSUER = 'http://auth.runtime.test';
export const API = 'http://api.runtime.test';
export const USERNAME = 'alice';
export const PASSWORD = 'correct horse battery staple';

const json = (body: unknown, status = 200): Response =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', 'cache-control': 'no-store' } });

/** Builds the app: call it inside the first request (Workers allow no random numbers at start-up). */
export async function createFlowsApp(env: FlowsAppEnv): Promise<(request: Request) => Promise<Response>> {
  const storage = createMemoryStorage({
    clients: [{
      id: 'app', name: 'Runtime test app', secretHash: await hashClientSecret(env.GRANTRY_CLIENT_SECRET), redirectUris: [],
      grantTypes: ['client_credentials', 'password', 'refresh_token'], scopes: ['read', 'write'],
    }],
    scopes: ['read', 'write'],
  });
  // A user made as the CLI makes one: its password hashed by this runtime's default scheme.
  const alice = await storage.admin.createUser({ username: USERNAME, password: PASSWORD });
  const server = new AuthorizationServer({
    clients: storage.clients, accessTokens: storage.accessTokens, scopes: storage.scopes,
    refreshTokens: storage.refreshTokens, issuer: ISSUER, audience: API,
    // Web Crypto cannot tell a PKCS#8 key's type: outside Node a PEM key needs its algorithm named.
    privateKey: env.GRANTRY_PRIVATE_KEY, signingAlgorithm: 'ES256', encryptionKey: env.GRANTRY_ENCRYPTION_KEY,
    logger: { error: (message, details) => console.error(message, details), warn: () => undefined },
  });
  server.enableGrantType(new ClientCredentialsGrant(), 'PT5M');
  server.enableGrantType(new PasswordGrant(storage.users, { refreshTokens: storage.refreshTokens }), 'PT5M');
  server.enableGrantType(new RefreshTokenGrant(storage.refreshTokens), 'PT5M');
  const routes = await oauthRouteTable(server);
  const jwksPath = new URL((await server.metadata()).jwks_uri ?? `${ISSUER}/jwks`).pathname;
  // The resource server reads the JWKS as a separate API would; here through the same process instead of the network.
  const rs = new ResourceServer({
    issuer: ISSUER, audience: API, accessTokens: storage.accessTokens,
    keys: new RemoteJwks(`${ISSUER}${jwksPath}`, { fetch: (url) => server.handleJwksRequest(new Request(url)) }),
  });
  const ctx = await server.context();
  const runtime = {
    cryptoBackend: ctx.crypto === webCryptoBackend ? 'web-crypto' : 'node-crypto',
    passwordHashScheme: storage.users.users.get(alice.id)?.passwordHash?.split('$')[0],
    hasProcessVersionsNode: typeof (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node === 'string',
  };

  return async (request) => {
    const path = new URL(request.url).pathname;
    const route = routes.get(path);
    if (route) return route(request);
    if (path === '/runtime') return json(runtime);
    if (path === '/api/me') {
      try {
        const claims = await rs.validateAuthenticatedRequest(request);
        return json({ sub: claims.sub, client_id: claims.client_id, scope: claims.scope });
      } catch (error) {
        return toOAuthError(error).toResponse();
      }
    }
    if (path === '/password/hash' && request.method === 'POST') {
      const form = new URLSearchParams(await request.text());
      return json({ hash: await hashPassword(form.get('password') ?? '', { scheme: 'pbkdf2-sha256' }) });
    }
    if (path === '/password/verify' && request.method === 'POST') {
      const form = new URLSearchParams(await request.text());
      try {
        return json({ ok: await verifyPassword(form.get('password') ?? '', form.get('hash') ?? '') });
      } catch (error) {
        return json({ error: error instanceof Error ? error.message : String(error) }, 422);
      }
    }
    return json({ error: 'not_found' }, 404);
  };
}

/** One app per process or isolate, built on the first request. */
export function lazyFlowsApp(env: () => FlowsAppEnv): (request: Request) => Promise<Response> {
  let app: Promise<(request: Request) => Promise<Response>> | undefined;
  return async (request) => {
    app ??= createFlowsApp(env());
    try {
      return await (await app)(request);
    } catch (error) {
      console.error(error);
      return json({ error: 'server_error' }, 500);
    }
  };
}
