import type { AccessTokenRecord, RefreshTokenRecord } from '../../contracts/repositories.js';
import { keySetResolver } from '../../tokens/key-resolver.js';
import { isOpaqueAccessToken, opaqueAccessTokenId } from '../../tokens/opaque-access-token.js';
import { verifyAccessToken, type AccessTokenClaims } from '../../tokens/verify-access-token.js';
import type { EndpointContext } from './endpoint-options.js';

/** A token found by {@link findToken}, with its stored record. */
export type FoundToken =
  | { readonly type: 'access_token'; readonly claims: AccessTokenClaims; readonly record: AccessTokenRecord & { revoked: boolean } }
  | { readonly type: 'refresh_token'; readonly record: RefreshTokenRecord & { revoked: boolean; consumed: boolean } };

type TokenType = FoundToken['type'];

/**
 * Looks a presented token up as an access token (a JWT this server signed, by its `jti`; an opaque one, by its
 * SHA-256) and as a refresh token (sealed or opaque, by its id), trying the hinted type first. RFC 7009 §2.1 / RFC 7662 §2.1: the hint is only a
 * hint: "If the server is unable to locate the token using the given hint, it MUST extend its search across all of
 * its supported token types." Expiry is the caller's to judge.
 *
 * @example
 * ```ts
 * const found = await findToken(ctx, params.get('token')!, params.get('token_type_hint'));
 * if (found?.type === 'refresh_token') await refreshTokens.revokeFamily(found.record.familyId);
 * ```
 */
export async function findToken(ctx: EndpointContext, token: string, hint: string | undefined): Promise<FoundToken | undefined> {
  const order: TokenType[] = hint === 'refresh_token' ? ['refresh_token', 'access_token'] : ['access_token', 'refresh_token'];
  for (const type of order) {
    const found = type === 'access_token' ? await findAccessToken(ctx, token) : await findRefreshToken(ctx, token);
    if (found) return found;
  }
  return undefined;
}

async function findAccessToken(ctx: EndpointContext, token: string): Promise<FoundToken | undefined> {
  const { server } = ctx;
  if (isOpaqueAccessToken(token)) return findOpaqueAccessToken(ctx, token);
  if (token.split('.').length !== 3) return undefined;
  const result = await verifyAccessToken(token, {
    keys: keySetResolver(server.signingKeys),
    issuer: server.issuer,
    now: server.clock.now(),
    checkTime: false,
  });
  if (!result.valid) return undefined;
  const record = await server.accessTokens.find(result.claims.jti);
  // A signed token without a record is unknown here (records are saved before a token is handed out).
  return record && { type: 'access_token', claims: result.claims, record };
}

async function findRefreshToken(ctx: EndpointContext, token: string): Promise<FoundToken | undefined> {
  const repository = ctx.options.refreshTokens;
  if (!repository) return undefined;
  const opened = await ctx.server.refreshTokenCodec.open(token);
  if (!opened) return undefined;
  const record = await repository.find(opened.id);
  return record && { type: 'refresh_token', record };
}

/**
 * An opaque access token, by the SHA-256 its record is stored under. Only a record that holds claims is an opaque
 * token's (a JWT's record is keyed by its jti, never a hash a presented string could produce).
 */
async function findOpaqueAccessToken(ctx: EndpointContext, token: string): Promise<FoundToken | undefined> {
  const record = await ctx.server.accessTokens.find(await opaqueAccessTokenId(ctx.server.crypto, token));
  if (!record?.claims) return undefined;
  return { type: 'access_token', claims: record.claims as AccessTokenClaims, record };
}
