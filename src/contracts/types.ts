/**
 * Wire names of the grant types grantry knows (RFC 6749, RFC 8628).
 *
 * @example
 * ```ts
 * const client: Client = { id: 'cli', name: 'CLI', redirectUris: [], scopes: [],
 *   grantTypes: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'] satisfies GrantType[] };
 * ```
 */
export type GrantType =
  | 'authorization_code'
  | 'client_credentials'
  | 'password'
  | 'refresh_token'
  | 'implicit'
  | 'urn:ietf:params:oauth:grant-type:device_code'
  | (string & {});

/** The device authorization grant's `grant_type` (RFC 8628 §3.4): the one place this URN is written. */
export const DEVICE_CODE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:device_code';

/**
 * What a client may do beyond its grants, given at registration. `introspect`: learn about tokens issued to other
 * clients at the introspection endpoint (RFC 7662 §4); a resource server's client needs it. Without it a client
 * may introspect only its own tokens.
 *
 * @example
 * ```ts
 * const resourceServer: Client = { id: 'orders-api', name: 'Orders API', secretHash, redirectUris: [], grantTypes: [],
 *   scopes: [], permissions: ['introspect'] satisfies ClientPermission[] };
 * ```
 */
export type ClientPermission = 'introspect';

/**
 * How a client came to be: created by the operator (CLI, admin API, seed), or by the client itself at the dynamic
 * registration endpoint (RFC 7591). Set by the storage when the record is created; never changed by an update.
 *
 * @example
 * ```ts
 * const origin: ClientOrigin = client.origin ?? 'operator';
 * if (origin === 'registration') console.log(`${client.id} registered itself`);
 * ```
 */
export type ClientOrigin = 'operator' | 'registration';

/**
 * The form of the access tokens a server or client is given. `jwt` (the default): an RFC 9068 JWT that a resource
 * server verifies with the published keys and can read. `opaque`: a random string (256 bits) that says nothing;
 * the server stores only its SHA-256 with the claims a JWT would carry, and a resource server learns them from
 * the storage (in-process) or through introspection (RFC 7662), so that revocation takes effect at once.
 *
 * @example
 * ```ts
 * const format: AccessTokenFormat = 'opaque';
 * const server = new AuthorizationServer({ ...options, accessTokenFormat: format });
 * const client: Client = { id: 'bank-app', name: 'Bank app', redirectUris: [], grantTypes: ['client_credentials'],
 *   scopes: [], accessTokenFormat: 'opaque' };
 * ```
 */
export type AccessTokenFormat = 'jwt' | 'opaque';

/**
 * A registered client. A client without `secretHash` that authenticates with no JWT is public (RFC 6749 §2.1).
 *
 * @example
 * ```ts
 * const client: Client = {
 *   id: 'app', name: 'My app', secretHash: await hashClientSecret('s3cret'),
 *   redirectUris: ['https://app.example/cb'], grantTypes: ['authorization_code', 'refresh_token'],
 *   scopes: ['read', 'write'],
 * };
 * ```
 */
export interface Client {
  readonly id: string;
  readonly name: string;
  /** A hash from {@link hashClientSecret}; absent for a public client. */
  readonly secretHash?: string | undefined;
  readonly redirectUris: readonly string[];
  /** The grant types this client may use; any other is `unauthorized_client`. */
  readonly grantTypes: readonly GrantType[];
  /** The scopes this client may ask for; empty means any known scope. */
  readonly scopes: readonly string[];
  /** Permissions beyond its grants (see {@link ClientPermission}); absent or empty means none. */
  readonly permissions?: readonly ClientPermission[] | undefined;
  /** How the client was created (see {@link ClientOrigin}); absent means `operator`. */
  readonly origin?: ClientOrigin | undefined;
  /** The form of this client's access tokens (see {@link AccessTokenFormat}); absent: the server's default. */
  readonly accessTokenFormat?: AccessTokenFormat | undefined;
  /**
   * RFC 9449 §5.2 `dpop_bound_access_tokens`: this client always uses DPoP, so a token request without a DPoP proof
   * is refused (`invalid_dpop_proof`), and it never receives Bearer tokens.
   */
  readonly dpopBoundAccessTokens?: boolean | undefined;
  /**
   * The resource identifiers (RFC 8707) this client may ask tokens for, each a registered {@link Resource}; absent
   * or empty means any registered resource.
   */
  readonly resources?: readonly string[] | undefined;
  /**
   * How the client authenticates at the token, revocation, introspection, device authorization and PAR endpoints
   * (RFC 7591 §2 `token_endpoint_auth_method`); a client registered for a method must use it. Absent: a secret
   * by HTTP Basic or in the body when the client has `secretHash`, `none` when it has not.
   */
  readonly tokenEndpointAuthMethod?: TokenEndpointAuthMethod | undefined;
  /** `private_key_jwt`: the client's public keys, a JWK set given at registration (RFC 7591 §2 `jwks`). */
  readonly jwks?: ClientJwks | undefined;
  /** `private_key_jwt`: where the client publishes its JWK set (RFC 7591 §2 `jwks_uri`); never with `jwks`. */
  readonly jwksUri?: string | undefined;
  /**
   * `client_secret_jwt`: the shared secret the client signs its assertions with (HMAC, OpenID Connect Core §9).
   * HMAC verification needs the key itself, so unlike `secretHash` it is stored as given: treat the column like a
   * signing key. At least 32 characters (RFC 7518 §3.2: a key as long as the hash output).
   */
  readonly secretForJwt?: string | undefined;
  /** RFC 9126 §6 `require_pushed_authorization_requests`: the authorization endpoint accepts only a `request_uri`. */
  readonly requirePushedAuthorizationRequests?: boolean | undefined;
}

