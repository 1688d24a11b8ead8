import type { AccessTokenRepository } from '../contracts/repositories.js';
import { keySetResolver, type KeyResolver } from '../tokens/key-resolver.js';
import { JwksUnavailableError, RemoteJwks, type RemoteJwksOptions } from '../tokens/remote-jwks.js';
import { SigningKeySet } from '../tokens/signing-key-set.js';
import { verifyAccessToken, type AccessTokenClaims, type AccessTokenFailure } from '../tokens/verify-access-token.js';
import type { AuthorizationServer } from './authorization-server.js';
import { BearerTokenError } from '../contracts/bearer-token-error.js';
import { systemClock, type Clock } from '../contracts/clock.js';
import { OAuthError } from '../contracts/oauth-error.js';
import { isResourceIdentifier } from '../contracts/resource-identifier.js';
import {
  protectedResourceMetadata,
  protectedResourceMetadataUrl,
  type ProtectedResourceMetadata,
  type ResourceMetadataOptions,
} from './protected-resource-metadata.js';

/**
 * Options of a {@link ResourceServer}.
 *
 * @example
 * ```ts
 * const options: ResourceServerOptions = {
 *   issuer: 'https://auth.example.com',
 *   audience: 'https://api.example.com',
 *   jwksUri: 'https://auth.example.com/.well-known/jwks.json',
 *   clockTolerance: 5,
 * };
 * const rs = new ResourceServer(options);
 * ```
 */
export interface ResourceServerOptions {
  /** The authorization server's issuer: tokens must carry exactly this `iss` (RFC 9068 §4). */
  issuer: string;
  /**
   * This API's identifiers: a token's `aud` must contain one of them (RFC 9068 §4). Optional with `resource`,
   * which is then the audience (and with both, either is accepted).
   */
  audience?: string | readonly string[];
  /**
   * This API's resource identifier (RFC 8707, RFC 9728 §2 `resource`), e.g. `https://api.example.com/mcp`: a token
   * whose `aud` does not contain it is refused with `invalid_token` (401); the 401 challenge names the metadata URL
   * (`resource_metadata`, RFC 9728 §5.1); {@link ResourceServer.protectedResourceMetadata} describes it.
   */
  resource?: string;
  /** What the protected resource metadata says besides the resource (RFC 9728 §2); needs `resource`. */
  resourceMetadata?: ResourceMetadataOptions;
  /** The URL of the metadata document; default: the RFC 9728 §3.1 URL of `resource`. */
  resourceMetadataUrl?: string;
  /** The verification keys: the server's own key set, or any {@link KeyResolver} such as a {@link RemoteJwks}. */
  keys?: SigningKeySet | KeyResolver;
  /** Shorthand for `keys: new RemoteJwks(jwksUri, jwksOptions)`. */
  jwksUri?: string | URL;
  jwksOptions?: RemoteJwksOptions;
  /** When set, a token whose `jti` is revoked in this repository is refused: the revocation check. */
  accessTokens?: AccessTokenRepository;
  /** Seconds of clock skew allowed on `exp` and `nbf` (default 10). */
  clockTolerance?: number;
  clock?: Clock;
  /** The `realm` of the `WWW-Authenticate` challenge (RFC 6750 §3). */
  realm?: string;
}

const DESCRIPTIONS: Record<AccessTokenFailure | 'revoked', string> = {
  malformed: 'The access token is malformed.',
  type: 'The token is not an access token.',
  signature: 'The access token signature is invalid.',
  claims: 'The access token lacks required claims.',
  issuer: 'The access token was issued by another server.',
  audience: 'The access token is not meant for this resource server.',
  expired: 'The access token expired.',
  not_yet_valid: 'The access token is not valid yet.',
  revoked: 'The access token was revoked.',
};

