import { epochSeconds } from '../contracts/clock.js';
import type { ServerContext } from '../contracts/server-context.js';
import { isConfidential, type AccessTokenFormat, type Client, type GrantType } from '../contracts/types.js';
import type { AccessTokenRecord, RefreshTokenRecord, RefreshTokenRepository } from '../contracts/repositories.js';
import { encodeBase64url } from '../tokens/base64url.js';
import { signJwt } from '../tokens/jwt.js';
import { newOpaqueAccessToken } from '../tokens/opaque-access-token.js';
import { accessTokenFormatFor } from './access-token-format.js';
import type { TokenResponseBody } from '../contracts/grant.js';
import { secondsToMs, toEpochSeconds } from '../tokens/time-units.js';
import { audienceFor } from './resolve-resources.js';

/**
 * Where tokens are issued: the server's services, the client, the access-token lifetime in seconds.
 *
 * @example
 * ```ts
 * const ctx: IssueContext = { server: req.server, client: req.client.client, accessTokenTTL: req.accessTokenTTL };
 * return issueTokens(ctx, { userId: undefined, scopes: ['read'], grantType: 'client_credentials' });
 * ```
 */
export interface IssueContext {
  readonly server: ServerContext;
  readonly client: Client;
  readonly accessTokenTTL: number;
  /**
   * The thumbprint of the request's DPoP key (`TokenRequest.dpop.jkt`, RFC 9449 §5): the access token gets
   * `cnf.jkt` and `token_type` `DPoP`, and a public client's refresh token is bound to the key.
   */
  readonly dpopJkt?: string | undefined;
  /** The access-token format of the requested resources (RFC 8707, `ResourceTarget.accessTokenFormat`), if they name one. */
  readonly accessTokenFormat?: AccessTokenFormat | undefined;
}

/**
 * What to issue.
 *
 * @example
 * ```ts
 * const options: IssueOptions = {
 *   userId: user.id, scopes: ['read'], grantType: 'password',
 *   refresh: { repository: storage.refreshTokens, ttl: 30 * 86400, scopes: ['read'] },
 * };
 * const body = await issueTokens({ server: await server.context(), client, accessTokenTTL: 3600 }, options);
 * ```
 */
export interface IssueOptions {
  readonly userId: string | undefined;
  /** The scopes of the access token. */
  readonly scopes: readonly string[];
  readonly grantType: GrantType;
  /** The token's `sub`; defaults to the user id, or `client:` and the client id when no user is involved. */
  readonly subject?: string;
  /** The grant this belongs to (a code or a refresh-token family); a new family is started when absent. */
  readonly familyId?: string;
  /**
   * The resources (RFC 8707) the access token is for: its `aud` (see {@link resolveResources}). Absent or empty:
   * the server's default audience.
   */
  readonly resources?: readonly string[] | undefined;
  /**
   * Issue a refresh token too, stored in this repository, keeping `scopes` (the original grant's) across rotations.
   * Grants decide it with {@link refreshIssueFor}.
   */
  readonly refresh?: RefreshIssue | undefined;
}

/**
 * The refresh token to issue with an access token: where it is stored, its idle lifetime (`ttl`, seconds), the
 * scope it keeps, and the family's absolute limit. A token never outlives `authTime + absoluteTTL`, however
 * often it is rotated.
 *
 * @example
 * ```ts
 * const refresh: RefreshIssue = { repository: storage.refreshTokens, ttl: 30 * 86400, scopes: ['read'],
 *   absoluteTTL: 90 * 86400, authTime: record.authTime };
 * ```
 */
export interface RefreshIssue {
  readonly repository: RefreshTokenRepository;
  /** The idle limit: each new token expires this many seconds after it is issued (capped by the family's end). */
  readonly ttl: number;
  readonly scopes: readonly string[];
  /** The resources of the grant (RFC 8707) the refresh token keeps; a refresh may narrow to a subset. */
  readonly resources?: readonly string[] | undefined;
  /** Seconds from the family's start to its end; default: no absolute limit. */
  readonly absoluteTTL?: number | undefined;
  /** When the family began (ms since the epoch); default: now, a new authorization. */
  readonly authTime?: number | undefined;
}

