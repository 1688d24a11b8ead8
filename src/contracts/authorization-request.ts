import type { Params } from './form.js';
import type { ServerContext } from './server-context.js';
import type { Client, User } from './types.js';
import type { Grant } from './grant.js';
import type { CodeChallengeMethod } from './types.js';

/**
 * The `response_type` values grantry serves at the authorization endpoint (RFC 6749 §3.1.1).
 *
 * @example
 * ```ts
 * const authRequest = await server.validateAuthorizationRequest(request);
 * const type: AuthorizationResponseType = authRequest.responseType; // 'code' or 'token'
 * ```
 */
export type AuthorizationResponseType = 'code' | 'token';

/**
 * A validated authorization request (RFC 6749 §4.1.1 / §4.2.1), as `validateAuthorizationRequest` returns it.
 * Plain JSON data: keep it server-side (a session) while the user logs in and consents, then hand it to
 * `completeAuthorizationRequest`, which checks the client and redirect URI again.
 *
 * @example
 * ```ts
 * const authRequest = await server.validateAuthorizationRequest(request);
 * session.authRequest = JSON.stringify(authRequest);
 * // … render a consent page listing authRequest.clientName and authRequest.scopes
 * ```
 */
export interface AuthorizationRequest {
  readonly responseType: AuthorizationResponseType;
  readonly clientId: string;
  /** For the consent page. */
  readonly clientName: string;
  /** The redirect URI the response goes to (the requested one, or the only registered one). */
  readonly redirectUri: string;
  /** Whether `redirect_uri` was sent: RFC 6749 §4.1.3 then requires the same value at the token endpoint. */
  readonly redirectUriSent: boolean;
  /** The scopes asked for, after validation (the defaults when none were named). */
  readonly scopes: readonly string[];
  /** The resources asked for (RFC 8707 `resource`), validated; absent when none were named. */
  readonly resources?: readonly string[];
  readonly state?: string;
  readonly codeChallenge?: string;
  readonly codeChallengeMethod?: CodeChallengeMethod;
  /** RFC 9449 §10 `dpop_jkt`: the thumbprint of the DPoP key the code will be bound to. */
  readonly dpopJkt?: string;
  /** The stored id of the pushed request it came from (RFC 9126); completing the request consumes it. */
  readonly pushedRequestId?: string;
}

/**
 * What an authorization-endpoint grant gets when the user approved.
 *
 * @example
 * ```ts
 * // What an AuthorizationResponder's approve() receives once the user consented:
 * const approve: AuthorizationResponder['approve'] = async ({ client, user, scopes, authRequest }: ApprovedAuthorization) => ({
 *   code: await mintCode({ clientId: client.id, userId: user.id, scopes, redirectUri: authRequest.redirectUri }), // your code store
 * });
 * ```
 */
export interface ApprovedAuthorization {
  readonly server: ServerContext;
  readonly client: Client;
  readonly user: User;
  readonly authRequest: AuthorizationRequest;
  /** The final scopes (after the scope repository's finalize hook saw the user). */
  readonly scopes: readonly string[];
  /** The resources (RFC 8707) the authorization is for: the code keeps them, an implicit token's `aud`. */
  readonly resources?: readonly string[] | undefined;
  /** The access-token lifetime, in seconds: the grant's, or the resources' own (RFC 8707). */
  readonly accessTokenTTL: number;
}

/**
 * A grant served at the authorization endpoint (`response_type=code` or `token`). The endpoint does the shared
 * checks (client, redirect URI, scope); the grant adds its own and builds the response parameters.
 *
 * @example
 * ```ts
 * const grant = server.getGrant('authorization_code');
 * if (grant && isAuthorizationResponder(grant)) grant.responseType; // 'code'
 * ```
 */
export interface AuthorizationResponder extends Grant {
  readonly responseType: AuthorizationResponseType;
  /** Where the response parameters go: the query for codes, the fragment for implicit tokens (RFC 6749 §4.2.2). */
  readonly responseMode: 'query' | 'fragment';
  /** Grant-specific checks of the request (PKCE for codes); throws an `OAuthError` to redirect back with. */
  checkAuthorizationParams(params: Params, client: Client): Pick<AuthorizationRequest, 'codeChallenge' | 'codeChallengeMethod'>;
  /** The parameters of the successful authorization response (`state` and `iss` are added by the endpoint). */
  approve(approved: ApprovedAuthorization): Promise<Record<string, string>>;
}

/**
 * Whether a grant is served at the authorization endpoint.
 *
 * @example
 * ```ts
 * if (isAuthorizationResponder(grant)) console.log(grant.responseType);
 * ```
 */
export function isAuthorizationResponder(grant: Grant): grant is AuthorizationResponder {
  return 'responseType' in grant && 'approve' in grant;
}
