import type { Readable } from 'node:stream';
import type { FastifyError, FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { AuthorizationServer } from '../core/authorization-server.js';
import { OAuthError } from '../contracts/oauth-error.js';
import type { AccessTokenClaims } from '../tokens/verify-access-token.js';
import { closeIfBodyUnread } from './close-if-body-unread.js';
import { checkBearerHeader, checkBearerToken, isDpopScheme, type BearerTokenOptions, type BearerTokenValidator } from './bearer-token.js';
import { callHandler, resolveAdapterOptions, type AdapterOptions, type FetchHandler } from './fetch-handler.js';
import { RawHeaderReader, toFetchRequest, toPlainRequest } from './node-request.js';
import { responseBody } from './node-response.js';
import { oauthRouteTable, plainRouteTable, plainTokenHandler, type RoutableServer } from './oauth-routes.js';
import { plainError, type PlainRequest, type PlainResult } from '../contracts/plain-request.js';
import {
  PROTECTED_RESOURCE_METADATA_PATH,
  respondToProtectedResourceMetadataRequest,
  type ProtectedResourceMetadataSource,
} from '../core/protected-resource-metadata.js';

export type { AdapterOptions, FetchHandler } from './fetch-handler.js';
export type { BearerTokenOptions, BearerTokenValidator } from './bearer-token.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The claims of the request's bearer access token, once {@link requireBearerToken} let it through. */
    accessToken?: AccessTokenClaims;
  }
}

const unreadable = (status = 400): Response =>
  new OAuthError('invalid_request', 'The HTTP request could not be read.', { status }).toResponse();

/**
 * Prepares an encapsulated Fastify context for Fetch handlers: Fastify's body parsers are replaced by one that
 * leaves every body unread, whatever its content type, so that the core reads the raw form itself (RFC 6749 §3.2
 * rules, its own size limit); and Fastify's own refusals (a malformed `Content-Type`) become OAuth JSON errors.
 * Call it inside a plugin registered without `fastify-plugin`, so that the rest of the app keeps its parsers.
 *
 * @example
 * ```ts
 * await app.register(async (scope) => {
 *   useFetchBodies(scope);
 *   scope.post('/token', toFastifyHandler((request) => server.handleTokenRequest(request)));
 * });
 * ```
 */
export function useFetchBodies(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request: FastifyRequest, payload: Readable, done: (err: Error | null, body?: unknown) => void) =>
    done(null, payload),
  );
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode ?? 500;
    closeIfBodyUnread(request.raw, reply.raw);
    // Fastify's own body limit (FST_ERR_CTP_BODY_TOO_LARGE) is the OAuth 413 of the core's limit.
    if (status === 413) return reply.send(new OAuthError('invalid_request', 'The request body is too large.', { status }).toResponse());
    if (status >= 400 && status < 500) return reply.send(unreadable(status));
    reply.log.error(error);
    return reply.send(OAuthError.serverError().toResponse());
  });
}

/** The body stream a route's content-type parser left, unless it is the raw message itself (then read it fast). */
function bodyStream(request: FastifyRequest): Readable | undefined {
  const body = request.body as { pipe?: unknown } | undefined;
  return body !== undefined && body !== request.raw && typeof body.pipe === 'function' ? (body as Readable) : undefined;
}

/**
 * Turns a Fetch handler into a Fastify route handler. Mount it in a context prepared by {@link useFetchBodies}.
 *
 * @example
 * ```ts
 * scope.post('/token', toFastifyHandler((request) => server.handleTokenRequest(request)));
 * ```
 */