/**
 * The client authentication methods a registration can name (RFC 7591 §2, RFC 7523 §2.2, OpenID Connect Core §9).
 *
 * @example
 * ```ts
 * const method: TokenEndpointAuthMethod = 'private_key_jwt';
 * const client: Client = { id: 'bank', name: 'Bank', redirectUris: [], grantTypes: ['client_credentials'], scopes: [],
 *   tokenEndpointAuthMethod: method, jwksUri: 'https://bank.example/jwks.json' };
 * ```
 */
export type TokenEndpointAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt' | 'client_secret_jwt' | 'none';

/**
 * A client's JWK set (RFC 7517 §5): public keys only.
 *
 * @example
 * ```ts
 * const jwks: ClientJwks = { keys: [{ kty: 'EC', crv: 'P-256', x: '…', y: '…', kid: 'client-2026' }] };
 * ```
 */
export interface ClientJwks {
  readonly keys: readonly Readonly<Record<string, unknown>>[];
}

/**
 * Whether a client is confidential: it has a secret, or it authenticates with a JWT (`private_key_jwt`,
 * `client_secret_jwt`).
 *
 * @example
 * ```ts
 * if (!isConfidential(client)) throw OAuthError.unauthorizedClient('Public clients cannot use this grant.');
 * ```
 */
export const isConfidential = (client: Client): boolean =>
  client.secretHash !== undefined || client.tokenEndpointAuthMethod === 'private_key_jwt' || client.tokenEndpointAuthMethod === 'client_secret_jwt';

/**
 * A resource owner, as the user repository returns it.
 *
 * @example
 * ```ts
 * const user: User = { id: 'user-42', username: 'alice' };
 * ```
 */
export interface User {
  readonly id: string;
  readonly username?: string;
}

/**
 * A scope the server knows.
 *
 * @example
 * ```ts
 * const scope: Scope = { id: 'read', description: 'Read your data' };
 * ```
 */
export interface Scope {
  readonly id: string;
  readonly description?: string;
}

/**
 * A protected resource the server issues tokens for (RFC 8707): a client names it with the `resource` parameter,
 * and the access token's `aud` is then its identifier.
 *
 * @example
 * ```ts
 * const mcp: Resource = { id: 'https://mcp.example.com/mcp', name: 'Example MCP server', scopes: ['tools:read', 'tools:call'],
 *   accessTokenTTL: 600 };
 * await storage.admin.createResource(mcp);
 * ```
 */
export interface Resource {
  /** The resource identifier: an absolute URI without a fragment (RFC 8707 §2), e.g. `https://api.example.com`. */
  readonly id: string;
  /** A name for people (the consent page, the CLI). */
  readonly name?: string | undefined;
  /** The scopes that apply to it: a token for it carries only these. Empty means any scope. */
  readonly scopes: readonly string[];
  /** The lifetime of access tokens for it, in seconds; default: the grant's. */
  readonly accessTokenTTL?: number | undefined;
  /** The format of access tokens for it; stored for the token issuer (default: `'jwt'`). */
  readonly accessTokenFormat?: 'jwt' | 'opaque' | undefined;
}

/**
 * The PKCE transformations (RFC 7636 §4.2).
 *
 * @example
 * ```ts
 * const method: CodeChallengeMethod = 'S256';
 * const ok = await verifyCodeVerifier(ctx.crypto, verifier, challenge, method);
 * ```
 */
export type CodeChallengeMethod = 'S256' | 'plain';
