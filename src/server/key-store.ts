import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EncryptionKeyInput } from '../tokens/encryption-keys.js';
import { dataPathError } from './data-dir-error.js';
import type { SigningKeyInput } from '../tokens/signing-key-set.js';
import { encryptionKeysAt, pruneKeys, signingKeysAt, type KeyLifecyclePolicy } from './key-lifecycle.js';
import { openKeysDocument, sealKeysDocument, type KeysSecrets } from './keys-at-rest.js';
import { secondsToMs } from '../tokens/time-units.js';

/** One signing key as kept in the keys file. */
export interface StoredSigningKey {
  readonly kid: string;
  readonly alg: 'RS256';
  /** As written before activation times existed; the state is now derived from the times (see `keyViews`). */
  readonly status?: 'active' | 'published';
  readonly createdAt: string;
  /** When it starts signing (ISO 8601); published in the JWKS from `createdAt`. Absent: at `createdAt`. */
  readonly activatesAt?: string;
  readonly privateKeyPem: string;
}

/** One encryption key (32 random bytes, base64url) as kept in the keys file; the first encrypts. */
export interface StoredEncryptionKey {
  readonly kid: string;
  readonly createdAt: string;
  /** When it starts sealing (ISO 8601); it opens tokens from `createdAt`. Absent: at `createdAt`. */
  readonly activatesAt?: string;
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
  /**
   * Rotates (see {@link rotatedKeys}) and stores the result. With `ifOlderThan` (seconds), rotates only when the
   * newest signing key is older than that (scheduled rotation: of several instances, one rotates).
   */
  rotate(policy: KeyLifecyclePolicy, options?: { ifOlderThan?: number }): Promise<KeysFile>;
  /** Changes whenever the stored keys change (running servers poll it to pick up a rotation). */
  version(): Promise<string>;
}

/**
 * The keys file in a data directory, owner-only; encrypted with the operator's secret when one is given.
 *
 * @example
 * ```ts
 * const keys = await fileKeySource('./data', { current: process.env.GRANTRY_KEYS_SECRET! }).load();
 * ```
 */
export function fileKeySource(dataDir: string, secrets?: KeysSecrets): KeySource {
  return {
    location: keysPath(dataDir),
    load: async () => loadOrCreateKeys(dataDir, secrets),
    rotate: async (policy, options) => rotateKeys(dataDir, policy, secrets, options?.ifOlderThan),
    version: async () => {
      try {
        return String(statSync(keysPath(dataDir)).mtimeMs);
      } catch {
        return 'missing';
      }
    },
  };
}

/** New keys, in use at once: one RSA signing key (RS256), one encryption key, one session key. */
export function generateKeys(now = Date.now()): KeysFile {
  return { signing: [newSigningKey(now, now)], encryption: [newEncryptionKey(now, now)], session: randomBytes(32).toString('base64url') };
}

/**
 * Key rotation, publish then activate: a new signing key is published in the JWKS at once and starts signing only
 * after `policy.activationDelay`, when every cached JWK set has it; a new encryption key opens tokens at once and
 * starts sealing after the same delay, when every instance has loaded it. Old keys stay until their retention has
 * passed since they were last used ({@link pruneKeys}), however often rotation runs.
 */
export function rotatedKeys(current: KeysFile, policy: KeyLifecyclePolicy, now?: number): KeysFile {
  // The key pair first: generating it can take a second, and the activation delay counts from publication.
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const at = now ?? Date.now();
  const activation = at + secondsToMs(policy.activationDelay);
  const next: KeysFile = {
    signing: [newSigningKey(at, activation, privateKey), ...current.signing],
    encryption: [newEncryptionKey(at, activation), ...current.encryption],
    session: current.session,
  };
  return pruneKeys(next, at, policy);
}