export function toFastifyHandler(handler: FetchHandler, options: AdapterOptions = {}): (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply> {
  const resolved = resolveAdapterOptions(options);
  return async (request, reply) => {
    let fetchRequest: Request;
    try {
      fetchRequest = await toFetchRequest(request.raw, resolved, { url: request.url, body: bodyStream(request) });
    } catch {
      return sendResponse(reply, unreadable());
    }
    return sendResponse(reply, await callHandler(handler, fetchRequest, resolved.onError));
  };
}

type FastifyRouteHandler = (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply>;

/**
 * A route that hands a stock {@link AuthorizationServer}'s endpoint a {@link PlainRequest} (no `Request`, `Headers`
 * or web stream; the body read whole from the raw message) and sends its {@link PlainResult} through the reply, as
 * the node:http and Express adapters do. A request the plain path does not take (not a POST, a chunked or large
 * body, a body a hook replaced) goes through `handler` on the Fetch path.
 */
function plainRoute(
  plain: (request: PlainRequest) => Promise<PlainResult>,
  handler: FetchHandler,
  options: AdapterOptions,
): FastifyRouteHandler {
  const resolved = resolveAdapterOptions(options);
  const viaFetch = toFastifyHandler(handler, options);
  return async (request, reply) => {
    let plainRequest: PlainRequest | undefined;
    try {
      plainRequest = await toPlainRequest(request.raw, resolved, { url: request.url, body: bodyStream(request) });
    } catch {
      return sendResponse(reply, unreadable());
    }
    if (plainRequest === undefined) return viaFetch(request, reply);
    let result: PlainResult;
    try {
      result = await plain(plainRequest);
    } catch (error) {
      resolved.onError(error);
      result = plainError(OAuthError.serverError());
    }
    return sendPlainResult(reply, result);
  };
}

/** A core {@link PlainResult} through Fastify's reply: its JSON text as it is (Fastify adds the Content-Length). */
function sendPlainResult(reply: FastifyReply, result: PlainResult): FastifyReply {
  closeIfBodyUnread(reply.request.raw, reply.raw, bodyStream(reply.request));
  void reply.code(result.status).headers(result.headers);
  return result.body === '' ? reply.send() : reply.send(result.body);
}

/** Status, headers and body through Fastify's reply, an in-memory body as a Buffer so that it gets a Content-Length. */
async function sendResponse(reply: FastifyReply, response: Response): Promise<FastifyReply> {
  // A body the handler left unread: `Connection: close`, unless all of it has arrived (see closeIfBodyUnread).
  closeIfBodyUnread(reply.request.raw, reply.raw, bodyStream(reply.request));
  void reply.code(response.status);
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie') void reply.header(name, value);
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) void reply.header('set-cookie', cookies);
  const body = await responseBody(response);
  if (body === null) return reply.send();
  return reply.send(body instanceof Uint8Array ? Buffer.from(body.buffer, body.byteOffset, body.byteLength) : body);
}

/**
 * Options of {@link tokenEndpointPlugin}.
 *
 * @example
 * ```ts
 * await app.register(tokenEndpointPlugin, { server, path: '/oauth/token', baseUrl: 'https://auth.example.com' });
 * ```
 */
export interface TokenEndpointPluginOptions extends AdapterOptions {
  server: Pick<AuthorizationServer, 'handleTokenRequest'>;
  /** The path of the token endpoint within the plugin's prefix (default `/token`). */
  path?: string;
}

/**
 * A Fastify plugin that serves the token endpoint (RFC 6749 §3.2) of an {@link AuthorizationServer}, in its own
 * encapsulated context (see {@link useFetchBodies}).
 *
 * @example
 * ```ts
 * import Fastify from 'fastify';
 * import { tokenEndpointPlugin } from 'grantry/http/fastify';
 *
 * const app = Fastify();
 * await app.register(tokenEndpointPlugin, { server, path: '/token' });
 * ```
 */
export const tokenEndpointPlugin: FastifyPluginAsync<TokenEndpointPluginOptions> = async (app, options) => {
  const { server, path = '/token', ...adapter } = options;
  useFetchBodies(app);
  const handler: FetchHandler = (request) => server.handleTokenRequest(request);
  const plain = plainTokenHandler(server);
  app.post(path, plain ? plainRoute(plain, handler, adapter) : toFastifyHandler(handler, adapter));
};

/**
 * Options of {@link oauthEndpointsPlugin}.
 *
 * @example
 * ```ts
 * await app.register(oauthEndpointsPlugin, { server, baseUrl: 'https://auth.example.com' });
 * ```
 */
export interface OAuthEndpointsPluginOptions extends AdapterOptions {
  server: RoutableServer;
}

/**
 * A Fastify plugin that serves every machine-to-machine endpoint of an {@link AuthorizationServer} at the paths
 * its metadata announces (token, revocation, introspection, device authorization, JWKS, RFC 8414 metadata), in its
 * own encapsulated context (see {@link useFetchBodies}). Register it without a prefix, after enabling the grants.
 *
 * @example
 * ```ts
 * await app.register(oauthEndpointsPlugin, { server });
 * ```
 */
export const oauthEndpointsPlugin: FastifyPluginAsync<OAuthEndpointsPluginOptions> = async (app, options) => {
  const { server, ...adapter } = options;
  useFetchBodies(app);
  const [routes, plain] = await Promise.all([oauthRouteTable(server), plainRouteTable(server)]);
  for (const [path, handler] of routes) {
    const fast = plain.get(path);
    app.all(path, fast ? plainRoute(fast, handler, adapter) : toFastifyHandler(handler, adapter));
  }
  // RFC 7592 §2: the client configuration endpoints, /register/{client_id}, go to the registration handler too.
  const registration = routes.registrationPath === undefined ? undefined : routes.get(routes.registrationPath);
  if (registration) app.all(`${routes.registrationPath!}/:clientId`, toFastifyHandler(registration, adapter));
};

/**
 * A Fastify `preHandler` hook that lets a request through only with a valid bearer access token (RFC 6750 §2.1)
 * and puts its claims in `request.accessToken`; otherwise it answers with the RFC 6750 §3 error and challenge.
 *
 * @example
 * ```ts
 * const rs = await ResourceServer.forAuthorizationServer(server);
 * app.get('/api/me', { preHandler: requireBearerToken(rs, { scopes: ['read'] }) }, async (request) => ({ sub: request.accessToken?.sub }));
 * ```
 */
export function requireBearerToken(
  validator: BearerTokenValidator<AccessTokenClaims>,
  options: AdapterOptions & BearerTokenOptions = {},
): (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined> {
  const resolved = resolveAdapterOptions(options);
  const byHeader = typeof validator.validateAuthorization === 'function' ? (validator as Required<typeof validator>) : undefined;
  return async (request, reply) => {
    // As a hook over the metadata routes too, it lets the resource's metadata (RFC 9728 §3) through without a token.
    const metadata = respondToProtectedResourceMetadataRequest(validator, request.method, request.url.split('?', 1)[0]!);
    if (metadata) return sendResponse(reply, metadata);
    const authorization = new RawHeaderReader(request.raw.rawHeaders).get('authorization');
    // A DPoP token (RFC 9449 §7) is checked against the whole request (method, URL, proof): the Request path.
    if (byHeader && !isDpopScheme(authorization)) {
      // The header's value alone: no Request (RawHeaderReader joins a repeated header as the Fetch API would).
      const check = await checkBearerHeader(byHeader, authorization, resolved.onError, options.scopes);
      if (!check.ok) return sendResponse(reply, check.response);
      request.accessToken = check.claims;
      return undefined;
    }
    let fetchRequest: Request;
    try {
      fetchRequest = await toFetchRequest(request.raw, resolved, { url: request.url, bytes: null });
    } catch {
      return sendResponse(reply, unreadable());
    }
    const check = await checkBearerToken(validator, fetchRequest, resolved.onError, options.scopes);
    // Fastify: an async hook that answers early sends and returns the reply.
    if (!check.ok) return sendResponse(reply, check.response);
    request.accessToken = check.claims;
    return undefined;
  };
}

/**
 * Options of {@link protectedResourceMetadataPlugin}.
 *
 * @example
 * ```ts
 * const options: ProtectedResourceMetadataPluginOptions = { resourceServer: rs };
 * await app.register(protectedResourceMetadataPlugin, options);
 * ```
 */
export interface ProtectedResourceMetadataPluginOptions {
  /** A `ResourceServer` with a `resource` (or any source of the document). */
  resourceServer: ProtectedResourceMetadataSource;
}

/**
 * A Fastify plugin serving the resource server's metadata (RFC 9728): `GET /.well-known/oauth-protected-resource`
 * and the path form of §3.1 (`/.well-known/oauth-protected-resource/mcp` for `https://api.example.com/mcp`).
 *
 * @example
 * ```ts
 * const rs = await ResourceServer.forAuthorizationServer(server, { resource: 'https://api.example.com/mcp' });
 * await app.register(protectedResourceMetadataPlugin, { resourceServer: rs });
 * app.post('/mcp', { preHandler: requireBearerToken(rs) }, mcpHandler);
 * ```
 */
export const protectedResourceMetadataPlugin: FastifyPluginAsync<ProtectedResourceMetadataPluginOptions> = async (app, options) => {
  const source = options.resourceServer;
  const url = source.resourceMetadataUrl;
  if (url === undefined) throw new TypeError('grantry: protectedResourceMetadataPlugin needs a ResourceServer with a resource');
  const paths = [...new Set([new URL(url).pathname, PROTECTED_RESOURCE_METADATA_PATH])];
  for (const path of paths) {
    app.get(path, async (request, reply) => {
      const metadata = respondToProtectedResourceMetadataRequest(source, request.method, path);
      return sendResponse(reply, metadata ?? new Response(null, { status: 404 }));
    });
  }
};
