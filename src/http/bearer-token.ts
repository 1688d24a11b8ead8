import { OAuthError } from '../contracts/oauth-error.js';
import { requireScopes } from '../core/require-scopes.js';
import {
  respondToProtectedResourceMetadataRequest,
  type ProtectedResourceMetadataSource,
} from '../core/protected-resource-metadata.js';
import type { FetchHandler } from './fetch-handler.js';

/**
 * What the bearer middlewares need: a `ResourceServer`, or anything with its `validateAuthenticatedRequest`, which
 * resolves with the token's claims or throws an `OAuthError` whose `toResponse()` is the RFC 6750 §3 answer.
 *
 * @example
 * ```ts
 * const validator: BearerTokenValidator<AccessTokenClaims> = await ResourceServer.forAuthorizationServer(server);
 * ```
 */
export interface BearerTokenValidator<Claims> extends ProtectedResourceMetadataSource {
  validateAuthenticatedRequest(request: Request): Promise<Claims>;
  /**
   * The same check from the `Authorization` header's value (a `ResourceServer` has it): the node:http-based
   * middlewares then build no `Request`.
   */
  validateAuthorization?(header: string | null | undefined): Promise<Claims>;
  /** The challenge parameters (`realm`, RFC 9728 `resource_metadata`) for the `insufficient_scope` answer. */
  challengeOptions?(): { realm?: string; resourceMetadata?: string | undefined };
}

/**
 * Options of the bearer-token middlewares.
 *
 * @example
 * ```ts
 * app.get('/api/orders', requireBearerToken(rs, { scopes: ['orders:read'], onError: (e) => log.error(e) }), listOrders);
 * ```
 */
export interface BearerTokenOptions {
  /** Scopes the token must all carry; otherwise 403 `insufficient_scope` naming them (RFC 6750 §3.1). */
  scopes?: readonly string[];
  /** Called with unexpected failures; the client gets a bare `server_error` (default: `console.error`). */
  onError?: (error: unknown) => void;
}

/**
 * The outcome of {@link checkBearerToken}: the claims, or the response that refuses the request.
 *
 * @example
 * ```ts
 * const check: BearerTokenCheck<AccessTokenClaims> = await checkBearerToken(rs, request, console.error);
 * if (!check.ok) return check.response;
 * ```
 */
export type BearerTokenCheck<Claims> = { ok: true; claims: Claims } | { ok: false; response: Response };

/**
 * Validates a request's bearer token; every refusal becomes its RFC 6750 response (401/400/403 with
 * `WWW-Authenticate: Bearer`), an unexpected failure a bare `server_error` reported to `onError`.
 *
 * @example
 * ```ts
 * const check = await checkBearerToken(resourceServer, request, console.error, ['read']);
 * if (!check.ok) return check.response;
 * ```
 */
export async function checkBearerToken<Claims extends { scope?: string }>(
  validator: BearerTokenValidator<Claims>,
  request: Request,
  onError: (error: unknown) => void,
  scopes: readonly string[] = [],
): Promise<BearerTokenCheck<Claims>> {
  return settle(() => validator.validateAuthenticatedRequest(request), onError, scopes, validator);
}

/**
 * {@link checkBearerToken} from the `Authorization` header's value, for middlewares without a `Request` (the
 * validator must have `validateAuthorization`).
 *
 * @example
 * ```ts
 * const check = await checkBearerHeader(resourceServer, req.headers.authorization, console.error, ['read']);
 * if (check.ok) res.locals.accessToken = check.claims;
 * ```
 */
export async function checkBearerHeader<Claims extends { scope?: string }>(
  validator: Required<Pick<BearerTokenValidator<Claims>, 'validateAuthorization'>> & Pick<BearerTokenValidator<Claims>, 'challengeOptions'>,
  header: string | null | undefined,
  onError: (error: unknown) => void,
  scopes: readonly string[] = [],
): Promise<BearerTokenCheck<Claims>> {
  return settle(() => validator.validateAuthorization(header), onError, scopes, validator);
}

async function settle<Claims extends { scope?: string }>(
  validate: () => Promise<Claims>,
  onError: (error: unknown) => void,
  scopes: readonly string[],
  validator: Pick<BearerTokenValidator<Claims>, 'challengeOptions'>,
): Promise<BearerTokenCheck<Claims>> {
  try {
    const claims = await validate();
    if (scopes.length > 0) requireScopes(claims, scopes, validator.challengeOptions?.() ?? {});
    return { ok: true, claims };
  } catch (error) {
    if (error instanceof OAuthError && error.code !== 'server_error') return { ok: false, response: error.toResponse() };
    onError(error);
    return { ok: false, response: OAuthError.serverError().toResponse() };
  }
}

/**
 * Wraps a Fetch handler so that it runs only with a valid bearer access token (RFC 6750 §2.1), and receives its
 * claims. Use it with the node:http adapter or any Fetch-API runtime. With a `ResourceServer` that has a
 * `resource`, it also answers `GET /.well-known/oauth-protected-resource[/path]` with the RFC 9728 document.
 *
 * @example
 * ```ts
 * const rs = await ResourceServer.forAuthorizationServer(server);
 * const api = withBearerToken(rs, async (request, claims) => Response.json({ hello: claims.sub }), { scopes: ['read'] });
 * http.createServer(toNodeHandler(api)).listen(8080);
 * ```
 */
export function withBearerToken<Claims extends { scope?: string }>(
  validator: BearerTokenValidator<Claims>,
  handler: (request: Request, claims: Claims) => Promise<Response>,
  options: BearerTokenOptions = {},
): FetchHandler {
  const onError = options.onError ?? logBearerError;
  return async (request) => {
    // RFC 9728 §3: the resource's metadata is public, served before any token is asked for.
    const metadata = respondToProtectedResourceMetadataRequest(validator, request.method, new URL(request.url).pathname);
    if (metadata) return metadata;
    const check = await checkBearerToken(validator, request, onError, options.scopes);
    return check.ok ? handler(request, check.claims) : check.response;
  };
}

/**
 * Whether an `Authorization` header uses the DPoP scheme (RFC 9449 §7.1), which the middlewares check on the whole
 * request rather than on the header alone.
 *
 * @example
 * ```ts
 * isDpopScheme('DPoP eyJ…'); // true
 * ```
 */
export function isDpopScheme(header: string | null | undefined): boolean {
  return typeof header === 'string' && /^dpop(\s|$)/i.test(header);
}

/**
 * The default `onError` of the bearer middlewares: one line, the message only.
 *
 * @example
 * ```ts
 * withBearerToken(rs, handler, { onError: logBearerError });
 * ```
 */
export function logBearerError(error: unknown): void {
  console.error('grantry: bearer token check failed:', error instanceof Error ? error.message : error);
}
