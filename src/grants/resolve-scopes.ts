import { OAuthError } from '../contracts/oauth-error.js';
import type { ServerContext } from '../contracts/server-context.js';
import type { Client, GrantType } from '../contracts/types.js';

/** RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ), joined by single spaces. */
const SCOPE = /^[\x21\x23-\x5B\x5D-\x7E]+( [\x21\x23-\x5B\x5D-\x7E]+)*$/;

/**
 * What to resolve scopes against.
 *
 * @example
 * ```ts
 * // On refresh: an omitted scope means the original grant, a wider one is invalid_scope (RFC 6749 §6).
 * const scopes = await resolveScopes({ server, client, grantType: 'refresh_token', userId: record.userId,
 *   requested: params.get('scope'), granted: record.scopes } satisfies ResolveScopesOptions);
 * ```
 */
export interface ResolveScopesOptions {
  readonly server: ServerContext;
  readonly client: Client;
  readonly grantType: GrantType;
  readonly userId: string | undefined;
  /** The `scope` parameter as sent, if any. */
  readonly requested: string | undefined;
  /**
   * The ceiling: the scopes originally granted (refresh, code). A requested scope outside it is `invalid_scope`
   * (RFC 6749 §6), and an omitted `scope` means all of it.
   */
  readonly granted?: readonly string[];
  /**
   * Run the scope repository's finalize hook (default `true`). `false` only validates: for checks made before the
   * user is known (the authorization endpoint), where the hook runs later with the user.
   */
  readonly finalize?: boolean;
}

/**
 * Validates and finalizes the scopes of a grant: syntax (RFC 6749 §3.3), known to the server, allowed for the
 * client, within the original grant; an omitted scope falls back to the original grant or the default scopes.
 * The repository's finalize hook may then narrow (never widen) the result.
 *
 * @example
 * ```ts
 * const scopes = await resolveScopes({ server, client, grantType: 'client_credentials', userId: undefined,
 *   requested: params.get('scope') });
 * ```
 */
export async function resolveScopes(options: ResolveScopesOptions): Promise<string[]> {
  const { server, client, grantType, userId, requested, granted } = options;
  let scopes: string[];
  if (requested === undefined) {
    scopes = granted ? [...granted] : [...((await server.scopes.defaultScopes?.(client)) ?? [])];
    // The defaults stand in for a request, so they are held to the client's registration like one (RFC 6749 §3.3:
    // the server "MAY fully or partially ignore the scope requested by the client, based on the authorization
    // server policy").
    if (!granted && client.scopes.length > 0) scopes = scopes.filter((s) => client.scopes.includes(s));
  } else {
    if (!SCOPE.test(requested)) throw OAuthError.invalidScope('The scope parameter is malformed.');
    scopes = [...new Set(requested.split(' '))];
    if (granted) {
      if (scopes.some((s) => !granted.includes(s))) throw OAuthError.invalidScope('A requested scope exceeds the original grant.');
    } else {
      const known = await server.scopes.getScopes(scopes);
      if (known.length !== scopes.length) throw OAuthError.invalidScope('A requested scope is unknown.');
      if (client.scopes.length > 0 && scopes.some((s) => !client.scopes.includes(s))) {
        throw OAuthError.invalidScope('A requested scope is not allowed for this client.');
      }
    }
  }
  if (server.scopes.finalizeScopes && options.finalize !== false) {
    const finalized = await server.scopes.finalizeScopes(scopes, { grantType, client, userId });
    // The hook may narrow the grant, never widen it.
    scopes = scopes.filter((s) => finalized.includes(s));
  }
  return scopes;
}
