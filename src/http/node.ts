import type { IncomingMessage, ServerResponse } from 'node:http';
import { AuthorizationServer } from '../core/authorization-server.js';
import { OAuthError } from '../core/oauth-error.js';
import { closeIfBodyUnread } from './close-if-body-unread.js';
import { callHandler, resolveAdapterOptions, type AdapterOptions, type FetchHandler, type ResolvedAdapterOptions } from './fetch-handler.js';
import { toFetchRequest, toPlainRequest, type NodeRequestSource } from './node-request.js';
import { writeFetchResponse, writePlainResult } from './node-response.js';
import { lazyRouteTables, targetPath, type RoutableServer } from './oauth-routes.js';
import { plainError, type PlainRequest, type PlainResult } from '../core/plain-request.js';

export * from './bearer-token.js';
export * from './fetch-handler.js';
export * from './node-request.js';
export * from './node-response.js';
export * from './oauth-routes.js';

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
 * Serves one request with a Fetch handler: converts, calls, writes back. Never rejects: a request that cannot be
 * read is answered 400 (or dropped when the client is gone), a handler that throws gets a bare `server_error`.
 *
 * @example
 * ```ts
 * http.createServer((req, res) => void serveNodeRequest(handler, req, res, resolveAdapterOptions()));
 * ```
 */
export async function serveNodeRequest(
  handler: FetchHandler,
  req: IncomingMessage,
  res: ServerResponse,
  options: ResolvedAdapterOptions,
  source: NodeRequestSource = {},
): Promise<void> {
  let request: Request;
  try {
    request = await toFetchRequest(req, options, source);
  } catch {
    // The client went away mid-body, or sent what the Fetch API refuses (a header value undici rejects).
    if (req.destroyed || res.destroyed) return void res.destroy();
    return writeFetchResponse(OAuthError.invalidRequest('The HTTP request could not be read.').toResponse(), res).catch(() => void res.destroy());
  }
  const response = await callHandler(handler, request, options.onError);
  try {
    await writeFetchResponse(response, res);
  } catch (error) {
    options.onError(error);
    if (res.headersSent) return void res.destroy();
    await writeFetchResponse(OAuthError.serverError().toResponse(), res).catch(() => void res.destroy());
  }
}

/**
 * Serves one request on the plain path: a {@link PlainRequest} (no `Request`, `Headers` or web stream) to `handler`,
 * its {@link PlainResult} written in one piece. A request the plain path does not take (not a POST, a chunked or
 * large body) goes to `fallback` through {@link serveNodeRequest}. Never rejects.
 *
 * @example
 * ```ts
 * void servePlainRequest((r) => server.serveTokenRequest(r), (r) => server.handleTokenRequest(r), req, res, resolved);
 * ```
 */
export async function servePlainRequest(
  handler: (request: PlainRequest) => Promise<PlainResult>,
  fallback: FetchHandler,
  req: IncomingMessage,
  res: ServerResponse,
  options: ResolvedAdapterOptions,
  source: NodeRequestSource = {},
): Promise<void> {
  let request: PlainRequest | undefined;
  try {
    request = await toPlainRequest(req, options, source);
  } catch {
    // The client went away mid-body.
    if (req.destroyed || res.destroyed) return void res.destroy();
    return writePlainResult(plainError(OAuthError.invalidRequest('The HTTP request could not be read.')), res);
  }
  if (request === undefined) return serveNodeRequest(fallback, req, res, options, source);
  let result: PlainResult;
  try {
    result = await handler(request);
  } catch (error) {
    options.onError(error);
    result = plainError(OAuthError.serverError());
  }
  if (res.destroyed) return;
  writePlainResult(result, res);
}

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
  return (req, res) =>
    void routes().then(
      ({ fetch, plain }) => {
        const path = targetPath(req.url);
        const handler = fetch.get(path);
        if (!handler) return fallback(req, res);
        const fast = plain.get(path);
        return fast ? servePlainRequest(fast, handler, req, res, resolved) : serveNodeRequest(handler, req, res, resolved);
      },
      async (error: unknown) => {
        resolved.onError(error);
        await writeFetchResponse(OAuthError.serverError().toResponse(), res).catch(() => void res.destroy());
      },
    );
}

/** The plain token handler of a stock {@link AuthorizationServer}, else `undefined` (see `plainRouteTable`). */
function plainTokenHandler(server: Pick<AuthorizationServer, 'handleTokenRequest'>): ((request: PlainRequest) => Promise<PlainResult>) | undefined {
  const stock = AuthorizationServer.prototype;
  if (!(server instanceof AuthorizationServer)) return undefined;
  if (server.handleTokenRequest !== stock.handleTokenRequest || server.respondToAccessTokenRequest !== stock.respondToAccessTokenRequest) return undefined;
  return (request) => server.serveTokenRequest(request);
}

function notFound(req: IncomingMessage, res: ServerResponse): void {
  closeIfBodyUnread(req, res);
  res.writeHead(404, { 'content-length': '0' });
  res.end();
}