/** RFC 6750 §2.1: `Authorization: Bearer <b64token>`. */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/**
 * The API side of OAuth (the seed's `ResourceServer`): checks the bearer access token of a request and returns its
 * claims, or throws a {@link BearerTokenError} whose `toResponse()` is the RFC 6750 §3 answer.
 *
 * @example
 * ```ts
 * const rs = new ResourceServer({ issuer: 'https://auth.example.com', audience: 'https://api.example.com',
 *   jwksUri: 'https://auth.example.com/.well-known/jwks.json' });
 * try {
 *   const claims = await rs.validateAuthenticatedRequest(request);
 *   requireScopes(claims, ['read']);
 *   return Response.json({ hello: claims.sub });
 * } catch (error) {
 *   return toOAuthError(error).toResponse(); // 401/403 with WWW-Authenticate: Bearer ...
 * }
 * ```
 */
export class ResourceServer {
  readonly #issuer: string;
  readonly #audience: string | readonly string[];
  readonly #keys: KeyResolver;
  readonly #accessTokens: AccessTokenRepository | undefined;
  readonly #leeway: number;
  readonly #clock: Clock;
  readonly #realm: string | undefined;
  readonly #metadata: ResourceMetadataOptions | undefined;
  /** This API's resource identifier (RFC 8707, RFC 9728), when configured. */
  readonly resource: string | undefined;
  /** The URL of this resource's protected resource metadata (RFC 9728 §3.1), when it has a `resource`. */
  readonly resourceMetadataUrl: string | undefined;

  constructor(options: ResourceServerOptions) {
    if (!options.issuer) throw new TypeError('grantry: ResourceServer needs the issuer');
    if (options.resource !== undefined && !isResourceIdentifier(options.resource)) {
      throw new TypeError(`grantry: ResourceServer resource must be an absolute URI without a fragment (RFC 8707 section 2): ${options.resource}`);
    }
    const audience = [...(options.resource === undefined ? [] : [options.resource]), ...[options.audience ?? []].flat()];
    if (audience.length === 0) throw new TypeError('grantry: ResourceServer needs its audience (or its resource)');
    if (options.resourceMetadata && options.resource === undefined) throw new TypeError('grantry: resourceMetadata needs the resource option');
    if ((options.keys === undefined) === (options.jwksUri === undefined)) {
      throw new TypeError('grantry: give ResourceServer either keys or jwksUri');
    }
    this.#issuer = options.issuer;
    this.#audience = audience.length === 1 ? audience[0]! : audience;
    this.resource = options.resource;
    this.resourceMetadataUrl = options.resourceMetadataUrl ?? (options.resource === undefined ? undefined : protectedResourceMetadataUrl(options.resource));
    this.#metadata = options.resourceMetadata;
    this.#keys =
      options.keys instanceof SigningKeySet
        ? keySetResolver(options.keys)
        : (options.keys ?? new RemoteJwks(options.jwksUri!, { clock: options.clock ?? systemClock, ...options.jwksOptions }));
    this.#accessTokens = options.accessTokens;
    this.#leeway = options.clockTolerance ?? 10;
    this.#clock = options.clock ?? systemClock;
    this.#realm = options.realm;
  }

  /**
   * A resource server in the same process as `server`: its issuer, audience and current keys (a
   * `server.rotateKeys()` is seen at once), with the revocation check on unless `checkRevocation: false`.
   *
   * @example
   * ```ts
   * const rs = await ResourceServer.forAuthorizationServer(server);
   * ```
   */
  static async forAuthorizationServer(
    server: AuthorizationServer,
    options: Partial<Omit<ResourceServerOptions, 'keys' | 'jwksUri' | 'jwksOptions'>> & { checkRevocation?: boolean } = {},
  ): Promise<ResourceServer> {
    const ctx = await server.context();
    const { checkRevocation = true, ...rest } = options;
    return new ResourceServer({
      issuer: ctx.issuer,
      // With a resource, tokens for it are the ones accepted (RFC 8707), not the server's default audience.
      ...(options.resource === undefined ? { audience: ctx.audience } : {}),
      clock: ctx.clock,
      ...rest,
      keys: keySetResolver(async () => (await server.context()).signingKeys),
      ...(checkRevocation ? { accessTokens: options.accessTokens ?? ctx.accessTokens } : {}),
    });
  }

