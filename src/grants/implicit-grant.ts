import { OAuthError } from '../contracts/oauth-error.js';
import type { ApprovedAuthorization, AuthorizationRequest, AuthorizationResponder } from '../contracts/authorization-request.js';
import type { TokenResponseBody } from '../contracts/grant.js';
import { issueTokens } from './issue-tokens.js';

/**
 * The implicit grant (RFC 6749 §4.2), for legacy browser apps only: RFC 9700 §2.1.2 says clients "SHOULD NOT use
 * the implicit grant". Off unless enabled; it answers `response_type=token` at the authorization endpoint with the
 * access token in the redirect URI's fragment, and never issues a refresh token (RFC 6749 §4.2.2).
 *
 * @example
 * ```ts
 * server.enableGrantType(new ImplicitGrant(), 'PT15M'); // the client must also list 'implicit' in grantTypes
 * ```
 */
export class ImplicitGrant implements AuthorizationResponder {
  readonly grantType = 'implicit';
  readonly responseType = 'token';
  readonly responseMode = 'fragment';
  readonly allowsPublicClients = true;

  /** Implicit has no extra parameters: PKCE does not apply (no code, RFC 7636 §1). */
  checkAuthorizationParams(): Pick<AuthorizationRequest, 'codeChallenge' | 'codeChallengeMethod'> {
    return {};
  }

  /** RFC 6749 §4.2.2: access_token, token_type, expires_in and scope, in the fragment; no refresh token. */
  async approve({ server, client, user, scopes, resources, accessTokenTTL }: ApprovedAuthorization): Promise<Record<string, string>> {
    const body = await issueTokens({ server, client, accessTokenTTL }, { userId: user.id, scopes, resources, grantType: this.grantType });
    return {
      access_token: body.access_token,
      token_type: body.token_type,
      expires_in: String(body.expires_in),
      // RFC 6749 §3.3: no empty scope value; nothing granted, nothing stated.
      ...(scopes.length > 0 ? { scope: scopes.join(' ') } : {}),
    };
  }

  /** There is no `grant_type=implicit` at the token endpoint (RFC 6749 §4.2). */
  respondToAccessTokenRequest(): Promise<TokenResponseBody> {
    return Promise.reject(OAuthError.unsupportedGrantType());
  }
}
