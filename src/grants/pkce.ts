import type { CodeChallengeMethod } from '../contracts/types.js';
import type { CryptoBackend } from '../tokens/crypto/crypto-backend.js';


/** RFC 7636 §4.1: code-verifier = 43*128unreserved; unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~". */
const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;
/** RFC 7636 §4.2: S256 is BASE64URL(SHA256(verifier)): 32 bytes are exactly 43 unpadded characters. */
const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

/**
 * Whether a `code_verifier` has the syntax of RFC 7636 §4.1 (43–128 unreserved characters).
 *
 * @example
 * ```ts
 * isValidCodeVerifier('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'); // true
 * isValidCodeVerifier('too-short'); // false
 * ```
 */
export function isValidCodeVerifier(verifier: string): boolean {
  return VERIFIER.test(verifier);
}

/**
 * Whether a `code_challenge` is well formed for its method: an S256 challenge is a base64url SHA-256 (43
 * characters); a plain challenge is a verifier (RFC 7636 §4.2).
 *
 * @example
 * ```ts
 * isValidCodeChallenge('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', 'S256'); // true
 * ```
 */
export function isValidCodeChallenge(challenge: string, method: CodeChallengeMethod): boolean {
  return method === 'S256' ? S256_CHALLENGE.test(challenge) : VERIFIER.test(challenge);
}

/**
 * Checks a `code_verifier` against the stored challenge (RFC 7636 §4.6), in constant time.
 *
 * @example
 * ```ts
 * const ok = await verifyCodeVerifier(ctx.crypto, verifier, record.codeChallenge, 'S256');
 * ```
 */
export async function verifyCodeVerifier(
  crypto: CryptoBackend,
  verifier: string,
  challenge: string,
  method: CodeChallengeMethod,
): Promise<boolean> {
  if (!isValidCodeVerifier(verifier)) return false;
  // RFC 7636 §4.6: S256 compares BASE64URL-ENCODE(SHA256(ASCII(code_verifier))) == code_challenge.
  const computed = method === 'S256' ? await crypto.sha256(verifier) : verifier;
  return crypto.timingSafeEqual(computed, challenge);
}
