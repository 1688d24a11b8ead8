import { OAuthError, type OAuthErrorCode } from './oauth-error.js';

/**
 * Where an authorization response goes back to the client (RFC 6749 §4.1.2 / §4.2.2).
 *
 * @example
 * ```ts
 * const target: AuthorizationRedirect = {
 *   redirectUri: 'https://app.example/cb', responseMode: 'query', state: 'xyz', issuer: 'https://auth.example.com',
 * };
 * return authorizationRedirect(target, { code }); // 302 Location: https://app.example/cb?code=…&state=xyz&iss=…
 * ```
 */
export interface AuthorizationRedirect {
  readonly redirectUri: string;
  /** `query` for codes, `fragment` for implicit tokens (RFC 6749 §4.2.2). */
  readonly responseMode: 'query' | 'fragment';
  readonly state: string | undefined;
  /** The issuer, sent as `iss` (RFC 9207 §2). */
  readonly issuer: string;
}

/**
 * Builds the redirect to the client with response parameters plus `state` and `iss` (RFC 9207 §2). A redirect
 * URI's own query is kept (RFC 6749 §3.1.2: "MUST retain").
 *
 * @example
 * ```ts
 * return authorizationRedirect(target, { code }); // 302 Location: https://app/cb?code=…&state=…&iss=…
 * ```
 */
export function authorizationRedirect(target: AuthorizationRedirect, params: Record<string, string>): Response {
  const all = new URLSearchParams(params);
  if (target.state !== undefined) all.set('state', target.state);
  all.set('iss', target.issuer);
  const uri = target.redirectUri;
  const location =
    target.responseMode === 'fragment' ? `${uri}#${all.toString()}` : `${uri}${uri.includes('?') ? '&' : '?'}${all.toString()}`;
  return new Response(null, { status: 302, headers: { Location: location, 'Cache-Control': 'no-store', Pragma: 'no-cache' } });
}

/**
 * An error at the authorization endpoint. With a `redirect` it goes back to the client (RFC 6749 §4.1.2.1): its
 * `toResponse()` is a 302 to the redirect URI with `error`, `state` and `iss`. Without one — an unknown client, or a
 * missing, unregistered or mismatching redirect URI — it MUST NOT redirect (RFC 6749 §4.1.2.1: "the authorization
 * server SHOULD inform the resource owner of the error and MUST NOT automatically redirect"): `toResponse()` is a
 * plain 400 JSON error, and an application shows its own error page instead when `redirectable` is false.
 *
 * @example
 * ```ts
 * try {
 *   authRequest = await server.validateAuthorizationRequest(request);
 * } catch (error) {
 *   if (error instanceof AuthorizationError && !error.redirectable) return renderErrorPage(error.description);
 *   return server.errorResponse(error); // a redirect back to the client
 * }
 * ```
 */
export class AuthorizationError extends OAuthError {
  constructor(
    code: OAuthErrorCode,
    description: string | undefined,
    /** Where to send the error; `undefined` when the error must be shown to the user instead. */
    readonly redirect: AuthorizationRedirect | undefined,
    /** The HTTP status when it is not the code's usual one (413 for a body over the limit). */
    status?: number,
  ) {
    super(code, description, status === undefined ? {} : { status });
  }

  /** Whether `toResponse()` redirects back to the client. */
  get redirectable(): boolean {
    return this.redirect !== undefined;
  }

  /** An error that must be shown to the user, never redirected (bad client or redirect URI). */
  static notRedirectable(code: OAuthErrorCode, description: string, status?: number): AuthorizationError {
    return new AuthorizationError(code, description, undefined, status);
  }

  /** Turns an `OAuthError` into one that redirects back to `redirect`. */
  static redirecting(error: OAuthError, redirect: AuthorizationRedirect): AuthorizationError {
    return new AuthorizationError(error.code, error.description, redirect);
  }

  override toResponse(): Response {
    if (!this.redirect) return super.toResponse();
    const params: Record<string, string> = { error: this.code };
    if (this.description !== undefined) params.error_description = this.description;
    return authorizationRedirect(this.redirect, params);
  }
}
