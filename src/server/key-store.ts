import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EncryptionKeyInput } from '../tokens/encryption-keys.js';
import { dataPathError } from './data-dir-error.js';
import type { SigningKeyInput } from '../tokens/signing-key-set.js';

/** One signing key as kept in the keys file. */
export interface StoredSigningKey {
  readonly kid: string;
  readonly alg: 'RS256';
  readonly status: 'active' | 'published';
  readonly createdAt: string;
  readonly privateKeyPem: string;
}

/** One encryption key (32 random bytes, base64url) as kept in the keys file; the first encrypts. */
export interface StoredEncryptionKey {
  readonly kid: string;
  readonly createdAt: string;
  readonly key: string;
}

/**
 * The server's keys as stored: in `<data-dir>/keys.json`, or in PostgreSQL.
 *
 * @example
 * ```ts
 * const keys: KeysFile = await fileKeySource('./data').load();
 * keys.signing.find((k) => k.status === 'active')?.kid;
 * ```
 */
export interface KeysFile {
  readonly signing: readonly StoredSigningKey[];
  readonly encryption: readonly StoredEncryptionKey[];
  /** HMAC key for session cookies and CSRF tokens (base64url). */
  readonly session: string;
}

/** The keys file's path in a data directory. */
export const keysPath = (dataDir: string): string => join(dataDir, 'keys.json');

/**
 * Where the server's keys live: a file in the data directory (SQLite, one machine), or a table in PostgreSQL so
 * that every instance on the database signs and seals with the same keys.
 *
 * @example
 * ```ts
 * const source = fileKeySource('./data');
 * const keys = await source.load(); // generated on first use
 * ```
 */
export interface KeySource {
  /** Where the keys are, for messages. */
  readonly location: string;
  /** The keys, generated and stored on first use. */
  load(): Promise<KeysFile>;
  /** Rotates (see {@link rotatedKeys}) and stores the result. */
  rotate(): Promise<KeysFile>;
  /** Changes whenever the stored keys change (running servers poll it to pick up a rotation). */
  version(): Promise<string>;
}

/**
 * The keys file in a data directory, owner-only.
 *
 * @example
 * ```ts
 * const keys = await fileKeySource('./data').load();
 * ```
 */
export function fileKeySource(dataDir: string): KeySource {
  return {
    location: keysPath(dataDir),
    load: async () => loadOrCreateKeys(dataDir),
    rotate: async () => rotateKeys(dataDir),
    version: async () => {
      try {
        return String(statSync(keysPath(dataDir)).mtimeMs);
      } catch {
        return 'missing';
      }
    },
  };
}

/** New keys: one RSA signing key (RS256), one encryption key, one session key. */
export function generateKeys(): KeysFile {
  return { signing: [newSigningKey('active')], encryption: [newEncryptionKey()], session: randomBytes(32).toString('base64url') };
}

/**
 * Key rotation: a new signing key becomes active and the old active one stays published (in the JWKS) so that
 * tokens it signed keep validating; a new encryption key encrypts while the old ones keep decrypting. `keep`
 * generations are retained.
 */
export function rotatedKeys(current: KeysFile, keep = 2): KeysFile {
  return {
    signing: [newSigningKey('active'), ...current.signing.map((k) => ({ ...k, status: 'published' as const }))].slice(0, keep),
    encryption: [newEncryptionKey(), ...current.encryption].slice(0, keep),
    session: current.session,
  };
}

/**
 * Reads the keys file, creating it (owner-only, mode 0600, in a 0700 directory) on first start. Throws a
 * `TypeError` with a clear message when the file exists but is unreadable or malformed.
 *
 * @example
 * ```ts
 * const keys = loadOrCreateKeys('./data');
 * new AuthorizationServer({ ...repos, issuer, privateKey: signingKeyInputs(keys), encryptionKey: encryptionKeyInputs(keys) });
 * ```
 */
export function loadOrCreateKeys(dataDir: string): KeysFile {
  const path = keysPath(dataDir);
  let text: string | undefined;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new TypeError(`cannot read the key file ${path}: ${(error as Error).message}`);
  }
  if (text === undefined) {
    const keys = generateKeys();
    saveKeys(dataDir, keys);
    return keys;
  }
  return parseKeys(path, text);
}

/** Writes the keys file atomically, owner-only. */
export function saveKeys(dataDir: string, keys: KeysFile): void {
  const path = keysPath(dataDir);
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    writeFileSync(tmp, JSON.stringify(keys, null, 2) + '\n', { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, path);
  } catch (error) {
    throw dataPathError('write the key file', path, error);
  }
}

/** Rotates the keys file in place (see {@link rotatedKeys}). */
export function rotateKeys(dataDir: string, keep = 2): KeysFile {
  const next = rotatedKeys(loadOrCreateKeys(dataDir), keep);
  saveKeys(dataDir, next);
  return next;
}

/** The file's mode bits (for `keys list` and the tests of owner-only storage). */
export function keysFileMode(dataDir: string): number {
  return statSync(keysPath(dataDir)).mode & 0o777;
}

/** The signing keys in the form `AuthorizationServer` takes. */
export const signingKeyInputs = (keys: KeysFile): SigningKeyInput[] =>
  keys.signing.map((k) => ({ key: k.privateKeyPem, kid: k.kid, alg: k.alg, status: k.status }));

/** The encryption keys in the form `AuthorizationServer` takes, newest first. */
export const encryptionKeyInputs = (keys: KeysFile): EncryptionKeyInput[] => keys.encryption.map((k) => ({ key: k.key, kid: k.kid }));

function newSigningKey(status: 'active' | 'published'): StoredSigningKey {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    kid: randomUUID(),
    alg: 'RS256',
    status,
    createdAt: new Date().toISOString(),
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

function newEncryptionKey(): StoredEncryptionKey {
  return { kid: randomUUID().slice(0, 8), createdAt: new Date().toISOString(), key: randomBytes(32).toString('base64url') };
}

/** Parses and checks a stored keys document; a `TypeError` names `where` and what is wrong. */
export function parseKeys(path: string, text: string): KeysFile {
  const bad = (why: string) => new TypeError(`the keys in ${path} are invalid: ${why}`);
  let parsed: { signing?: Partial<StoredSigningKey>[]; encryption?: Partial<StoredEncryptionKey>[]; session?: unknown };
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch {
    throw bad('not JSON');
  }
  if (!Array.isArray(parsed.signing) || parsed.signing.length === 0) throw bad('no signing keys');
  if (parsed.signing.filter((k) => k.status === 'active').length !== 1) throw bad('exactly one signing key must be active');
  for (const k of parsed.signing) {
    if (typeof k.kid !== 'string' || typeof k.privateKeyPem !== 'string' || !k.privateKeyPem.includes('PRIVATE KEY')) throw bad(`signing key ${String(k.kid)} has no PEM private key`);
  }
  if (!Array.isArray(parsed.encryption) || parsed.encryption.length === 0) throw bad('no encryption keys');
  for (const k of parsed.encryption) if (typeof k.key !== 'string' || typeof k.kid !== 'string') throw bad('an encryption key is malformed');
  if (typeof parsed.session !== 'string' || parsed.session.length < 32) throw bad('no session key');
  return parsed as unknown as KeysFile;
}
