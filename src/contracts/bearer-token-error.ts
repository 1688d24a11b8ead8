import { NO_STORE_HEADERS, OAuthError } from './oauth-error.js';

/**
 * Options of a {@link BearerTokenError}.
 *
 * @example
 * ```ts
 * throw BearerTokenError.invalid('The access token expired.', { realm: 'api' } satisfies BearerTokenErrorOptions);
 * ```
 */
export interface BearerTokenErrorOptions {
  /** RFC 6750 §3 `realm`. */
  realm?: string | undefined;
  /** RFC 6750 §3 `scope`: the scopes the resource needs (with `insufficient_scope`). */
  scope?: readonly string[] | undefined;
  /**
   * RFC 9449 §7.1: the resource server accepts DPoP with these proof algorithms; the response then carries a
   * `DPoP algs="..."` challenge too (alone when `bearer` is `false`).
   */
  dpopAlgs?: readonly string[] | undefined;
  /** Whether the Bearer scheme is accepted (default `true`); `false` leaves only the DPoP challenge. */
  bearer?: boolean | undefined;
  /** The scheme the refused request used: its challenge carries the error (default `Bearer`). */
  scheme?: 'Bearer' | 'DPoP' | undefined;
  /**
   * RFC 9728 §5.1 `resource_metadata`: the URL of the resource's protected resource metadata, so that a client
   * that got the challenge finds the authorization server. Sent with every challenge, a bare one included.
   */
  resourceMetadata?: string | undefined;
}

/** RFC 6750 §3: quoted-string values; fixed texts and scope tokens never carry `"` or `\`, but make sure. */
const quote = (value: string): string => `"${value.replace(/["\\]/g, '')}"`;

/**
 * A resource server's refusal (RFC 6750 §3): an {@link OAuthError} whose response carries the
 * `WWW-Authenticate: Bearer` challenge. `missing()` is the answer to a request without a token, which RFC 6750 §3.1
 * says "SHOULD NOT include an error code or other error information".
 *
 * @example
 * ```ts
 * throw BearerTokenError.invalid('The access token expired.', { realm: 'api' });
 * // 401, WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="The access token expired."
 * ```
 */
export class BearerTokenError extends OAuthError {
  /** True when the request carried no token at all: the response has a bare challenge and no body. */
  readonly tokenMissing: boolean;

  private constructor(
    code: 'invalid_request' | 'invalid_token' | 'insufficient_scope' | 'invalid_dpop_proof' | 'use_dpop_nonce',
    description: string | undefined,
    options: BearerTokenErrorOptions,
    missing: boolean,
    extraHeaders: Record<string, string> = {},
  ) {
    const scheme = options.scheme ?? 'Bearer';
    const challengeOf = (name: 'Bearer' | 'DPoP'): string => {
      const params: string[] = [];
      if (options.realm !== undefined) params.push(`realm=${quote(options.realm)}`);
      // RFC 9728 §5.1: where the resource's metadata is, with every challenge (a bare one included).
      if (options.resourceMetadata !== undefined) params.push(`resource_metadata=${quote(options.resourceMetadata)}`);
      if (!missing && name === scheme) {
        params.push(`error=${quote(code)}`);
        if (description !== undefined) params.push(`error_description=${quote(description)}`);
        if (options.scope !== undefined) params.push(`scope=${quote(options.scope.join(' '))}`);
      }
      if (name === 'DPoP') params.push(`algs=${quote((options.dpopAlgs ?? []).join(' '))}`);
      return params.length === 0 ? name : `${name} ${params.join(', ')}`;
    };
    // RFC 9449 §7.1: a resource server that accepts both schemes may challenge with both. The error goes to the
    // scheme the request used; a request without a token learns both.
    const challenges: string[] = [];
    if (options.bearer !== false && (missing || scheme === 'Bearer' || options.dpopAlgs === undefined)) challenges.push(challengeOf('Bearer'));
    if (options.dpopAlgs !== undefined && (missing || scheme === 'DPoP')) challenges.push(challengeOf('DPoP'));
    super(code, description, { status: code === 'insufficient_scope' ? 403 : code === 'invalid_request' ? 400 : 401, headers: { ...extraHeaders, 'WWW-Authenticate': challenges.join(', ') } });
    this.tokenMissing = missing;
  }

  /** No token in the request (RFC 6750 §3.1): 401 with a bare `WWW-Authenticate: Bearer` challenge. */
  static missing(options: BearerTokenErrorOptions = {}): BearerTokenError {
    return new BearerTokenError('invalid_token', undefined, options, true);
  }

  /** RFC 6750 §3.1 `invalid_request` (400): a malformed `Authorization` header. */
  static malformed(description = 'The Authorization header is malformed.', options: BearerTokenErrorOptions = {}): BearerTokenError {
    return new BearerTokenError('invalid_request', description, options, false);
  }

  /** RFC 6750 §3.1 `invalid_token` (401): expired, revoked, malformed, or invalid for other reasons. */
  static invalid(description = 'The access token is invalid, expired or revoked.', options: BearerTokenErrorOptions = {}): BearerTokenError {
    return new BearerTokenError('invalid_token', description, options, false);
  }

  /** RFC 9449 §7.1 `invalid_dpop_proof` (401): the DPoP proof is missing, invalid, or not for this token. */
  static invalidProof(description = 'The DPoP proof is invalid.', options: BearerTokenErrorOptions = {}): BearerTokenError {
    return new BearerTokenError('invalid_dpop_proof', description, { ...options, scheme: 'DPoP' }, false);
  }

  /** RFC 9449 §9 `use_dpop_nonce` (401) with the nonce in the `DPoP-Nonce` header. */
  static nonceRequired(nonce: string, options: BearerTokenErrorOptions = {}): BearerTokenError {
    return new BearerTokenError('use_dpop_nonce', 'Use the DPoP nonce the server provided.', { ...options, scheme: 'DPoP' }, false, { 'DPoP-Nonce': nonce });
  }

  /** RFC 6750 §3.1 `insufficient_scope` (403), naming the scopes the resource needs. */
  static scopeRequired(
    scope: readonly string[] = [],
    description = 'The access token lacks the scope this request needs.',
    options: Omit<BearerTokenErrorOptions, 'scope'> = {},
  ): BearerTokenError {
    return new BearerTokenError('insufficient_scope', description, { ...options, scope }, false);
  }

  /** The challenge response; without a token, no body and no error information (RFC 6750 §3.1). */
  override toResponse(): Response {
    if (!this.tokenMissing) return super.toResponse();
    const { 'Content-Type': _type, ...noStore } = NO_STORE_HEADERS;
    return new Response(null, { status: this.status, headers: { ...noStore, ...this.headers } });
  }
}
