import { OAuthError } from '../core/oauth-error.js';
import type { FetchHandler } from './fetch-handler.js';

/**
 * What the bearer middlewares need: a `ResourceServer`, or anything with its `validateAuthenticatedRequest`, which
 * resolves with the token's claims or throws an `OAuthError` whose `toResponse()` is the RFC 6750 §3 answer.
 */
export interface BearerTokenValidator<Claims> {
  validateAuthenticatedRequest(request: Request): Promise<Claims>;
}

/** The outcome of {@link checkBearerToken}: the claims, or the response that refuses the request. */
export type BearerTokenCheck<Claims> = { ok: true; claims: Claims } | { ok: false; response: Response };

/**
 * Validates a request's bearer token; every refusal becomes its RFC 6750 response (401/400/403 with
 * `WWW-Authenticate: Bearer`), an unexpected failure a bare `server_error` reported to `onError`.
 *
 * @example
 * ```ts
 * const check = await checkBearerToken(resourceServer, request, console.error);
 * if (!check.ok) return check.response;
 * ```
 */
export async function checkBearerToken<Claims>(
  validator: BearerTokenValidator<Claims>,
  request: Request,
  onError: (error: unknown) => void,
): Promise<BearerTokenCheck<Claims>> {
  try {
    return { ok: true, claims: await validator.validateAuthenticatedRequest(request) };
  } catch (error) {
    if (error instanceof OAuthError && error.code !== 'server_error') return { ok: false, response: error.toResponse() };
    onError(error);
    return { ok: false, response: OAuthError.serverError().toResponse() };
  }
}

/**
 * Wraps a Fetch handler so that it runs only with a valid bearer access token (RFC 6750 §2.1), and receives its
 * claims. Use it with the node:http adapter or any Fetch-API runtime.
 *
 * @example
 * ```ts
 * const rs = await ResourceServer.forAuthorizationServer(server);
 * const api = withBearerToken(rs, async (request, claims) => Response.json({ hello: claims.sub }));
 * http.createServer(toNodeHandler(api)).listen(8080);
 * ```
 */
export function withBearerToken<Claims>(
  validator: BearerTokenValidator<Claims>,
  handler: (request: Request, claims: Claims) => Promise<Response>,
  options: { onError?: (error: unknown) => void } = {},
): FetchHandler {
  const onError = options.onError ?? ((error: unknown) => console.error('grantry: bearer token check failed:', error instanceof Error ? error.message : error));
  return async (request) => {
    const check = await checkBearerToken(validator, request, onError);
    return check.ok ? handler(request, check.claims) : check.response;
  };
}
