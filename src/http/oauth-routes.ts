import { AuthorizationServer } from '../core/authorization-server.js';
import { metadataPath } from '../core/endpoints/endpoint-options.js';
import type { PlainRequest, PlainResult } from '../contracts/plain-request.js';

/**
 * The part of an {@link AuthorizationServer} the router calls: its never-throwing endpoint handlers.
 *
 * @example
 * ```ts
 * const routable: RoutableServer = server; // an AuthorizationServer
 * ```
 */
export type RoutableServer = Pick<
  AuthorizationServer,
  | 'context'
  | 'metadata'
  | 'handleTokenRequest'
  | 'handleRevocationRequest'
  | 'handleIntrospectionRequest'
  | 'handleDeviceAuthorizationRequest'
  | 'handlePushedAuthorizationRequest'
  | 'handleMetadataRequest'
  | 'handleJwksRequest'
>;

/**
 * A path → handler table of the server's machine-to-machine endpoints.
 *
 * @example
 * ```ts
 * const table: OAuthRouteTable = await oauthRouteTable(server);
 * const response = await table.get('/token')?.(request);
 * ```
 */
export type OAuthRouteTable = ReadonlyMap<string, (request: Request) => Promise<Response>>;

const pathOf = (url: string | undefined): string | undefined => (url === undefined ? undefined : new URL(url).pathname);

/**
 * The server's endpoints by path, as its metadata announces them (RFC 8414): token, revocation, introspection,
 * device authorization (when that grant is enabled), pushed authorization requests (when enabled), JWKS, and the metadata document itself. The authorization
 * endpoint is not in it: it needs the application's login and consent pages.
 *
 * @example
 * ```ts
 * const routes = await oauthRouteTable(server);
 * routes.get('/token'); // (request) => server.handleTokenRequest(request)
 * ```
 */
export async function oauthRouteTable(server: RoutableServer): Promise<OAuthRouteTable> {
  const [metadata, ctx] = await Promise.all([server.metadata(), server.context()]);
  const table = new Map<string, (request: Request) => Promise<Response>>();
  const add = (path: string | undefined, handler: (request: Request) => Promise<Response>): void => {
    if (path !== undefined && !table.has(path)) table.set(path, handler);
  };
  add(pathOf(metadata.token_endpoint), (r) => server.handleTokenRequest(r));
  add(pathOf(metadata.revocation_endpoint), (r) => server.handleRevocationRequest(r));
  add(pathOf(metadata.introspection_endpoint), (r) => server.handleIntrospectionRequest(r));
  add(pathOf(metadata.device_authorization_endpoint), (r) => server.handleDeviceAuthorizationRequest(r));
  add(pathOf(metadata.pushed_authorization_request_endpoint), (r) => server.handlePushedAuthorizationRequest(r));
  add(pathOf(metadata.jwks_uri), (r) => server.handleJwksRequest(r));
  add(metadataPath(ctx.issuer), (r) => server.handleMetadataRequest(r));
  return table;
}

/**
 * A lazily built {@link oauthRouteTable}: the first request builds it (after every grant has been enabled), later
 * ones reuse it.
 *
 * @example
 * ```ts
 * const routes = lazyRouteTable(server);
 * const handler = (await routes()).get(pathname);
 * ```
 */
export function lazyRouteTable(server: RoutableServer): () => Promise<OAuthRouteTable> {
  let table: Promise<OAuthRouteTable> | undefined;
  return () => {
    table ??= oauthRouteTable(server).catch((error: unknown) => {
      table = undefined;
      throw error;
    });
    return table;
  };
}

/**
 * The pathname of a request target (`/token?x` → `/token`), without parsing a URL.
 *
 * @example
 * ```ts
 * targetPath(req.url); // '/token'
 * ```
 */
export function targetPath(target: string | undefined): string {
  if (target === undefined) return '/';
  const query = target.indexOf('?');
  return query < 0 ? target : target.slice(0, query);
}

/**
 * A path → handler table of the endpoints the Node adapters serve without Fetch objects (token and introspection),
 * for servers that offer the plain path (`serveTokenRequest`, `serveIntrospectionRequest`); empty otherwise.
 *
 * @example
 * ```ts
 * const plain: PlainRouteTable = await plainRouteTable(server);
 * const result = await plain.get('/token')?.(plainRequest);
 * ```
 */
export type PlainRouteTable = ReadonlyMap<string, (request: PlainRequest) => Promise<PlainResult>>;

type PlainServer = Partial<Pick<AuthorizationServer, 'serveTokenRequest' | 'serveIntrospectionRequest'>>;

/**
 * The plain-path counterpart of {@link oauthRouteTable}: the token and introspection endpoints at the paths the
 * metadata announces, when `server` is an {@link AuthorizationServer} (an object with only the Fetch handlers gets
 * an empty table, and the adapters use the Fetch path for it).
 *
 * @example
 * ```ts
 * const plain = await plainRouteTable(server);
 * plain.has('/token'); // true for an AuthorizationServer
 * ```
 */
export async function plainRouteTable(server: RoutableServer): Promise<PlainRouteTable> {
  const table = new Map<string, (request: PlainRequest) => Promise<PlainResult>>();
  const plain = server as RoutableServer & PlainServer;
  const { serveTokenRequest, serveIntrospectionRequest } = plain;
  if (typeof serveTokenRequest !== 'function' || typeof serveIntrospectionRequest !== 'function') return table;
  const metadata = await server.metadata();
  const token = pathOf(metadata.token_endpoint);
  const introspection = pathOf(metadata.introspection_endpoint);
  // A server that overrides a Fetch handler (a subclass, a wrapper) keeps its override: only the stock ones go plain.
  const proto = AuthorizationServer.prototype;
  const stock = (name: 'handleTokenRequest' | 'respondToAccessTokenRequest' | 'handleIntrospectionRequest' | 'respondToIntrospectionRequest'): boolean =>
    (plain as Partial<AuthorizationServer>)[name] === proto[name];
  if (token !== undefined && stock('handleTokenRequest') && stock('respondToAccessTokenRequest')) {
    table.set(token, (r) => serveTokenRequest.call(plain, r));
  }
  if (introspection !== undefined && !table.has(introspection) && stock('handleIntrospectionRequest') && stock('respondToIntrospectionRequest')) {
    table.set(introspection, (r) => serveIntrospectionRequest.call(plain, r));
  }
  return table;
}

/**
 * Both route tables, built lazily together (see {@link lazyRouteTable}).
 *
 * @example
 * ```ts
 * const routes = lazyRouteTables(server);
 * const { fetch, plain } = await routes();
 * ```
 */
export function lazyRouteTables(server: RoutableServer): () => Promise<{ fetch: OAuthRouteTable; plain: PlainRouteTable }> {
  let tables: Promise<{ fetch: OAuthRouteTable; plain: PlainRouteTable }> | undefined;
  return () => {
    tables ??= Promise.all([oauthRouteTable(server), plainRouteTable(server)])
      .then(([fetch, plain]) => ({ fetch, plain }))
      .catch((error: unknown) => {
        tables = undefined;
        throw error;
      });
    return tables;
  };
}
