import type { EndpointContext } from './endpoint-options.js';
import { publicJson } from './metadata.js';

/**
 * The JWKS endpoint (RFC 7517 §5): the public keys of every published signing key, the active one and those being
 * introduced or retired, each with its own `kid` and `alg`. Never a private member.
 *
 * @example
 * ```ts
 * if (url.pathname === '/.well-known/jwks.json') return respondWithJwks(request, ctx);
 * ```
 */
export function respondWithJwks(request: Request, ctx: EndpointContext): Response {
  // RFC 7517 §8.5: the JWK Set media type.
  return publicJson(request, ctx.server.signingKeys.jwks(), ctx.options.publicCacheMaxAge ?? 300, 'application/jwk-set+json');
}
