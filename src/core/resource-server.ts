import type { AccessTokenRepository } from '../contracts/repositories.js';
import { keySetResolver, type KeyResolver } from '../tokens/key-resolver.js';
import { JwksUnavailableError, RemoteJwks, type RemoteJwksOptions } from '../tokens/remote-jwks.js';
import { SigningKeySet } from '../tokens/signing-key-set.js';
import { verifyAccessToken, type AccessTokenClaims, type AccessTokenFailure } from '../tokens/verify-access-token.js';
import type { AuthorizationServer } from './authorization-server.js';
import { BearerTokenError } from '../contracts/bearer-token-error.js';
import { systemClock, type Clock } from '../contracts/clock.js';
import { OAuthError } from '../contracts/oauth-error.js';
import { loadCryptoBackend } from '../tokens/crypto/crypto-backend.js';
import { isOpaqueAccessToken, opaqueAccessTokenId } from '../tokens/opaque-access-token.js';
import { checkTokenClaims } from './check-token-claims.js';
import { TokenIntrospector, type IntrospectionAnswer, type IntrospectionOptions } from './remote-introspection.js';
import type { HeaderReader } from '../contracts/plain-request.js';
import type { ReplayRepository } from '../contracts/replay-repository.js';
import { DPOP_ALGORITHMS, verifyDpopProof } from '../tokens/dpop-proof.js';
import { DPOP_FAILURES, readDpopHeader, type DpopOptions } from './dpop-options.js';
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
  /**
   * The authorization server's access-token repository, when this resource server runs in its process (or shares
   * its storage): a JWT whose `jti` is revoked there is refused (the revocation check), and opaque access tokens
   * are validated by looking their SHA-256 up there, so a revocation takes effect at once.
   */
  accessTokens?: AccessTokenRepository;
  /**
   * RFC 7662 introspection at the authorization server, for tokens this resource server cannot check itself:
   * opaque tokens when it has no `accessTokens`, and every token when it has no keys. Answers are cached for at most
   * {@link IntrospectionOptions.cacheTTL} (default 30 s) and never past the token's `exp`: the bound on how late a
   * revocation is seen here.
   */
  introspection?: IntrospectionOptions;
  /** Seconds of clock skew allowed on `exp` and `nbf` (default 10). */
  clockTolerance?: number;
  clock?: Clock;
  /** The `realm` of the `WWW-Authenticate` challenge (RFC 6750 §3). */
  realm?: string;
  /**
   * DPoP (RFC 9449 §7), on by default: `Authorization: DPoP <token>` with its `DPoP` proof is accepted besides
   * Bearer; `required: true` refuses Bearer; `false` accepts Bearer only. A DPoP-bound token (`cnf.jkt`) is never
   * accepted as Bearer.
   */
  dpop?: DpopOptions | false;
  /** Single use of proof `jti`s (RFC 9449 §11.1): the storage's `replays`; without it, proofs are not remembered. */
  replays?: ReplayRepository;
}

/**
 * The parts of an HTTP request a {@link ResourceServer} reads: a Fetch `Request` has them.
 *
 * @example
 * ```ts
 * const parts: ResourceRequest = { method: 'GET', url: 'https://api.example.com/orders', headers: new Headers({ authorization }) };
 * const claims = await rs.validateRequest(parts);
 * ```
 */
export interface ResourceRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: HeaderReader;
}

const DESCRIPTIONS: Record<AccessTokenFailure | 'revoked' | 'inactive', string> = {
  malformed: 'The access token is malformed.',
  type: 'The token is not an access token.',
  signature: 'The access token signature is invalid.',
  claims: 'The access token lacks required claims.',
  issuer: 'The access token was issued by another server.',
  audience: 'The access token is not meant for this resource server.',
  expired: 'The access token expired.',
  not_yet_valid: 'The access token is not valid yet.',
  revoked: 'The access token was revoked.',
  inactive: 'The access token is not active.',
};

/** The longest token sent to the introspection endpoint (the limit `verifyAccessToken` puts on JWTs). */
const MAX_INTROSPECTED_LENGTH = 8192;

/** RFC 6750 §2.1: `Authorization: Bearer <b64token>`. */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;
/** RFC 9449 §7.1: `Authorization: DPoP <token68>`. */
const DPOP = /^DPoP +([A-Za-z0-9\-._~+/]+=*) *$/i;

type ChallengeParams = ReturnType<typeof challengeParams>;

