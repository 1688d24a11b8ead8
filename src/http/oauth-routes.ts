import type { AuthorizationServer } from '../core/authorization-server.js';
import { metadataPath } from '../core/endpoints/endpoint-options.js';

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
 * device authorization (when that grant is enabled), JWKS, and the metadata document itself. The authorization
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
