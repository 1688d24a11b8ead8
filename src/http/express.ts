import type { Request as ExpressRequest, RequestHandler } from 'express';
import type { AuthorizationServer } from '../core/authorization-server.js';
import { OAuthError } from '../contracts/oauth-error.js';
import type { AccessTokenClaims } from '../tokens/verify-access-token.js';
import type { BearerTokenOptions, BearerTokenValidator } from './bearer-token.js';
import { resolveAdapterOptions, type AdapterOptions, type FetchHandler } from './fetch-handler.js';
import { serveNodeRequest, servePlainRequest } from './serve-node-request.js';
import { checkNodeBearer } from './node-bearer-check.js';
import { writeFetchResponse } from './node-response.js';
import { respondToProtectedResourceMetadataRequest, type ProtectedResourceMetadataSource } from '../core/protected-resource-metadata.js';
import { lazyRouteTables, plainTokenHandler, targetPath, type RoutableServer } from './oauth-routes.js';

export type { AdapterOptions, FetchHandler } from './fetch-handler.js';
export type { BearerTokenOptions, BearerTokenValidator } from './bearer-token.js';

declare module 'express-serve-static-core' {
  interface Locals {
    /** The claims of the request's bearer access token, once {@link requireBearerToken} let it through. */
    accessToken?: AccessTokenClaims;
  }
}

/**
 * The body an Express body parser already read, if one ran: a `Buffer` (`express.raw()`), a string
 * (`express.text()`) or fields (`express.urlencoded()`, re-encoded with repeated names kept so that the core still
 * refuses them). `undefined` when the body is still unread on the socket.
 */
function parsedBody(req: ExpressRequest): Uint8Array | undefined {
  const body: unknown = req.body;
  if (body === undefined || !req.readableEnded) return undefined;
  if (body instanceof Uint8Array) return body;
  if (typeof body === 'string') return new TextEncoder().encode(body);
  const form = new URLSearchParams();
  if (body !== null && typeof body === 'object') {
    for (const [name, value] of Object.entries(body)) {
      for (const item of Array.isArray(value) ? (value as unknown[]) : [value]) {
        if (typeof item === 'string') form.append(name, item);
      }
    }
  }
  return new TextEncoder().encode(form.toString());
}

/**
 * Mounts a Fetch handler on Express 5. Mount it before any body parser (or where none runs) so that the core
 * reads the raw form body itself; a body an Express parser already read is passed on as well as it can be.
 *
 * @example
 * ```ts
 * import express from 'express';
 * import { toExpressHandler } from 'grantry/http/express';
 *
 * const app = express();
 * app.post('/token', toExpressHandler((request) => server.handleTokenRequest(request)));
 * ```
 */
export function toExpressHandler(handler: FetchHandler, options: AdapterOptions = {}): RequestHandler {
  const resolved = resolveAdapterOptions(options);
  return (req, res) => serveNodeRequest(handler, req, res, resolved, { url: req.originalUrl, bytes: parsedBody(req) });
}

/**
 * The token endpoint (RFC 6749 §3.2) of an {@link AuthorizationServer} as an Express handler.
 *
 * @example
 * ```ts
 * app.post('/token', tokenEndpoint(server));
 * ```
 */
export function tokenEndpoint(server: Pick<AuthorizationServer, 'handleTokenRequest'>, options: AdapterOptions = {}): RequestHandler {
  const handler: FetchHandler = (request) => server.handleTokenRequest(request);
  const plain = plainTokenHandler(server);
  if (!plain) return toExpressHandler(handler, options);
  const resolved = resolveAdapterOptions(options);
  return (req, res) => servePlainRequest(plain, handler, req, res, resolved, { url: req.originalUrl, bytes: parsedBody(req) });
}

/**
 * Express middleware that serves every machine-to-machine endpoint of an {@link AuthorizationServer} at the paths
 * its metadata announces (token, revocation, introspection, device authorization, JWKS, RFC 8414 metadata) and
 * passes every other request on. Paths are matched on `req.originalUrl`, so mount it at the root.
 *
 * @example
 * ```ts
 * app.use(oauthEndpoints(server)); // before any body parser
 * ```
 */
export function oauthEndpoints(server: RoutableServer, options: AdapterOptions = {}): RequestHandler {
  const resolved = resolveAdapterOptions(options);
  const routes = lazyRouteTables(server);
  return async (req, res, next) => {
    let handler, fast;
    try {
      const { fetch, plain } = await routes();
      const path = targetPath(req.originalUrl);
      handler = fetch.get(path);
      fast = plain.get(path);
    } catch (error) {
      // The server could not build its metadata (a configuration error): logged, never sent.
      resolved.onError(error);
      return writeFetchResponse(OAuthError.serverError().toResponse(), res);
    }
    if (!handler) return next();
    const source = { url: req.originalUrl, bytes: parsedBody(req) };
    return fast ? servePlainRequest(fast, handler, req, res, resolved, source) : serveNodeRequest(handler, req, res, resolved, source);
  };
}

/**
 * Express middleware that lets a request through only with a valid bearer access token (RFC 6750 §2.1) and puts
 * its claims in `res.locals.accessToken`; otherwise it answers with the RFC 6750 §3 error and challenge.
 *
 * @example
 * ```ts
 * const rs = await ResourceServer.forAuthorizationServer(server);
 * app.get('/api/me', requireBearerToken(rs, { scopes: ['read'] }), (req, res) => res.json({ sub: res.locals.accessToken?.sub }));
 * ```
 */
export function requireBearerToken(
  validator: BearerTokenValidator<AccessTokenClaims>,
  options: AdapterOptions & BearerTokenOptions = {},
): RequestHandler {
  const resolved = resolveAdapterOptions(options);
  return async (req, res, next) => {
    // Mounted for the whole app (`app.use`), it serves the resource's metadata (RFC 9728 §3) without a token.
    const metadata = respondToProtectedResourceMetadataRequest(validator, req.method, req.path);
    if (metadata) return writeFetchResponse(metadata, res);
    const check = await checkNodeBearer(validator, req, resolved, resolved.onError, options.scopes, req.originalUrl);
    if (!check.ok) return writeFetchResponse(check.response, res);
    res.locals.accessToken = check.claims;
    next();
  };
}

/**
 * Express middleware that answers `GET /.well-known/oauth-protected-resource` and the path form of RFC 9728 §3.1
 * (`/.well-known/oauth-protected-resource/mcp` for `https://api.example.com/mcp`) with the resource server's
 * metadata document, and passes every other request on. For apps whose bearer middleware guards single routes.
 *
 * @example
 * ```ts
 * const rs = await ResourceServer.forAuthorizationServer(server, { resource: 'https://api.example.com/mcp' });
 * app.use(protectedResourceMetadata(rs));
 * app.post('/mcp', requireBearerToken(rs), mcpHandler);
 * ```
 */
export function protectedResourceMetadata(source: ProtectedResourceMetadataSource): RequestHandler {
  if (source.resourceMetadataUrl === undefined) throw new TypeError('grantry: protectedResourceMetadata needs a ResourceServer with a resource');
  return async (req, res, next) => {
    const metadata = respondToProtectedResourceMetadataRequest(source, req.method, req.path);
    if (metadata) return writeFetchResponse(metadata, res);
    return next();
  };
}
