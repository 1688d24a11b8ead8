import type { AccessTokenClaims } from '../tokens/verify-access-token.js';
import { BearerTokenError } from '../contracts/bearer-token-error.js';

/**
 * The scopes of an access token's claims (RFC 9068 §2.2.3: space-delimited `scope`).
 *
 * @example
 * ```ts
 * tokenScopes(claims); // ['read', 'write']
 * ```
 */
export function tokenScopes(claims: Pick<AccessTokenClaims, 'scope'>): string[] {
  return typeof claims.scope === 'string' ? claims.scope.split(' ').filter((s) => s !== '') : [];
}

/**
 * Throws `insufficient_scope` (RFC 6750 §3.1, 403 with the needed `scope` in the challenge) unless the token
 * carries every scope in `required`.
 *
 * @example
 * ```ts
 * const claims = await rs.validateAuthenticatedRequest(request);
 * requireScopes(claims, ['orders:write']);
 * ```
 */
export function requireScopes(
  claims: Pick<AccessTokenClaims, 'scope'>,
  required: readonly string[],
  options: { realm?: string; resourceMetadata?: string | undefined } = {},
): void {
  const granted = new Set(tokenScopes(claims));
  if (!required.every((s) => granted.has(s))) throw BearerTokenError.scopeRequired(required, undefined, options);
}