/** Whether the newest signing key is older than `seconds` (scheduled rotation is due). */
export function rotationDue(keys: KeysFile, seconds: number, now = Date.now()): boolean {
  const newest = Math.max(...keys.signing.map((k) => Date.parse(k.createdAt)));
  return now - newest >= secondsToMs(seconds);
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
export function loadOrCreateKeys(dataDir: string, secrets?: KeysSecrets): KeysFile {
  const path = keysPath(dataDir);
  let text: string | undefined;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new TypeError(`cannot read the key file ${path}: ${(error as Error).message}`);
  }
  if (text === undefined) {
    const keys = generateKeys();
    saveKeys(dataDir, keys, secrets);
    return keys;
  }
  const { plaintext, sealedWith } = openKeysDocument(text, secrets, `the key file ${path}`);
  const keys = parseKeys(path, plaintext);
  // Keys in clear, or under the previous secret during its rotation: written again under the current secret.
  if (secrets && sealedWith !== 'current') saveKeys(dataDir, keys, secrets);
  return keys;
}

/** Writes the keys file atomically, owner-only, encrypted when a secret is given. */
export function saveKeys(dataDir: string, keys: KeysFile, secrets?: KeysSecrets): void {
  const path = keysPath(dataDir);
  const tmp = `${path}.${process.pid}.tmp`;
  const json = JSON.stringify(keys, null, 2) + '\n';
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    writeFileSync(tmp, secrets ? sealKeysDocument(json, secrets.current) : json, { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, path);
  } catch (error) {
    throw dataPathError('write the key file', path, error);
  }
}

/** Rotates the keys file in place (see {@link rotatedKeys}); with `ifOlderThan`, only when a rotation is due. */
export function rotateKeys(dataDir: string, policy: KeyLifecyclePolicy, secrets?: KeysSecrets, ifOlderThan?: number): KeysFile {
  const current = loadOrCreateKeys(dataDir, secrets);
  if (ifOlderThan !== undefined && !rotationDue(current, ifOlderThan)) return current;
  const next = rotatedKeys(current, policy);
  saveKeys(dataDir, next, secrets);
  return next;
}

/** The file's mode bits (for `keys list` and the tests of owner-only storage). */
export function keysFileMode(dataDir: string): number {
  return statSync(keysPath(dataDir)).mode & 0o777;
}

/** The signing keys in the form `AuthorizationServer` takes, in their state at `now` (see `keyViews`). */
export const signingKeyInputs = (keys: KeysFile, now = Date.now()): SigningKeyInput[] => signingKeysAt(keys, now);

/** The encryption keys in the form `AuthorizationServer` takes at `now`: the active one first. */
export const encryptionKeyInputs = (keys: KeysFile, now = Date.now()): EncryptionKeyInput[] => encryptionKeysAt(keys, now);

function newSigningKey(now: number, activatesAt: number, privateKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey): StoredSigningKey {
  return {
    kid: randomUUID(),
    alg: 'RS256',
    createdAt: new Date(now).toISOString(),
    activatesAt: new Date(activatesAt).toISOString(),
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

function newEncryptionKey(now: number, activatesAt: number): StoredEncryptionKey {
  return { kid: randomUUID().slice(0, 8), createdAt: new Date(now).toISOString(), activatesAt: new Date(activatesAt).toISOString(), key: randomBytes(32).toString('base64url') };
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
  for (const k of parsed.signing) {
    if (typeof k.kid !== 'string' || typeof k.privateKeyPem !== 'string' || !k.privateKeyPem.includes('PRIVATE KEY')) throw bad(`signing key ${String(k.kid)} has no PEM private key`);
  }
  if (!Array.isArray(parsed.encryption) || parsed.encryption.length === 0) throw bad('no encryption keys');
  for (const k of parsed.encryption) if (typeof k.key !== 'string' || typeof k.kid !== 'string') throw bad('an encryption key is malformed');
  for (const k of [...parsed.signing, ...parsed.encryption]) {
    if (typeof k.createdAt !== 'string' || Number.isNaN(Date.parse(k.createdAt))) throw bad(`key ${String(k.kid)} has no creation time`);
    if (k.activatesAt !== undefined && Number.isNaN(Date.parse(k.activatesAt))) throw bad(`key ${String(k.kid)} has a bad activation time`);
  }
  // Keys written before activation times count as activated when created: the newest is active, as it was.
  if (typeof parsed.session !== 'string' || parsed.session.length < 32) throw bad('no session key');
  return parsed as unknown as KeysFile;
}
