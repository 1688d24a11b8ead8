import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';

/**
 * The operator's secret that encrypts the stored keys (the keys file, or the PostgreSQL key row), and the previous
 * one while that secret is being rotated: documents sealed with either open, and are written with the current one.
 *
 * @example
 * ```ts
 * const secrets: KeysSecrets = { current: process.env.GRANTRY_KEYS_SECRET!, previous: process.env.GRANTRY_KEYS_SECRET_PREVIOUS };
 * ```
 */
export interface KeysSecrets {
  readonly current: string;
  readonly previous?: string | undefined;
}

/** The shortest secret accepted: a passphrase this short would be guessable offline from a stolen dump. */
export const MIN_KEYS_SECRET_LENGTH = 32;

const FORMAT = 'grantry-keys-sealed-v1';
const AAD = Buffer.from(FORMAT);
// scrypt makes an offline guess of the secret expensive; the derived key is cached per salt.
const SCRYPT = { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 } as const;

interface SealedDocument {
  readonly format: typeof FORMAT;
  readonly salt: string;
  readonly iv: string;
  readonly data: string;
  readonly tag: string;
}

const derived = new Map<string, Buffer>();

function deriveKey(secret: string, salt: Buffer): Buffer {
  const id = `${salt.toString('base64')}:${secret.length}:${secret}`;
  let key = derived.get(id);
  if (!key) {
    key = scryptSync(secret.normalize('NFC'), salt, 32, SCRYPT);
    if (derived.size > 16) derived.clear();
    derived.set(id, key);
  }
  return key;
}

/**
 * Checks an operator-supplied secret; a `TypeError` names the rule and how to make a good one.
 *
 * @example
 * ```ts
 * checkKeysSecret(process.env.GRANTRY_KEYS_SECRET!, 'GRANTRY_KEYS_SECRET');
 * ```
 */
export function checkKeysSecret(secret: string, where: string): string {
  const trimmed = secret.trim();
  if (trimmed.length < MIN_KEYS_SECRET_LENGTH) {
    throw new TypeError(`${where}: the keys secret must be at least ${MIN_KEYS_SECRET_LENGTH} characters; make one with: openssl rand -base64 32`);
  }
  return trimmed;
}

/**
 * Encrypts a keys document (AES-256-GCM under a key derived from the secret with scrypt and a random salt).
 *
 * @example
 * ```ts
 * const stored = sealKeysDocument(JSON.stringify(keys), secrets.current);
 * ```
 */
export function sealKeysDocument(plaintext: string, secret: string): string {
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', deriveKey(secret, salt), iv);
  cipher.setAAD(AAD);
  const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  const sealed: SealedDocument = { format: FORMAT, salt: salt.toString('base64'), iv: iv.toString('base64'), data: data.toString('base64'), tag: cipher.getAuthTag().toString('base64') };
  return JSON.stringify(sealed) + '\n';
}

/**
 * Whether stored text is a sealed keys document (rather than keys in clear, as written before encryption at rest).
 *
 * @example
 * ```ts
 * if (!isSealedKeysDocument(text)) console.warn('keys stored in clear');
 * ```
 */
export function isSealedKeysDocument(text: string): boolean {
  try {
    return (JSON.parse(text) as { format?: unknown }).format === FORMAT;
  } catch {
    return false;
  }
}

/**
 * Opens a sealed keys document with the current or the previous secret. Throws a `TypeError` that says which
 * setting to check when neither opens it. Text in clear is returned as it is (the caller re-seals it).
 *
 * @example
 * ```ts
 * const json = openKeysDocument(stored, secrets, 'the keys file ./data/keys.json');
 * ```
 */
export function openKeysDocument(text: string, secrets: KeysSecrets | undefined, where: string): { plaintext: string; sealedWith: 'current' | 'previous' | 'none' } {
  if (!isSealedKeysDocument(text)) return { plaintext: text, sealedWith: 'none' };
  if (!secrets) throw new TypeError(`${where} is encrypted: set GRANTRY_KEYS_SECRET (or --keys-secret-file) to the secret it was written with`);
  const sealed = JSON.parse(text) as SealedDocument;
  for (const [which, secret] of [['current', secrets.current], ['previous', secrets.previous]] as const) {
    if (secret === undefined) continue;
    try {
      const decipher = createDecipheriv('aes-256-gcm', deriveKey(secret, Buffer.from(sealed.salt, 'base64')), Buffer.from(sealed.iv, 'base64'));
      decipher.setAAD(AAD);
      decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
      const plaintext = Buffer.concat([decipher.update(Buffer.from(sealed.data, 'base64')), decipher.final()]).toString('utf8');
      return { plaintext, sealedWith: which };
    } catch {
      // the wrong secret: try the next one
    }
  }
  throw new TypeError(
    `${where} cannot be decrypted with the keys secret${secrets.previous === undefined ? '' : 's'} given: check GRANTRY_KEYS_SECRET` +
      ' (during a secret rotation, set the old one as GRANTRY_KEYS_SECRET_PREVIOUS)',
  );
}
