import { decodeBase64url } from './base64url.js';
import type { AeadKey, CryptoBackend } from './crypto/crypto-backend.js';
import { TokenSealer } from './sealed-token.js';

/**
 * An encryption key: 32 raw bytes, `base64:`/base64url text of 32 bytes, or a random string of at least 32
 * characters (hashed with SHA-256 into a key, like league's `Key::loadFromAsciiSafeString` alternative).
 *
 * @example
 * ```ts
 * const key: EncryptionKeyMaterial = 'base64:' + encodeBase64url(globalThis.crypto.getRandomValues(new Uint8Array(32)));
 * const server = new AuthorizationServer({ ...options, encryptionKey: key });
 * ```
 */
export type EncryptionKeyMaterial = string | Uint8Array;

/**
 * One encryption key with an optional id; the first of a list encrypts, all decrypt.
 *
 * @example
 * ```ts
 * const keys: EncryptionKeyInput[] = [{ key: newKey, kid: '2026-11' }, { key: oldKey, kid: '2026-05' }]; // newest first
 * await server.rotateKeys({ encryptionKey: keys });
 * ```
 */
export interface EncryptionKeyInput {
  key: EncryptionKeyMaterial;
  kid?: string;
}

async function rawKey(crypto: CryptoBackend, material: EncryptionKeyMaterial): Promise<Uint8Array> {
  if (material instanceof Uint8Array) return material;
  const text = material.startsWith('base64:') ? material.slice(7) : material;
  try {
    const bytes = decodeBase64url(text.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''));
    if (bytes.length === 32) return bytes;
  } catch {
    // not base64: treated as a passphrase-like random string below
  }
  if (material.length < 32) throw new TypeError('grantry: the encryption key must be 32 bytes or a string of at least 32 characters');
  return decodeBase64url(await crypto.sha256(material));
}

/**
 * Builds the {@link TokenSealer} for refresh tokens and codes from one key or a rotation list (newest first).
 *
 * @example
 * ```ts
 * const crypto = await loadCryptoBackend();
 * const sealer = await loadEncryptionKeys(crypto, [{ key: process.env.NEW_KEY!, kid: '2026-11' }, { key: oldKey, kid: '2026-05' }]);
 * ```
 */
export async function loadEncryptionKeys(
  crypto: CryptoBackend,
  input: EncryptionKeyMaterial | readonly EncryptionKeyInput[],
): Promise<TokenSealer> {
  const list: readonly EncryptionKeyInput[] = typeof input === 'string' || input instanceof Uint8Array ? [{ key: input }] : input;
  const keys: AeadKey[] = [];
  for (const entry of list) {
    const raw = await rawKey(crypto, entry.key);
    // Default kid: a short hash of the key, so that two different keys never share an id.
    const kid = entry.kid ?? (await crypto.sha256(`grantry-kid:${String.fromCharCode(...raw)}`)).slice(0, 12);
    keys.push(await crypto.importAeadKey(raw, kid));
  }
  return new TokenSealer(keys);
}