/**
 * The refresh-issuance rule, in one place: a grant issues a refresh token only when it was given a refresh token
 * repository and the client is registered for the `refresh_token` grant type (a client that may not use the grant
 * would only be refused with `unauthorized_client`, RFC 6749 §5.2, when presenting it). Returns the
 * `refresh` option of {@link issueTokens}, or `undefined` for an access token alone.
 *
 * @example
 * ```ts
 * return issueTokens({ server, client, accessTokenTTL: req.accessTokenTTL }, {
 *   userId: user.id, scopes, grantType: this.grantType,
 *   refresh: refreshIssueFor(client, this.refreshTokens, { ttl: 30 * 86400, scopes }),
 * });
 * ```
 */
export function refreshIssueFor(
  client: Client,
  repository: RefreshTokenRepository | undefined,
  settings: Omit<RefreshIssue, 'repository'>,
): RefreshIssue | undefined {
  if (!repository || !client.grantTypes.includes('refresh_token')) return undefined;
  return { repository, ...settings };
}

/**
 * The default absolute lifetime of a refresh-token family (90 days, Keycloak's "SSO Session Max" style): however
 * often it is rotated, a family ends this long after the original authorization, and the user signs in again.
 *
 * @example
 * ```ts
 * new RefreshTokenGrant(storage.refreshTokens, { refreshTokenAbsoluteTTL: DEFAULT_REFRESH_TOKEN_ABSOLUTE_TTL }); // 'P90D'
 * ```
 */
export const DEFAULT_REFRESH_TOKEN_ABSOLUTE_TTL = 'P90D';

const REGISTERED = new Set(['iss', 'sub', 'aud', 'exp', 'iat', 'nbf', 'jti', 'client_id', 'scope', 'cnf']);

/**
 * Tokens signed and sealed but not yet stored: the response body and the records to store for it.
 *
 * @example
 * ```ts
 * const minted: MintedTokens = await mintTokens(ctx, options);
 * await storage.refreshTokens.rotate!(old.id, { accessToken: minted.accessToken, refreshToken: minted.refreshToken }, { now });
 * announceTokens(ctx, options, minted); // the events, once stored
 * return minted.body;
 * ```
 */
export interface MintedTokens {
  readonly body: TokenResponseBody;
  readonly accessToken: AccessTokenRecord;
  readonly refreshToken: RefreshTokenRecord | undefined;
}

/**
 * Mints an access token (an RFC 9068 JWT, or an opaque token when {@link accessTokenFormatFor} says so) and
 * optionally a refresh token, stores their records, and builds the RFC 6749
 * §5.1 response body. The response is built only after the records are saved (durability before answer).
 *
 * @example
 * ```ts
 * return issueTokens({ server: req.server, client: req.client.client, accessTokenTTL: req.accessTokenTTL },
 *   { userId: user.id, scopes, grantType: 'password', refresh: { repository: refreshTokens, ttl: 30 * 86400, scopes } });
 * ```
 */
export async function issueTokens(ctx: IssueContext, options: IssueOptions): Promise<TokenResponseBody> {
  const minted = await mintTokens(ctx, options);
  const refreshRepository = minted.refreshToken ? options.refresh?.repository : undefined;
  // Both records at once when there are two; an access token alone (client credentials) is one save.
  if (refreshRepository) await Promise.all([ctx.server.accessTokens.save(minted.accessToken), refreshRepository.save(minted.refreshToken!)]);
  else await ctx.server.accessTokens.save(minted.accessToken);
  announceTokens(ctx, options, minted);
  return minted.body;
}

/**
 * Signs the access token (or draws an opaque one, whose claims go into its record) and seals the refresh token,
 * and returns them with their records, storing nothing: the
 * caller stores the records (in one atomic step with spending a code or refresh token), then calls
 * {@link announceTokens}.
 *
 * @example
 * ```ts
 * const minted = await mintTokens(ctx, { userId, scopes, grantType: 'refresh_token', familyId, refresh });
 * minted.refreshToken?.accessTokenId === minted.accessToken.id; // true
 * ```
 */
