import { decodeBase64url } from './base64url.js';
import type { AeadKey, CryptoBackend } from './crypto/crypto-backend.js';
import { TokenSealer } from './sealed-token.js';

/**
 * An encryption key: exactly 32 random bytes, as a `Uint8Array` or as text in base64 (padded or not, optionally
 * prefixed `base64:`), base64url or hex (64 digits). Nothing else is accepted: a passphrase is not a key (it was
 * once hashed into one, unsalted; now it is refused with a `TypeError`). Make one with `openssl rand -base64 32`.
 *
 * @example
 * ```ts
 * const key: EncryptionKeyMaterial = encodeBase64url(globalThis.crypto.getRandomValues(new Uint8Array(32)));
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

const KEY_FORMAT_HELP =
  'grantry: an encryption key must be exactly 32 random bytes, given as base64, base64url or hex (or raw bytes); ' +
  'make one with `openssl rand -base64 32` or ' +
  '`node -e "console.log(require(\'node:crypto\').randomBytes(32).toString(\'base64\'))"`';

const HEX_KEY = /^[0-9a-fA-F]{64}$/;
const BASE64_KEY = /^[A-Za-z0-9+/]{43}=?$|^[A-Za-z0-9_-]{43}$/;

/** The 32 bytes of a key in one of the accepted forms; a `TypeError` explaining the format otherwise. */
function rawKey(material: EncryptionKeyMaterial): Uint8Array {
  if (material instanceof Uint8Array) {
    if (material.length !== 32) throw new TypeError(`${KEY_FORMAT_HELP} (got ${material.length} bytes)`);
    return material;
  }
  if (typeof material !== 'string') throw new TypeError(KEY_FORMAT_HELP);
  const text = material.startsWith('base64:') ? material.slice(7) : material;
  if (HEX_KEY.test(text)) {
    const out = new Uint8Array(32);
    for (let i = 0; i < 32; i++) out[i] = parseInt(text.slice(i * 2, i * 2 + 2), 16);
    return out;
  }
  if (BASE64_KEY.test(text)) {
    const bytes = decodeBase64url(text.replace(/\+/g, '-').replace(/\//g, '_').replace(/=$/, ''));
    if (bytes.length === 32) return bytes;
  }
  // Never echo the value: it may be a secret given in the wrong form.
  throw new TypeError(KEY_FORMAT_HELP);
}

/**
 * Checks, synchronously, that every encryption key is 32 bytes in an accepted form: a `TypeError` explaining the
 * format (and how to make a key) otherwise, naming the position of the bad key in a rotation list. Lets the server
 * refuse a short key when it is built rather than at the first request.
 *
 * @example
 * ```ts
 * checkEncryptionKeys(process.env.ENCRYPTION_KEY!); // throws at start-up for a passphrase or a short key
 * ```
 */
export function checkEncryptionKeys(input: EncryptionKeyMaterial | readonly EncryptionKeyInput[]): void {
  const list: readonly EncryptionKeyInput[] = typeof input === 'string' || input instanceof Uint8Array ? [{ key: input }] : input;
  if (list.length === 0) throw new TypeError('grantry: encryptionKey: give a key, or a non-empty list of keys (newest first)');
  list.forEach((entry: EncryptionKeyInput, i) => {
    try {
      rawKey(entry.key);
    } catch (error) {
      const which = list.length > 1 ? `encryptionKey[${i}]` : 'encryptionKey';
      throw new TypeError((error as Error).message.replace(/^grantry: /, `grantry: ${which}: `));
    }
  });
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
    const raw = rawKey(entry.key);
    // Default kid: a short hash of the key, so that two different keys never share an id.
    const kid = entry.kid ?? (await crypto.sha256(`grantry-kid:${String.fromCharCode(...raw)}`)).slice(0, 12);
    keys.push(await crypto.importAeadKey(raw, kid));
  }
  return new TokenSealer(keys);
}