/** Whether a token has the three dot-separated parts of a compact JWS, counted without splitting it. */
function hasThreeParts(token: string): boolean {
  const first = token.indexOf('.');
  const second = first < 0 ? -1 : token.indexOf('.', first + 1);
  return second >= 0 && token.indexOf('.', second + 1) < 0;
}

/** RFC 9728 §5.1: every challenge names the resource's metadata, when the resource server has one. */
function challengeParams(realm: string | undefined, resourceMetadata: string | undefined, dpop: DpopOptions | false, scheme: 'Bearer' | 'DPoP') {
  const base = { realm, resourceMetadata, scheme };
  if (dpop === false) return Object.freeze(base);
  return Object.freeze({ ...base, dpopAlgs: dpop.algorithms ?? DPOP_ALGORITHMS, bearer: dpop.required !== true });
}

/**
 * The API side of OAuth (the seed's `ResourceServer`): checks the bearer access token of a request and returns its
 * claims, or throws a {@link BearerTokenError} whose `toResponse()` is the RFC 6750 §3 answer. A JWT (RFC 9068) is
 * verified with the keys; an opaque token (`gat_…`) is looked up by its hash in `accessTokens`; what neither can
 * check goes to `introspection` (RFC 7662), when configured.
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
  readonly #keys: KeyResolver | undefined;
  readonly #accessTokens: AccessTokenRepository | undefined;
  /** Where opaque tokens are looked up: `accessTokens`, or the in-process server's repository. */
  #opaqueTokens: AccessTokenRepository | undefined;
  readonly #introspector: TokenIntrospector | undefined;
  readonly #leeway: number;
  readonly #clock: Clock;
  readonly #realm: string | undefined;
  readonly #dpop: DpopOptions | false;
  readonly #replays: ReplayRepository | undefined;
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
    if (options.keys !== undefined && options.jwksUri !== undefined) throw new TypeError('grantry: give ResourceServer keys or jwksUri, not both');
    if (options.keys === undefined && options.jwksUri === undefined && options.introspection === undefined && options.accessTokens === undefined) {
      throw new TypeError('grantry: give ResourceServer keys or jwksUri (JWT access tokens), introspection or accessTokens (opaque ones)');
    }
    this.#issuer = options.issuer;
    this.#audience = audience.length === 1 ? audience[0]! : audience;
    this.resource = options.resource;
    this.resourceMetadataUrl = options.resourceMetadataUrl ?? (options.resource === undefined ? undefined : protectedResourceMetadataUrl(options.resource));
    this.#metadata = options.resourceMetadata;
    this.#keys =
      options.keys instanceof SigningKeySet
        ? keySetResolver(options.keys)
        : (options.keys ??
          (options.jwksUri === undefined ? undefined : new RemoteJwks(options.jwksUri, { clock: options.clock ?? systemClock, ...options.jwksOptions })));
    this.#accessTokens = options.accessTokens;
    this.#opaqueTokens = options.accessTokens;
    this.#introspector = options.introspection && new TokenIntrospector(options.introspection, options.clock ?? systemClock);
    this.#leeway = options.clockTolerance ?? 10;
    this.#clock = options.clock ?? systemClock;
    this.#realm = options.realm;
    this.#dpop = options.dpop ?? {};
    this.#replays = options.replays;
  }

  /**
   * A resource server in the same process as `server`: its issuer, audience and current keys (a
   * `server.rotateKeys()` is seen at once), with the revocation check on unless `checkRevocation: false`. Opaque
   * access tokens are looked up in the server's `accessTokens` either way (revocation takes effect at once).
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
    const rs = new ResourceServer({
      issuer: ctx.issuer,
      // With a resource, tokens for it are the ones accepted (RFC 8707), not the server's default audience.
      ...(options.resource === undefined ? { audience: ctx.audience } : {}),
      clock: ctx.clock,
      ...rest,
      keys: keySetResolver(async () => (await server.context()).signingKeys),
      ...(checkRevocation ? { accessTokens: options.accessTokens ?? ctx.accessTokens } : {}),
    });
    // Opaque tokens can only be checked in storage: they are looked up there even without the JWT revocation check.
    rs.#opaqueTokens = options.accessTokens ?? ctx.accessTokens;
    return rs;
  }

  /**
   * Verifies the request's bearer token (RFC 6750 §2.1 header) and returns its claims. Throws a
   * {@link BearerTokenError}: no token → 401 with a bare challenge; malformed header → 400 `invalid_request`;
   * bad, expired, revoked or inactive token → 401 `invalid_token`. Throws an `OAuthError` 503 when the keys cannot
   * be loaded or the introspection endpoint fails.
   */
  async validateAuthenticatedRequest(request: Request): Promise<AccessTokenClaims> {
    return this.validateRequest(request);
  }

  /**
   * {@link validateAuthenticatedRequest} on the parts of a request (method, URL, headers): a Bearer token
   * (RFC 6750), or a DPoP-bound token with its proof (RFC 9449 §7): the proof is checked against the request's
   * method and URL, its `ath` against the token, its key against the token's `cnf.jkt`, its `jti` for single use
   * (with `replays`). Refusals are {@link BearerTokenError}s with the RFC 9449 §7.1 challenges.
   *
   * @example
   * ```ts
   * const claims = await rs.validateRequest({ method: 'GET', url: 'https://api.example.com/me', headers: request.headers });
   * claims.cnf?.jkt; // the client's DPoP key, for a DPoP-bound token
   * ```
   */
  async validateRequest(request: ResourceRequest): Promise<AccessTokenClaims> {
    const header = request.headers.get('authorization');
    if (header !== null && this.#dpop !== false && /^dpop(\s|$)/i.test(header)) return this.#validateDpop(request, header, this.#dpop);
    return this.validateAuthorization(header);
  }

  /** The challenge parameters per scheme, built once (every field they read is fixed at construction). */
  #challenges: Readonly<Record<'Bearer' | 'DPoP', ChallengeParams>> | undefined;

  /** The challenge parameters: the realm, and DPoP's algorithms when it is accepted (RFC 9449 §7.1). */
  #challenge(scheme: 'Bearer' | 'DPoP' = 'Bearer'): ChallengeParams {
    this.#challenges ??= {
      Bearer: challengeParams(this.#realm, this.resourceMetadataUrl, this.#dpop, 'Bearer'),
      DPoP: challengeParams(this.#realm, this.resourceMetadataUrl, this.#dpop, 'DPoP'),
    };
    return this.#challenges[scheme];
  }

  /** The token's claims, by its form: a JWT with the keys, an opaque token in the storage, else introspection. */
  // Not async: each branch hands back its own promise (one promise per check, not two); the callers await it.
  #verify(token: string, scheme: 'Bearer' | 'DPoP'): Promise<AccessTokenClaims> {
    const isJwt = hasThreeParts(token);
    if (isJwt && this.#keys) return this.#verifyJwt(token, this.#keys, scheme);
    if (!isJwt && this.#opaqueTokens && isOpaqueAccessToken(token)) return this.#lookUpOpaque(token, this.#opaqueTokens, scheme);
    // As verifyAccessToken does: a token this long is no token anyone issued; it is not sent on to the endpoint.
    if (this.#introspector && token.length <= MAX_INTROSPECTED_LENGTH) return this.#introspect(token, this.#introspector, scheme);
    return Promise.reject(BearerTokenError.invalid(DESCRIPTIONS.malformed, this.#challenge(scheme)));
  }

  async #verifyJwt(token: string, keys: KeyResolver, scheme: 'Bearer' | 'DPoP'): Promise<AccessTokenClaims> {
    let result;
    try {
      result = await verifyAccessToken(token, {
        keys,
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
    if (!result.valid) throw BearerTokenError.invalid(DESCRIPTIONS[result.reason], this.#challenge(scheme));
    // Only a JWT needs the revocation lookup: an opaque token's own lookup (#lookUpOpaque) already read its record,
    // and an introspected one was answered by the authorization server.
    if (this.#accessTokens && (await this.#accessTokens.isRevoked(result.claims.jti))) {
      throw BearerTokenError.invalid(DESCRIPTIONS.revoked, this.#challenge(scheme));
    }
    return result.claims;
  }

  async #validateDpop(request: ResourceRequest, header: string, dpop: DpopOptions): Promise<AccessTokenClaims> {
    const challenge = this.#challenge('DPoP');
    const match = DPOP.exec(header);
    if (!match) throw BearerTokenError.malformed(undefined, challenge);
    const token = match[1]!;
    const claims = await this.#verify(token, 'DPoP');
    // RFC 9449 §7.1: the token must be bound (cnf.jkt) and the proof made with that key.
    const jkt = typeof claims.cnf?.jkt === 'string' ? claims.cnf.jkt : undefined;
    if (jkt === undefined) throw BearerTokenError.invalid('The access token is not DPoP-bound.', challenge);
    const proofHeader = readDpopHeader(request.headers);
    if (proofHeader?.proof === undefined) throw BearerTokenError.invalidProof('Send exactly one DPoP proof header with a DPoP token.', challenge);
    // RFC 9449 §7.1 / §4.3: htm and htu of this request, iat, ath = the hash of this token, single use of jti.
    const result = await verifyDpopProof(proofHeader.proof, {
      method: request.method,
      url: request.url,
      now: this.#clock.now(),
      accessToken: token,
      algorithms: dpop.algorithms,
      maxAge: dpop.maxAge,
      clockTolerance: dpop.clockTolerance,
      nonces: dpop.nonces,
      replays: this.#replays,
    });
    if (!result.valid) {
      if (result.reason === 'nonce' && result.nonce !== undefined) throw BearerTokenError.nonceRequired(result.nonce, challenge);
      throw BearerTokenError.invalidProof(DPOP_FAILURES[result.reason], challenge);
    }
    if (result.proof.jkt !== jkt) throw BearerTokenError.invalidProof('The DPoP proof is not signed by the key the access token is bound to.', challenge);
    return claims;
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
    const challenge = this.#challenge();
    if (header !== null && header !== undefined && this.#dpop !== false && /^dpop(\s|$)/i.test(header)) {
      // The header alone carries no proof: a DPoP token needs the whole request (validateRequest).
      throw BearerTokenError.invalidProof('Send exactly one DPoP proof header with a DPoP token.', this.#challenge('DPoP'));
    }
    // RFC 6750 §3.1: a request without credentials, or with another scheme, gets a challenge without error details.
    if (header === null || header === undefined || !/^bearer(\s|$)/i.test(header)) throw BearerTokenError.missing(challenge);
    if (this.#dpop !== false && this.#dpop.required === true) {
      throw BearerTokenError.invalid('This resource accepts DPoP-bound access tokens only (RFC 9449).', this.#challenge('DPoP'));
    }
    const match = BEARER.exec(header);
    if (!match) throw BearerTokenError.malformed(undefined, challenge);
    const claims = await this.#verify(match[1]!, 'Bearer');
    // RFC 9449 §7.2: a DPoP-bound access token presented as a bearer token is refused.
    if (claims.cnf?.jkt !== undefined) throw BearerTokenError.invalid('The access token is DPoP-bound: present it with the DPoP scheme and a proof.', challenge);
    return claims;
  }

  /** An opaque token in the shared storage, by its SHA-256: unknown, revoked or expired is refused at once. */
  async #lookUpOpaque(token: string, repository: AccessTokenRepository, scheme: 'Bearer' | 'DPoP'): Promise<AccessTokenClaims> {
    const realm = this.#challenge(scheme);
    const record = await repository.find(await opaqueAccessTokenId(await loadCryptoBackend(), token));
    // Only an opaque token's record holds claims; a JWT's record is keyed by a jti no presented string hashes to.
    if (!record?.claims) throw BearerTokenError.invalid(DESCRIPTIONS.inactive, realm);
    if (record.revoked) throw BearerTokenError.invalid(DESCRIPTIONS.revoked, realm);
    // The record is the authorization server's own: its expiry holds exactly, with no clock skew to allow for.
    if (record.expiresAt <= this.#clock.now()) throw BearerTokenError.invalid(DESCRIPTIONS.expired, realm);
    return this.#checkClaims(record.claims, 0, scheme);
  }

  /** RFC 7662: the authorization server says whether the token is active and what it carries. */
  async #introspect(token: string, introspector: TokenIntrospector, scheme: 'Bearer' | 'DPoP'): Promise<AccessTokenClaims> {
    const realm = this.#challenge(scheme);
    const answer: IntrospectionAnswer = await introspector.introspect(token);
    if (!answer.active) throw BearerTokenError.invalid(DESCRIPTIONS.inactive, realm);
    // RFC 7662 §2.2 token_type: a refresh token is active too, but is no access token (grantry names none for it);
    // a DPoP-bound access token is introspected as `DPoP` (RFC 9449 §6.2).
    const type = typeof answer.token_type === 'string' ? answer.token_type.toLowerCase() : undefined;
    if (type !== 'bearer' && type !== 'dpop') throw BearerTokenError.invalid(DESCRIPTIONS.type, realm);
    return this.#checkClaims(answer, this.#leeway, scheme);
  }

  #checkClaims(claims: Readonly<Record<string, unknown>>, leeway: number, scheme: 'Bearer' | 'DPoP'): AccessTokenClaims {
    const result = checkTokenClaims(claims, { issuer: this.#issuer, audience: this.#audience, now: this.#clock.now(), leeway });
    if (!result.valid) throw BearerTokenError.invalid(DESCRIPTIONS[result.reason], this.#challenge(scheme));
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
