import type { IncomingMessage, ServerResponse } from 'node:http';
import { OAuthError } from '../contracts/oauth-error.js';
import { respondToProtectedResourceMetadataRequest } from '../core/protected-resource-metadata.js';
import { logBearerError, type BearerTokenOptions, type BearerTokenValidator } from './bearer-token.js';
import { resolveAdapterOptions, type AdapterOptions } from './fetch-handler.js';
import { checkNodeBearer } from './node-bearer-check.js';
import { writeFetchResponse } from './node-response.js';
import { targetPath } from './oauth-routes.js';

/**
 * A node:http handler behind {@link bearerTokenListener}: the request, the response, and the claims of the access
 * token that let it through. What it returns is awaited (a rejection is answered 500) and otherwise ignored.
 *
 * @example
 * ```ts
 * const me: BearerRequestListener<AccessTokenClaims> = (req, res, claims) => res.end(claims.sub);
 * ```
 */
export type BearerRequestListener<Claims> = (req: IncomingMessage, res: ServerResponse, claims: Claims) => unknown;

/**
 * Protects a node:http handler with an access token (RFC 6750), without Fetch objects: the `Authorization`
 * header's value goes to the validator's header entry point (`validateAuthorization`), and `handler` is called with
 * node's own request and response. A missing, invalid or expired token is answered 401 with its `WWW-Authenticate`
 * challenge, too little scope 403 (`options.scopes`, RFC 6750 §3.1); the resource's metadata (RFC 9728 §3) is
 * served before any token is asked for. A `DPoP` token (RFC 9449 §7) is checked against the whole request (method,
 * URL, proof) as {@link withBearerToken} does. The Fetch-API twin is {@link withBearerToken}.
 *
 * @example
 * ```ts
 * const rs = await ResourceServer.forAuthorizationServer(server);
 * const api = bearerTokenListener(rs, (req, res, claims) => {
 *   res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ sub: claims.sub }));
 * });
 * http.createServer(oauthEndpointsListener(server, { fallback: api })).listen(8080);
 * ```
 */
export function bearerTokenListener<Claims extends { scope?: string }>(
  validator: BearerTokenValidator<Claims>,
  handler: BearerRequestListener<Claims>,
  options: AdapterOptions & BearerTokenOptions = {},
): (req: IncomingMessage, res: ServerResponse) => void {
  const resolved = resolveAdapterOptions(options);
  const onError = options.onError ?? logBearerError;
  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const metadata = respondToProtectedResourceMetadataRequest(validator, req.method ?? 'GET', targetPath(req.url));
    if (metadata) return writeFetchResponse(metadata, res);
    const check = await checkNodeBearer(validator, req, resolved, onError, options.scopes);
    if (!check.ok) return writeFetchResponse(check.response, res);
    await handler(req, res, check.claims);
  };
  // A fault (the handler's, or a write's) is reported and answered with a bare server_error, or a cut connection
  // once the head is out.
  return (req, res) =>
    void serve(req, res).catch(async (error: unknown) => {
      onError(error);
      if (res.headersSent) return void res.destroy();
      await writeFetchResponse(OAuthError.serverError().toResponse(), res).catch(() => void res.destroy());
    });
}
