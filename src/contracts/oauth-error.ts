import { StorageUnavailableError } from './storage-unavailable-error.js';

/**
 * The error codes grantry answers with: RFC 6749 §4.1.2.1 / §5.2, RFC 6750 §3.1, RFC 7009 §2.2.1 and
 * RFC 8628 §3.5, RFC 7591 §3.2.2, RFC 8707 §2 (`invalid_target`), RFC 9449 §12.2 (`invalid_dpop_proof`,
 * `use_dpop_nonce`), plus `too_many_requests` for the brute-force limiter.
 *
 * @example
 * ```ts
 * const code: OAuthErrorCode = 'invalid_grant';
 * new OAuthError(code).status; // 400
 * ```
 */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'unsupported_response_type'
  | 'invalid_scope'
  | 'access_denied'
  | 'server_error'
  | 'temporarily_unavailable'
  | 'invalid_token'
  | 'insufficient_scope'
  | 'unsupported_token_type'
  | 'authorization_pending'
  | 'slow_down'
  | 'expired_token'
  | 'invalid_redirect_uri'
  | 'invalid_client_metadata'
  | 'invalid_dpop_proof'
  | 'use_dpop_nonce'
  | 'invalid_target'
  | 'too_many_requests';

const STATUS: Record<OAuthErrorCode, number> = {
  invalid_request: 400,
  invalid_client: 401,
  invalid_grant: 400,
  unauthorized_client: 400,
  unsupported_grant_type: 400,
  unsupported_response_type: 400,
  invalid_scope: 400,
  access_denied: 400,
  server_error: 500,
  temporarily_unavailable: 503,
  invalid_token: 401,
  insufficient_scope: 403,
  unsupported_token_type: 400,
  authorization_pending: 400,
  slow_down: 400,
  expired_token: 400,
  invalid_redirect_uri: 400,
  invalid_client_metadata: 400,
  invalid_dpop_proof: 400,
  use_dpop_nonce: 400,
  invalid_target: 400,
  too_many_requests: 429,
};

/**
 * What a failed guess targeted: a client secret (RFC 6749 §2.3.1, §10.10), a resource owner's password
 * (RFC 6749 §4.3, §10.10) or a device user code (RFC 8628 §5.1).
 *
 * @example
 * ```ts
 * const kind: GuessKind = 'password';
 * ```
 */
export type GuessKind = 'client_secret' | 'password' | 'user_code';

/**
 * A machine-readable description of a failed guess, carried by the {@link OAuthError} that refuses it so that a
 * brute-force limiter learns the outcome from the error, not from the response. `subject` names the credential
 * (a client id, a username); without it the guess counts against its source only (e.g. a secret for an unknown
 * client id). Errors that are not guesses (a malformed request, an unknown grant type) carry none.
 *
 * @example
 * ```ts
 * try {
 *   return await server.respondToAccessTokenRequest(request);
 * } catch (error) {
 *   if (error instanceof OAuthError && error.guess) console.warn('failed guess of a', error.guess.kind);
 *   throw error;
 * }
 * ```
 */
export interface Guess {
  readonly kind: GuessKind;
  readonly subject?: string;
}

/**
 * Options for an {@link OAuthError}.
 *
 * @example
 * ```ts
 * throw new OAuthError('temporarily_unavailable', 'Try again shortly.', { headers: { 'Retry-After': '30' } });
 * ```
 */
export interface OAuthErrorOptions {
  /** HTTP status; defaults to the status RFC 6749 §5.2 / RFC 6750 §3.1 give the code. */
  status?: number;
  /** Extra response headers, e.g. `WWW-Authenticate` or `Retry-After`. */
  headers?: Record<string, string>;
  /** The underlying cause: logged by the caller, never sent to the client. */
  cause?: unknown;
  /** Set when the error refuses a wrong credential (a guess), for a brute-force limiter; never sent. */
  guess?: Guess;
}

