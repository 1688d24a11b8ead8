import type { IncomingMessage } from 'node:http';
import { OAuthError } from '../contracts/oauth-error.js';
import { checkBearerHeader, checkBearerToken, isDpopScheme, type BearerTokenCheck, type BearerTokenValidator } from './bearer-token.js';
import type { ResolvedAdapterOptions } from './fetch-handler.js';
import { RawHeaderReader, toFetchRequest } from './node-request.js';

/**
 * The bearer check of a node:http request, shared by the node:http and Express middlewares: the `Authorization`
 * header's value alone through the validator's header entry point (no `Request`), or, for a `DPoP` token (RFC 9449
 * §7) or a validator without that entry point, the whole request as a headers-only Fetch `Request` (the body stays
 * on the socket for the handler). A request that cannot be read is refused with `invalid_request`.
 *
 * @example
 * ```ts
 * const check = await checkNodeBearer(rs, req, resolved, onError, ['read']);
 * if (!check.ok) return writeFetchResponse(check.response, res);
 * ```
 */
export async function checkNodeBearer<Claims extends { scope?: string }>(
  validator: BearerTokenValidator<Claims>,
  req: IncomingMessage,
  resolved: ResolvedAdapterOptions,
  onError: (error: unknown) => void,
  scopes: readonly string[] = [],
  url?: string,
): Promise<BearerTokenCheck<Claims>> {
  const authorization = new RawHeaderReader(req.rawHeaders).get('authorization');
  if (typeof validator.validateAuthorization === 'function' && !isDpopScheme(authorization)) {
    return checkBearerHeader(validator as Required<Pick<BearerTokenValidator<Claims>, 'validateAuthorization'>> & BearerTokenValidator<Claims>, authorization, onError, scopes);
  }
  let request: Request;
  try {
    request = await toFetchRequest(req, resolved, { ...(url === undefined ? {} : { url }), bytes: null });
  } catch {
    return { ok: false, response: OAuthError.invalidRequest('The HTTP request could not be read.').toResponse() };
  }
  return checkBearerToken(validator, request, onError, scopes);
}