  /**
   * Verifies the request's bearer token (RFC 6750 §2.1 header) and returns its claims. Throws a
   * {@link BearerTokenError}: no token → 401 with a bare challenge; malformed header → 400 `invalid_request`;
   * bad, expired or revoked token → 401 `invalid_token`. Throws an `OAuthError` 503 when the keys cannot be loaded.
   */
  async validateAuthenticatedRequest(request: Request): Promise<AccessTokenClaims> {
    return this.validateAuthorization(request.headers.get('authorization'));
  }

  /**
   * The same check as {@link validateAuthenticatedRequest}, given the value of the `Authorization` header (or
   * `null`/`undefined` when the request has none), for middlewares that have the header and no `Request`: the
   * node:http, Express and Fastify ones. The same claims, the same {@link BearerTokenError}s (RFC 6750 §3.1).
   *
   * @example
   * ```ts
   * const claims = await rs.validateAuthorization(req.headers.authorization); // node:http / Express
   * ```
   */
  async validateAuthorization(header: string | null | undefined): Promise<AccessTokenClaims> {
    const realm = { realm: this.#realm, resourceMetadata: this.resourceMetadataUrl };
    // RFC 6750 §3.1: a request without credentials, or with another scheme, gets a challenge without error details.
    if (header === null || header === undefined || !/^bearer(\s|$)/i.test(header)) throw BearerTokenError.missing(realm);
    const match = BEARER.exec(header);
    if (!match) throw BearerTokenError.malformed(undefined, realm);

    let result;
    try {
      result = await verifyAccessToken(match[1]!, {
        keys: this.#keys,
        issuer: this.#issuer,
        audience: this.#audience,
        now: this.#clock.now(),
        leeway: this.#leeway,
      });
    } catch (error) {
      if (error instanceof JwksUnavailableError) {
        throw new OAuthError('temporarily_unavailable', 'The keys to verify the token are unavailable.', { status: 503, cause: error });
      }
      throw error;
    }
    if (!result.valid) throw BearerTokenError.invalid(DESCRIPTIONS[result.reason], realm);
    if (this.#accessTokens && (await this.#accessTokens.isRevoked(result.claims.jti))) {
      throw BearerTokenError.invalid(DESCRIPTIONS.revoked, realm);
    }
    return result.claims;
  }

  /**
   * The protected resource metadata document (RFC 9728 §2) of this API: its `resource`, the issuer as its
   * authorization server (unless `resourceMetadata.authorizationServers` says otherwise) and the configured members.
   * Throws a `TypeError` when the resource server has no `resource`.
   *
   * @example
   * ```ts
   * const rs = new ResourceServer({ issuer, jwksUri, resource: 'https://api.example.com/mcp' });
   * rs.protectedResourceMetadata(); // { resource: 'https://api.example.com/mcp', authorization_servers: [issuer], … }
   * ```
   */
  protectedResourceMetadata(): ProtectedResourceMetadata {
    if (this.resource === undefined) throw new TypeError('grantry: protectedResourceMetadata needs the resource option of ResourceServer');
    return protectedResourceMetadata(this.resource, { authorizationServers: [this.#issuer], ...this.#metadata });
  }

  /**
   * Options for {@link requireScopes} that keep this server's challenge parameters (`realm`, `resource_metadata`).
   *
   * @example
   * ```ts
   * requireScopes(claims, ['tools:call'], rs.challengeOptions());
   * ```
   */
  challengeOptions(): { realm?: string; resourceMetadata?: string | undefined } {
    return { ...(this.#realm === undefined ? {} : { realm: this.#realm }), resourceMetadata: this.resourceMetadataUrl };
  }
}
