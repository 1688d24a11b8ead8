import type { Context, Handler, MiddlewareHandler } from 'hono';
import type { AuthorizationServer } from '../core/authorization-server.js';
import { OAuthError } from '../contracts/oauth-error.js';
import { checkBearerToken, type BearerTokenOptions, type BearerTokenValidator } from './bearer-token.js';
import { callHandler, type FetchHandler } from './fetch-handler.js';
import { lazyRouteTable, type RoutableServer } from './oauth-routes.js';
import { respondToProtectedResourceMetadataRequest, type ProtectedResourceMetadataSource } from '../core/protected-resource-metadata.js';

export type { FetchHandler } from './fetch-handler.js';
export type { BearerTokenOptions, BearerTokenValidator } from './bearer-token.js';

/**
 * Options of the Hono adapter.
 *
 * @example
 * ```ts
 * app.post('/token', tokenEndpoint(server, { onError: (e) => log.error(e) }));
 * ```
 */
export interface HonoAdapterOptions {
  /** Called with anything the handler throws; the client gets a bare `server_error` (default: `console.error`). */
  onError?: (error: unknown) => void;
}

const logError = (error: unknown): void =>
  console.error('grantry: unhandled error in handler:', error instanceof Error ? error.message : error);

/**
 * The request to hand on: Hono's own, unless a middleware already read its body (then rebuilt from Hono's cache).
 */
async function rawRequest(c: Context): Promise<Request> {
  const raw = c.req.raw;
  if (!raw.bodyUsed) return raw;
  return new Request(raw, { body: await c.req.arrayBuffer() });
}

/**
 * On Node (`@hono/node-server` passes `{ incoming, outgoing }` as the environment): when the handler answered
 * before the request body had fully arrived (a 413 past the size limit), the response says `Connection: close`
 * and Node ends the connection after it, instead of keeping it alive and cutting it later when the body drain
 * gives up. Duck-typed, so that the adapter still runs where there is no `node:http`.
 */
function closeIfBodyUnread(c: Context): void {
  const env = c.env as { incoming?: { complete?: unknown }; outgoing?: { shouldKeepAlive?: unknown; headersSent?: unknown } } | undefined;
  const { incoming, outgoing } = env ?? {};
  if (incoming?.complete === false && typeof outgoing?.shouldKeepAlive === 'boolean' && outgoing.headersSent === false) {
    outgoing.shouldKeepAlive = false;
  }
}

/** Calls the handler, then applies {@link closeIfBodyUnread}. */
async function answer(c: Context, handler: FetchHandler, onError: (error: unknown) => void): Promise<Response> {
  const response = await callHandler(handler, await rawRequest(c), onError);
  closeIfBodyUnread(c);
  return response;
}

/**
 * Mounts a Fetch handler on Hono, which speaks the Fetch API already: the adapter only hands over `c.req.raw`.
 * Mount it before any middleware that reads the body.
 *
 * @example
 * ```ts
 * import { Hono } from 'hono';
 * import { toHonoHandler } from 'grantry/http/hono';
 *
 * const app = new Hono();
 * app.post('/token', toHonoHandler((request) => server.handleTokenRequest(request)));
 * ```
 */
export function toHonoHandler(handler: FetchHandler, options: HonoAdapterOptions = {}): Handler {
  const onError = options.onError ?? logError;
  return async (c) => answer(c, handler, onError);
}

/**
 * The token endpoint (RFC 6749 §3.2) of an {@link AuthorizationServer} as a Hono handler.
 *
 * @example
 * ```ts
 * app.post('/token', tokenEndpoint(server));
 * ```
 */
export function tokenEndpoint(server: Pick<AuthorizationServer, 'handleTokenRequest'>, options: HonoAdapterOptions = {}): Handler {
  return toHonoHandler((request) => server.handleTokenRequest(request), options);
}

/**
 * Hono middleware that serves every machine-to-machine endpoint of an {@link AuthorizationServer} at the paths its
 * metadata announces (token, revocation, introspection, device authorization, JWKS, RFC 8414 metadata) and passes
 * every other request on.
 *
 * @example
 * ```ts
 * app.use(oauthEndpoints(server));
 * ```
 */
export function oauthEndpoints(server: RoutableServer, options: HonoAdapterOptions = {}): MiddlewareHandler {
  const onError = options.onError ?? logError;
  const routes = lazyRouteTable(server);
  return async (c, next) => {
    let handler;
    try {
      handler = (await routes()).get(c.req.path);
    } catch (error) {
      // The server could not build its metadata (a configuration error): logged, never sent.
      onError(error);
      return OAuthError.serverError().toResponse();
    }
    if (!handler) return next();
    return answer(c, handler, onError);
  };
}

/**
 * Hono middleware that lets a request through only with a valid bearer access token (RFC 6750 §2.1) and sets its
 * claims as `c.get('accessToken')`; otherwise it answers with the RFC 6750 §3 error and challenge.
 *
 * @example
 * ```ts
 * const rs = await ResourceServer.forAuthorizationServer(server);
 * app.get('/api/me', requireBearerToken(rs, { scopes: ['read'] }), (c) => c.json({ sub: c.get('accessToken').sub }));
 * ```
 */
export function requireBearerToken<Claims extends { scope?: string }>(
  validator: BearerTokenValidator<Claims>,
  options: BearerTokenOptions = {},
): MiddlewareHandler<{ Variables: { accessToken: Claims } }> {
  const onError = options.onError ?? logError;
  return async (c, next) => {
    // Mounted for the whole app (`app.use`), it serves the resource's metadata (RFC 9728 §3) without a token.
    const metadata = respondToProtectedResourceMetadataRequest(validator, c.req.method, c.req.path);
    if (metadata) return metadata;
    const check = await checkBearerToken(validator, c.req.raw, onError, options.scopes);
    if (!check.ok) return check.response;
    c.set('accessToken', check.claims);
    await next();
    return undefined;
  };
}

/**
 * Hono middleware that answers `GET /.well-known/oauth-protected-resource` and the path form of RFC 9728 §3.1
 * (`/.well-known/oauth-protected-resource/mcp` for `https://api.example.com/mcp`) with the resource server's
 * metadata document, and passes every other request on.
 *
 * @example
 * ```ts
 * const rs = await ResourceServer.forAuthorizationServer(server, { resource: 'https://api.example.com/mcp' });
 * app.use(protectedResourceMetadata(rs));
 * app.post('/mcp', requireBearerToken(rs), mcpHandler);
 * ```
 */
export function protectedResourceMetadata(source: ProtectedResourceMetadataSource): MiddlewareHandler {
  if (source.resourceMetadataUrl === undefined) throw new TypeError('grantry: protectedResourceMetadata needs a ResourceServer with a resource');
  return async (c, next) => {
    const metadata = respondToProtectedResourceMetadataRequest(source, c.req.method, c.req.path);
    if (metadata) return metadata;
    await next();
    return undefined;
  };
}
