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
> &
  // Optional: served when the metadata announces registration_endpoint (RFC 7591).
  Partial<Pick<AuthorizationServer, 'handleRegistrationRequest'>>;

/** A route table whose lookup also finds the client configuration endpoints under the registration path (RFC 7592). */
class RouteTable extends Map<string, (request: Request) => Promise<Response>> {
  registrationPath: string | undefined;
  override get(path: string): ((request: Request) => Promise<Response>) | undefined {
    const exact = super.get(path);
    if (exact || this.registrationPath === undefined || !path.startsWith(`${this.registrationPath}/`)) return exact;
    return super.get(this.registrationPath);
  }
}

/**
 * A path → handler table of the server's machine-to-machine endpoints.
 *
 * @example
 * ```ts
 * const table: OAuthRouteTable = await oauthRouteTable(server);
 * const response = await table.get('/token')?.(request);
 * ```
 */
export type OAuthRouteTable = ReadonlyMap<string, (request: Request) => Promise<Response>> & {
  /** The registration endpoint's path when registration is on; `get` also answers for `{path}/{client_id}` (RFC 7592). */
  readonly registrationPath?: string | undefined;
};

const pathOf = (url: string | undefined): string | undefined => (url === undefined ? undefined : new URL(url).pathname);

/**
 * The server's endpoints by path, as its metadata announces them (RFC 8414): token, revocation, introspection,
 * device authorization (when that grant is enabled), pushed authorization requests (when enabled), JWKS, the metadata
 * document itself, and client registration with the client configuration endpoints under it (when registration is
 * on). The authorization endpoint is not in it: it needs the application's login and consent pages.
 *
 * @example
 * ```ts
 * const routes = await oauthRouteTable(server);
 * routes.get('/token'); // (request) => server.handleTokenRequest(request)
 * ```
 */
export async function oauthRouteTable(server: RoutableServer): Promise<OAuthRouteTable> {
  const [metadata, ctx] = await Promise.all([server.metadata(), server.context()]);
  const table = new RouteTable();
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
  const registration = pathOf(metadata.registration_endpoint);
  const { handleRegistrationRequest } = server;
  if (registration !== undefined && typeof handleRegistrationRequest === 'function' && !table.has(registration)) {
    // POST /register (RFC 7591 §3), and GET|PUT|DELETE /register/{client_id} (RFC 7592 §2) through the same handler.
    add(registration, (r) => handleRegistrationRequest.call(server, r));
    table.registrationPath = registration;
  }
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
 * A path → handler table of the endpoints the Node adapters serve without Fetch objects (token, introspection,
 * revocation and device authorization), for servers that offer the plain path (`serveTokenRequest` and the
 * others); empty otherwise.
 *
 * @example
 * ```ts
 * const plain: PlainRouteTable = await plainRouteTable(server);
 * const result = await plain.get('/token')?.(plainRequest);
 * ```
 */
export type PlainRouteTable = ReadonlyMap<string, (request: PlainRequest) => Promise<PlainResult>>;

type PlainMethod = 'serveTokenRequest' | 'serveIntrospectionRequest' | 'serveRevocationRequest' | 'serveDeviceAuthorizationRequest';
type StockMethod =
  | 'handleTokenRequest'
  | 'respondToAccessTokenRequest'
  | 'handleIntrospectionRequest'
  | 'respondToIntrospectionRequest'
  | 'handleRevocationRequest'
  | 'respondToRevocationRequest'
  | 'handleDeviceAuthorizationRequest'
  | 'respondToDeviceAuthorizationRequest'
  | 'errorResponse';

/**
 * The plain-path counterpart of {@link oauthRouteTable}: the token, introspection, revocation and device
 * authorization endpoints at the paths the metadata announces, when `server` is an {@link AuthorizationServer}
 * (an object with only the Fetch handlers gets an empty table, and the adapters use the Fetch path for it). An
 * endpoint whose Fetch handler a subclass or wrapper overrides (or that overrides `errorResponse`) keeps the
 * Fetch path, so that the override still runs.
 *
 * @example
 * ```ts
 * const plain = await plainRouteTable(server);
 * plain.has('/token'); // true for an AuthorizationServer
 * ```
 */
export async function plainRouteTable(server: RoutableServer): Promise<PlainRouteTable> {
  const table = new Map<string, (request: PlainRequest) => Promise<PlainResult>>();
  const plain = server as RoutableServer & Partial<Pick<AuthorizationServer, PlainMethod | StockMethod>>;
  const proto = AuthorizationServer.prototype;
  const stock = (name: StockMethod): boolean => plain[name] === proto[name];
  if (!stock('errorResponse')) return table;
  const metadata = await server.metadata();
  const add = (url: string | undefined, method: PlainMethod, handle: StockMethod, respond: StockMethod): void => {
    const path = pathOf(url);
    const serve = plain[method];
    if (path === undefined || table.has(path) || typeof serve !== 'function' || !stock(handle) || !stock(respond)) return;
    table.set(path, (r) => serve.call(plain, r));
  };
  add(metadata.token_endpoint, 'serveTokenRequest', 'handleTokenRequest', 'respondToAccessTokenRequest');
  add(metadata.revocation_endpoint, 'serveRevocationRequest', 'handleRevocationRequest', 'respondToRevocationRequest');
  add(metadata.introspection_endpoint, 'serveIntrospectionRequest', 'handleIntrospectionRequest', 'respondToIntrospectionRequest');
  add(metadata.device_authorization_endpoint, 'serveDeviceAuthorizationRequest', 'handleDeviceAuthorizationRequest', 'respondToDeviceAuthorizationRequest');
  return table;
}

/**
 * The plain token handler of a stock {@link AuthorizationServer} (its Fetch token handlers not overridden), else
 * `undefined`: for adapters that serve the token endpoint alone.
 *
 * @example
 * ```ts
 * const plain = plainTokenHandler(server); // (request: PlainRequest) => Promise<PlainResult>, or undefined
 * ```
 */
export function plainTokenHandler(server: Pick<AuthorizationServer, 'handleTokenRequest'>): ((request: PlainRequest) => Promise<PlainResult>) | undefined {
  const stock = AuthorizationServer.prototype;
  if (!(server instanceof AuthorizationServer)) return undefined;
  if (
    server.handleTokenRequest !== stock.handleTokenRequest ||
    server.respondToAccessTokenRequest !== stock.respondToAccessTokenRequest ||
    server.errorResponse !== stock.errorResponse
  ) {
    return undefined;
  }
  return (request) => server.serveTokenRequest(request);
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
