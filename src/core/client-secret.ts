import { encodeBase64url } from '../tokens/base64url.js';
import { loadCryptoBackend } from '../tokens/crypto/crypto-backend.js';

const PREFIX = 'sha256$';

/**
 * Hashes a client secret for storage. Client secrets that grantry generates carry 256 bits of entropy, for which a
 * fast hash is as strong as a slow one and keeps the token endpoint fast; user passwords get scrypt instead.
 *
 * @example
 * ```ts
 * const secretHash = await hashClientSecret('s3cret'); // 'sha256$...'
 * ```
 */
export async function hashClientSecret(secret: string): Promise<string> {
  const crypto = await loadCryptoBackend();
  return PREFIX + (await crypto.sha256(secret));
}

/**
 * Checks a presented secret against a stored hash in constant time.
 *
 * @example
 * ```ts
 * if (!(await verifyClientSecret(presented, client.secretHash))) throw OAuthError.invalidClient();
 * ```
 */
export async function verifyClientSecret(secret: string, secretHash: string): Promise<boolean> {
  const crypto = await loadCryptoBackend();
  const presented = PREFIX + (await crypto.sha256(secret));
  return crypto.timingSafeEqual(presented, secretHash);
}

/**
 * A new random client secret (256 bits, base64url).
 *
 * @example
 * ```ts
 * const secret = await generateClientSecret(); // show once, store hashClientSecret(secret)
 * ```
 */
export async function generateClientSecret(): Promise<string> {
  const crypto = await loadCryptoBackend();
  return encodeBase64url(crypto.randomBytes(32));
}