/**
 * The headers every token-endpoint answer carries (RFC 6749 §5.1).
 *
 * @example
 * ```ts
 * return new Response(JSON.stringify(body), { status: 200, headers: NO_STORE_HEADERS });
 * ```
 */
export const NO_STORE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Content-Type': 'application/json;charset=UTF-8',
  'Cache-Control': 'no-store',
  Pragma: 'no-cache',
});

/**
 * The one error type of grantry (the seed's `OAuthServerException`). Its `code` is an RFC error code; its
 * `description` is a fixed, human-readable text that never echoes raw input.
 *
 * @example
 * ```ts
 * try {
 *   return await server.respondToAccessTokenRequest(request);
 * } catch (error) {
 *   if (error instanceof OAuthError) return error.toResponse();
 *   return OAuthError.serverError(error).toResponse();
 * }
 * ```
 */
export class OAuthError extends Error {
  override readonly name = 'OAuthError';
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /** The failed guess this error refuses, if it refuses one (see {@link Guess}). */
  readonly guess: Guess | undefined;

  constructor(
    readonly code: OAuthErrorCode,
    readonly description?: string,
    options: OAuthErrorOptions = {},
  ) {
    super(description ?? code, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = options.status ?? STATUS[code];
    this.headers = options.headers ?? {};
    this.guess = options.guess;
  }

  static invalidRequest(description = 'The request is missing a required parameter or is malformed.'): OAuthError {
    return new OAuthError('invalid_request', description);
  }

  /**
   * RFC 6749 §5.2: when the client tried HTTP Basic, answer 401 with `WWW-Authenticate`; otherwise 400 is allowed,
   * but grantry answers 401 in both cases as most clients expect, and so sends the challenge in both cases too
   * (RFC 9110 §15.5.2: "The server generating a 401 response MUST send a WWW-Authenticate header field").
   * `usedBasic` is kept for callers; the answer no longer depends on it.
   */
  static invalidClient(usedBasic = false, description = 'Client authentication failed.', guess?: Guess): OAuthError {
    void usedBasic;
    return new OAuthError('invalid_client', description, {
      status: 401,
      headers: { 'WWW-Authenticate': 'Basic realm="grantry", charset="UTF-8"' },
      ...(guess ? { guess } : {}),
    });
  }

  static invalidGrant(description = 'The grant is invalid, expired, revoked or was issued to another client.', guess?: Guess): OAuthError {
    return new OAuthError('invalid_grant', description, guess ? { guess } : {});
  }

  static unauthorizedClient(description = 'The client is not allowed to use this grant type.'): OAuthError {
    return new OAuthError('unauthorized_client', description);
  }

  static unsupportedGrantType(description = 'The grant type is not supported by this server.'): OAuthError {
    return new OAuthError('unsupported_grant_type', description);
  }

  static unsupportedResponseType(description = 'The response type is not supported by this server.'): OAuthError {
    return new OAuthError('unsupported_response_type', description);
  }

  static invalidScope(description = 'The requested scope is invalid, unknown or exceeds what was granted.'): OAuthError {
    return new OAuthError('invalid_scope', description);
  }

  /** RFC 8707 §2: "The requested resource is invalid, missing, unknown, or malformed." */
  static invalidTarget(description = 'The requested resource is invalid, unknown or not allowed for this client.'): OAuthError {
    return new OAuthError('invalid_target', description);
  }

  static accessDenied(description = 'The resource owner or the server denied the request.'): OAuthError {
    return new OAuthError('access_denied', description);
  }

  static invalidToken(description = 'The access token is invalid, expired or revoked.'): OAuthError {
    return new OAuthError('invalid_token', description);
  }

  static insufficientScope(description = 'The access token lacks the scope this request needs.'): OAuthError {
    return new OAuthError('insufficient_scope', description);
  }

  static unsupportedTokenType(description = 'Revocation of this token type is not supported.'): OAuthError {
    return new OAuthError('unsupported_token_type', description);
  }

  static authorizationPending(description = 'The user has not yet completed the authorization.'): OAuthError {
    return new OAuthError('authorization_pending', description);
  }

  static slowDown(description = 'Polling too fast: wait at least the interval, which has been increased.'): OAuthError {
    return new OAuthError('slow_down', description);
  }

  static expiredToken(description = 'The device code has expired.'): OAuthError {
    return new OAuthError('expired_token', description);
  }

  /** RFC 7591 §3.2.2: "The value of one or more redirection URIs is invalid." */
  static invalidRedirectUri(description = 'A redirect URI is invalid.'): OAuthError {
    return new OAuthError('invalid_redirect_uri', description);
  }

  /** RFC 7591 §3.2.2: "The value of one of the client metadata fields is invalid and the server has rejected this request." */
  static invalidClientMetadata(description = 'A client metadata value is invalid.'): OAuthError {
    return new OAuthError('invalid_client_metadata', description);
  }

  /** RFC 9449 §5 / §12.2 `invalid_dpop_proof` (400 at the token endpoint): a DPoP proof is missing, malformed or invalid. */
  static invalidDpopProof(description = 'The DPoP proof is invalid.'): OAuthError {
    return new OAuthError('invalid_dpop_proof', description);
  }

  /** RFC 9449 §8 `use_dpop_nonce` (400 at the token endpoint), with the nonce to use in the `DPoP-Nonce` header. */
  static useDpopNonce(nonce: string, description = 'Use the DPoP nonce the server provided.'): OAuthError {
    return new OAuthError('use_dpop_nonce', description, { headers: { 'DPoP-Nonce': nonce } });
  }

  static tooManyRequests(retryAfterSeconds: number, description = 'Too many failed attempts; try again later.'): OAuthError {
    return new OAuthError('too_many_requests', description, {
      headers: { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterSeconds))) },
    });
  }

  /**
   * The server cannot handle the request now (its storage is unavailable): 503 with `Retry-After`. RFC 6749
   * §4.1.2.1 defines `temporarily_unavailable` for the authorization endpoint; grantry answers the same code,
   * as JSON with `no-store`, at the token, revocation, introspection and device endpoints.
   */
  static temporarilyUnavailable(
    retryAfterSeconds = 5,
    cause?: unknown,
    description = 'The server is temporarily unable to handle the request; try again later.',
  ): OAuthError {
    return new OAuthError('temporarily_unavailable', description, {
      headers: { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterSeconds))) },
      cause,
    });
  }

  /** Wraps an unexpected failure: answered as a bare `server_error`, the cause kept only for logging. */
  static serverError(cause?: unknown): OAuthError {
    return new OAuthError('server_error', 'The server met an unexpected condition.', { cause });
  }

  /** The RFC 6749 §5.2 JSON body. */
  toJSON(): { error: OAuthErrorCode; error_description?: string } {
    return this.description === undefined ? { error: this.code } : { error: this.code, error_description: this.description };
  }

  /** The seed's `generateHttpResponse`: a JSON error response with `Cache-Control: no-store`. */
  toResponse(): Response {
    return new Response(JSON.stringify(this.toJSON()), {
      status: this.status,
      headers: { ...NO_STORE_HEADERS, ...this.headers },
    });
  }
}

/**
 * Turns anything thrown into an {@link OAuthError}: a {@link StorageUnavailableError} becomes
 * `temporarily_unavailable` (503 with `Retry-After`), other unknown errors become `server_error`.
 *
 * @example
 * ```ts
 * try {
 *   return await server.respondToAccessTokenRequest(request);
 * } catch (error) {
 *   return toOAuthError(error).toResponse(); // unknown errors: a bare 500 server_error
 * }
 * ```
 */
export function toOAuthError(error: unknown): OAuthError {
  if (error instanceof OAuthError) return error;
  if (error instanceof StorageUnavailableError) return OAuthError.temporarilyUnavailable(error.retryAfterSeconds, error);
  return OAuthError.serverError(error);
}
