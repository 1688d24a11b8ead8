import { decodeBase64url, encodeBase64url, utf8 } from '../tokens/base64url.js';
import { loadCryptoBackend, type CryptoBackend } from '../tokens/crypto/crypto-backend.js';

const PREFIX = 'sha256$';
const SLOW_PREFIX = 'pbkdf2-sha256';
/** PBKDF2-HMAC-SHA256 iterations for short secrets (OWASP's 2023 figure for this function). */
const ITERATIONS = 600_000;
/** Highest iteration count a stored hash may name: bounds the work a corrupt row can cause. */
const MAX_ITERATIONS = 10_000_000;

/**
 * The length, in characters, from which a client secret is stored under a fast hash. 32 characters are 128 bits of
 * a random hex string and 192 of a random base64 one; grantry's own secrets have 43 (256 bits). A shorter secret,
 * which can only have been chosen by a person or another server, goes under salted PBKDF2 instead, so that a
 * leaked table does not make it cheap to guess.
 *
 * @example
 * ```ts
 * const fast = secret.length >= FAST_HASH_MIN_SECRET_LENGTH; // how hashClientSecret will store it
 * ```
 */
export const FAST_HASH_MIN_SECRET_LENGTH = 32;

async function pbkdf2(secret: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  const subtle = globalThis.crypto.subtle;
  const copy = (u: Uint8Array): ArrayBuffer => new Uint8Array(u).buffer;
  const key = await subtle.importKey('raw', copy(utf8(secret.normalize('NFC'))), 'PBKDF2', false, ['deriveBits']);
  return new Uint8Array(await subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt: copy(salt), iterations }, key, 256));
}

/**
 * Hashes a client secret for storage. A secret of at least {@link FAST_HASH_MIN_SECRET_LENGTH} characters (every
 * secret grantry generates: 256 random bits) gets SHA-256, for which a slow hash would add nothing but latency at
 * the token endpoint. A shorter one, chosen by an operator or imported from another server, gets salted
 * PBKDF2-HMAC-SHA256 with 600 000 iterations (Web Crypto, so on every runtime), as a password would: it costs that
 * much at each authentication of that client, so prefer generated secrets. An empty secret is a `TypeError`.
 *
 * @example
 * ```ts
 * const secretHash = await hashClientSecret(await generateClientSecret()); // 'sha256$...'
 * const imported = await hashClientSecret('legacy-secret');                // 'pbkdf2-sha256$600000$salt$hash'
 * ```
 */
export async function hashClientSecret(secret: string): Promise<string> {
  if (typeof secret !== 'string' || secret === '') throw new TypeError('grantry: a client secret cannot be empty');
  const crypto = await loadCryptoBackend();
  if ([...secret].length >= FAST_HASH_MIN_SECRET_LENGTH) return PREFIX + (await crypto.sha256(secret));
  const salt = crypto.randomBytes(16);
  return [SLOW_PREFIX, ITERATIONS, encodeBase64url(salt), encodeBase64url(await pbkdf2(secret, salt, ITERATIONS))].join('$');
}

/**
 * Checks a presented secret against a stored hash (either form of {@link hashClientSecret}) in constant time. A
 * malformed hash never matches.
 *
 * @example
 * ```ts
 * if (!(await verifyClientSecret(presented, client.secretHash))) throw OAuthError.invalidClient();
 * ```
 */
export async function verifyClientSecret(secret: string, secretHash: string): Promise<boolean> {
  // The backend is loaded once; later calls skip the await (a token request checks a secret every time).
  const crypto = loadedBackend ?? (loadedBackend = await loadCryptoBackend());
  if (secretHash.startsWith(`${SLOW_PREFIX}$`)) return verifySlow((a, b) => crypto.timingSafeEqual(a, b), secret, secretHash);
  const digest = crypto.sha256(secret);
  const presented = PREFIX + (typeof digest === 'string' ? digest : await digest);
  return crypto.timingSafeEqual(presented, secretHash);
}

let loadedBackend: CryptoBackend | undefined;

async function verifySlow(equal: (a: string, b: string) => boolean, secret: string, secretHash: string): Promise<boolean> {
  const [, rounds, salt, hash, extra] = secretHash.split('$');
  const iterations = Number(rounds);
  if (extra !== undefined || !salt || !hash || !Number.isInteger(iterations) || iterations < 1 || iterations > MAX_ITERATIONS) return false;
  let saltBytes: Uint8Array;
  try {
    saltBytes = decodeBase64url(salt);
  } catch {
    return false;
  }
  return equal(encodeBase64url(await pbkdf2(secret, saltBytes, iterations)), hash);
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
