import { encodeBase64url } from './base64url.js';
import type { CryptoBackend } from './crypto/crypto-backend.js';

/**
 * The prefix of grantry's opaque access tokens: it tells a person, a log scrubber or a secret scanner what the
 * string is, and tells a resource server by shape alone that the token is not a JWT.
 */
export const OPAQUE_ACCESS_TOKEN_PREFIX = 'gat_';

/** The prefix and 256 random bits in base64url (43 characters), nothing else. */
const OPAQUE_SHAPE = /^gat_[A-Za-z0-9_-]{43}$/;

/**
 * Whether a string has the shape of grantry's opaque access token (`gat_` and 43 base64url characters). A JWT
 * (three dot-separated parts) never has it.
 *
 * @example
 * ```ts
 * isOpaqueAccessToken('gat_' + 'A'.repeat(43)); // true
 * isOpaqueAccessToken('eyJhbGciOi...'); // false
 * ```
 */
export const isOpaqueAccessToken = (token: string): boolean => OPAQUE_SHAPE.test(token);

/**
 * The storage id of an opaque access token: its SHA-256 (base64url). Records are keyed by it, so a copy of the
 * database yields no usable token; it is also the token's `jti`.
 *
 * @example
 * ```ts
 * const record = await storage.accessTokens.find(await opaqueAccessTokenId(crypto, token));
 * ```
 */
export function opaqueAccessTokenId(crypto: CryptoBackend, token: string): string | Promise<string> {
  return crypto.sha256(token);
}

/**
 * A new opaque access token (`gat_` and 256 random bits) and the id to store its record under.
 *
 * @example
 * ```ts
 * const { token, id } = await newOpaqueAccessToken(crypto);
 * id === (await opaqueAccessTokenId(crypto, token)); // true
 * ```
 */
export async function newOpaqueAccessToken(crypto: CryptoBackend): Promise<{ token: string; id: string }> {
  const token = OPAQUE_ACCESS_TOKEN_PREFIX + encodeBase64url(crypto.randomBytes(32));
  return { token, id: await opaqueAccessTokenId(crypto, token) };
}
