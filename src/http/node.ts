import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuthorizationServer } from '../core/authorization-server.js';
import { OAuthError } from '../contracts/oauth-error.js';
import { closeIfBodyUnread } from './close-if-body-unread.js';
import { resolveAdapterOptions, type AdapterOptions, type FetchHandler } from './fetch-handler.js';
import { writeFetchResponse } from './node-response.js';
import { serveNodeRequest, servePlainRequest } from './serve-node-request.js';
import { lazyRouteTables, plainTokenHandler, targetPath, type RoutableServer } from './oauth-routes.js';

export { withBearerToken, logBearerError, type BearerTokenOptions, type BearerTokenValidator } from './bearer-token.js';
export { bearerTokenListener, type BearerRequestListener } from './bearer-token-listener.js';
export type { AdapterOptions, FetchHandler } from './fetch-handler.js';
export type { RoutableServer } from './oauth-routes.js';

/**
 * A node:http request listener, as `http.createServer` takes it.
 *
 * @example
 * ```ts
 * const listener: NodeRequestListener = toNodeHandler(handler);
 * http.createServer(listener);
 * ```
 */
export type NodeRequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * Turns a Fetch handler into a node:http request listener.
 *
 * @example
 * ```ts
 * import http from 'node:http';
 * import { toNodeHandler } from 'grantry/http/node';
 *
 * http.createServer(toNodeHandler((request) => server.handleTokenRequest(request))).listen(8080);
 * ```
 */
export function toNodeHandler(handler: FetchHandler, options: AdapterOptions = {}): NodeRequestListener {
  const resolved = resolveAdapterOptions(options);
  return (req, res) => void serveNodeRequest(handler, req, res, resolved);
}

/**
 * The same as {@link toNodeHandler}, under the name node:http gives the thing it returns.
 *
 * @example
 * ```ts
 * http.createServer(createRequestListener(handler, { baseUrl: 'https://auth.example.com' }));
 * ```
 */
export const createRequestListener = toNodeHandler;

/**
 * Options of {@link tokenEndpointListener}.
 *
 * @example
 * ```ts
 * const options: TokenEndpointListenerOptions = { path: '/oauth/token', baseUrl: 'https://auth.example.com', fallback: app };
 * ```
 */
export interface TokenEndpointListenerOptions extends AdapterOptions {
  /** The path of the token endpoint (default `/token`). */
  path?: string;
  /** Serves every other request (default: an empty 404). */
  fallback?: NodeRequestListener;
}

/**
 * A node:http listener that answers the token endpoint (RFC 6749 §3.2) of an {@link AuthorizationServer} at
 * `path`, and passes everything else to `fallback`.
 *
 * @example
 * ```ts
 * http.createServer(tokenEndpointListener(server, { path: '/access_token' })).listen(8080, '127.0.0.1');
 * ```
 */
export function tokenEndpointListener(
  server: Pick<AuthorizationServer, 'handleTokenRequest'>,
  options: TokenEndpointListenerOptions = {},
): NodeRequestListener {
  const { path = '/token', fallback = notFound, ...adapter } = options;
  if (!path.startsWith('/')) throw new TypeError('grantry: the token endpoint path must start with "/"');
  const resolved = resolveAdapterOptions(adapter);
  const handler: FetchHandler = (request) => server.handleTokenRequest(request);
  const plain = plainTokenHandler(server);
  return (req, res) => {
    if (targetPath(req.url) !== path) return fallback(req, res);
    void (plain ? servePlainRequest(plain, handler, req, res, resolved) : serveNodeRequest(handler, req, res, resolved));
  };
}

/**
 * Options of {@link oauthEndpointsListener}.
 *
 * @example
 * ```ts
 * const options: OAuthEndpointsListenerOptions = { baseUrl: 'https://auth.example.com', fallback: app };
 * ```
 */
export interface OAuthEndpointsListenerOptions extends AdapterOptions {
  /** Serves every other request (default: an empty 404). */
  fallback?: NodeRequestListener;
}

/**
 * A node:http listener that serves every machine-to-machine endpoint of an {@link AuthorizationServer} at the
 * paths its metadata announces (token, revocation, introspection, device authorization, JWKS, RFC 8414 metadata),
 * and passes everything else to `fallback`. Enable the grants before the first request.
 *
 * @example
 * ```ts
 * http.createServer(oauthEndpointsListener(server, { fallback: app })).listen(8080, '127.0.0.1');
 * ```
 */
export function oauthEndpointsListener(server: RoutableServer, options: OAuthEndpointsListenerOptions = {}): NodeRequestListener {
  const { fallback = notFound, ...adapter } = options;
  const resolved = resolveAdapterOptions(adapter);
  const routes = lazyRouteTables(server);
  type Tables = Awaited<ReturnType<typeof routes>>;
  // Once built, the tables are used directly: no promise per request.
  let ready: Tables | undefined;
  const route = ({ fetch, plain }: Tables, req: IncomingMessage, res: ServerResponse): unknown => {
    const path = targetPath(req.url);
    const handler = fetch.get(path);
    if (!handler) return fallback(req, res);
    const fast = plain.get(path);
    return fast ? servePlainRequest(fast, handler, req, res, resolved) : serveNodeRequest(handler, req, res, resolved);
  };
  return (req, res) => {
    if (ready) return void route(ready, req, res);
    void routes().then(
      (tables) => route((ready = tables), req, res),
      async (error: unknown) => {
        resolved.onError(error);
        await writeFetchResponse(OAuthError.serverError().toResponse(), res).catch(() => void res.destroy());
      },
    );
  };
}

function notFound(req: IncomingMessage, res: ServerResponse): void {
  closeIfBodyUnread(req, res);
  res.writeHead(404, { 'content-length': '0' });
  res.end();
}