export async function mintTokens(ctx: IssueContext, options: IssueOptions): Promise<MintedTokens> {
  const { server, client, accessTokenTTL } = ctx;
  const iat = epochSeconds(server.clock);
  const exp = iat + accessTokenTTL;
  // An opaque token's jti is the SHA-256 its record is stored under, so `accessTokens.revoke(claims.jti)` works alike.
  const opaque = accessTokenFormatFor(client, server.accessTokenFormat, ctx.accessTokenFormat) === 'opaque' ? await newOpaqueAccessToken(server.crypto) : undefined;
  const jti = opaque?.id ?? encodeBase64url(server.crypto.randomBytes(16));
  const familyId = options.familyId ?? (options.refresh ? encodeBase64url(server.crypto.randomBytes(16)) : undefined);
  const scope = options.scopes.join(' ');
  // RFC 9068 §2.2: without a resource owner, sub identifies the client; the `client:` prefix (as the client
  // credentials grant's default) keeps it from colliding with a user id, also when such a token is refreshed (§5).
  const sub = options.subject ?? options.userId ?? `client:${client.id}`;

  const extra = server.customClaims
    ? await server.customClaims({ client, userId: options.userId, scopes: options.scopes, grantType: options.grantType })
    : undefined;
  const claims: Record<string, unknown> = {};
  if (extra) for (const [k, v] of Object.entries(extra)) if (!REGISTERED.has(k)) claims[k] = v;
  // RFC 9068 §2.2: iss, exp, aud, sub, client_id, iat and jti are required; scope per §2.2.3.
  // RFC 8707 §2 / RFC 9068 §3: the audience is the requested resource(s), else the server's default.
  const aud = audienceFor(server, options.resources ?? []);
  Object.assign(claims, { iss: server.issuer, sub, aud, client_id: client.id, scope, iat, exp, jti });
  // RFC 9449 §6.1: a DPoP-bound access token carries the key's thumbprint as `cnf.jkt` (an opaque one in its record's claims).
  const dpopJkt = ctx.dpopJkt;
  if (dpopJkt !== undefined) claims.cnf = { jkt: dpopJkt };
  // An opaque token carries nothing: its claims are stored in its record, which is keyed by its hash.
  const accessToken = opaque ? opaque.token : await signJwt(server.signingKeys.active, claims, 'at+jwt');

  // RFC 6749 §3.3: a scope value has at least one scope-token; with none granted, §5.1's OPTIONAL scope is left out.
  // RFC 9449 §5: "token_type ... DPoP" for a bound access token.
  const body: TokenResponseBody = { access_token: accessToken, token_type: dpopJkt === undefined ? 'Bearer' : 'DPoP', expires_in: accessTokenTTL };
  if (scope !== '') body.scope = scope;
  let refreshToken: RefreshTokenRecord | undefined;
  if (options.refresh) {
    const { ttl, scopes, absoluteTTL } = options.refresh;
    const authTime = options.refresh.authTime ?? secondsToMs(iat);
    // The idle limit, capped by the family's absolute end (whole seconds, as the sealed token's `exp`).
    const refreshExp = absoluteTTL === undefined ? iat + ttl : Math.min(iat + ttl, toEpochSeconds(authTime) + absoluteTTL);
    const { token, id } = await server.refreshTokenCodec.issue(client.id, refreshExp);
    const resources = options.refresh.resources;
    refreshToken = {
      id, familyId: familyId!, clientId: client.id, userId: options.userId, scopes, expiresAt: secondsToMs(refreshExp), accessTokenId: jti, authTime,
      ...(resources !== undefined && resources.length > 0 ? { resources: [...resources] } : {}),
    };
    // RFC 9449 §5: "Refresh tokens issued to public clients ... MUST be bound to the DPoP public key"; a confidential
    // client's refresh token is bound to its client authentication instead.
    if (dpopJkt !== undefined && !isConfidential(client)) refreshToken = { ...refreshToken, dpopJkt };
    body.refresh_token = token;
  }
  const accessRecord: AccessTokenRecord = {
    id: jti, clientId: client.id, userId: options.userId, scopes: options.scopes, expiresAt: secondsToMs(exp), familyId,
    ...(opaque ? { claims } : {}),
  };
  return { body, accessToken: accessRecord, refreshToken };
}

/**
 * Emits the `refresh_token.issued` and `access_token.issued` events for tokens that are now stored.
 *
 * @example
 * ```ts
 * const minted = await mintTokens(ctx, options);
 * await storeAtomically(minted);
 * announceTokens(ctx, options, minted);
 * ```
 */
export function announceTokens(ctx: IssueContext, options: IssueOptions, minted: MintedTokens): void {
  const { server, client } = ctx;
  const rt = minted.refreshToken;
  if (rt) server.events.emit('refresh_token.issued', { id: rt.id, familyId: rt.familyId, client, userId: options.userId });
  server.events.emit('access_token.issued', { jti: minted.accessToken.id, client, userId: options.userId, scopes: options.scopes, grantType: options.grantType });
}
