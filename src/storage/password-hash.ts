import { decodeBase64url, encodeBase64url } from '../tokens/base64url.js';

// scrypt (node:crypto): memory-hard, the default where node:crypto exists (Node, Bun, Deno).
const SCRYPT = 'scrypt';
const N = 16384;
const R = 8;
const P = 1;
const KEY_LENGTH = 32;
// PBKDF2-HMAC-SHA256 (Web Crypto): every Fetch-API runtime, with OWASP's 2023 iteration count (as client secrets
// use). The count is stored in each hash, so a later default can change it without breaking old hashes.
const PBKDF2 = 'pbkdf2-sha256';
const PBKDF2_ITERATIONS = 600_000;
const PBKDF2_MAX_ITERATIONS = 10_000_000;

/**
 * How {@link hashPassword} hashes: `scrypt` (node:crypto; the default on Node, Bun and Deno) or `pbkdf2-sha256`
 * (Web Crypto; the default where node:crypto is missing, e.g. Cloudflare Workers, and readable on every runtime).
 *
 * @example
 * ```ts
 * const scheme: PasswordHashScheme = 'pbkdf2-sha256'; // hashes a Worker can check too
 * const passwordHash = await hashPassword('correct horse battery staple', { scheme });
 * ```
 */
export type PasswordHashScheme = 'scrypt' | 'pbkdf2-sha256';

type NodeCrypto = typeof import('node:crypto');
let nodeCrypto: Promise<NodeCrypto> | undefined;
const hasNodeCrypto = (): boolean =>
  typeof (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node === 'string';
// Imported lazily so that importing storage modules stays possible on runtimes without node:crypto.
const loadNodeCrypto = (): Promise<NodeCrypto> => {
  if (!hasNodeCrypto()) {
    throw new Error('grantry: this password hash is scrypt, which needs node:crypto (Node, Bun or Deno); '
      + 'on other runtimes store pbkdf2-sha256 hashes (hashPassword(password, { scheme: "pbkdf2-sha256" }))');
  }
  return (nodeCrypto ??= import('node:crypto'));
};

function scrypt(crypto: NodeCrypto, password: string, salt: Uint8Array, n: number, r: number, p: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) =>
    crypto.scrypt(password.normalize('NFC'), salt, KEY_LENGTH, { N: n, r, p, maxmem: 128 * n * r * 2 }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

async function pbkdf2(password: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  const subtle = globalThis.crypto.subtle;
  const key = await subtle.importKey('raw', new TextEncoder().encode(password.normalize('NFC')), 'PBKDF2', false, ['deriveBits']);
  const saltBuffer = new Uint8Array(salt).buffer;
  return new Uint8Array(await subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt: saltBuffer, iterations }, key, KEY_LENGTH * 8));
}

function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}

function decode(text: string | undefined): Uint8Array | undefined {
  try {
    return text === undefined ? undefined : decodeBase64url(text);
  } catch {
    return undefined;
  }
}

/**
 * Options of {@link hashPassword}.
 *
 * @example
 * ```ts
 * const options: PasswordHashOptions = { scheme: 'pbkdf2-sha256' };
 * ```
 */
export interface PasswordHashOptions {
  /** Default: `scrypt` where node:crypto exists, `pbkdf2-sha256` elsewhere. */
  scheme?: PasswordHashScheme;
}

/**
 * Hashes a user password with a random 16-byte salt: scrypt (`scrypt$N$r$p$salt$hash`) where node:crypto exists,
 * PBKDF2-HMAC-SHA256 through Web Crypto (`pbkdf2-sha256$iterations$salt$hash`) elsewhere or when asked.
 *
 * @example
 * ```ts
 * const passwordHash = await hashPassword('correct horse battery staple');
 * ```
 */
export async function hashPassword(password: string, options: PasswordHashOptions = {}): Promise<string> {
  const salt = globalThis.crypto.getRandomValues(new Uint8Array(16));
  const scheme = options.scheme ?? (hasNodeCrypto() ? SCRYPT : PBKDF2);
  if (scheme === PBKDF2) {
    const key = await pbkdf2(password, salt, PBKDF2_ITERATIONS);
    return [PBKDF2, PBKDF2_ITERATIONS, encodeBase64url(salt), encodeBase64url(key)].join('$');
  }
  const key = await scrypt(await loadNodeCrypto(), password, salt, N, R, P);
  return [SCRYPT, N, R, P, encodeBase64url(salt), encodeBase64url(key)].join('$');
}

/**
 * Checks a password against a hash from {@link hashPassword} (either scheme) in constant time. A malformed hash
 * never matches; a scrypt hash on a runtime without node:crypto throws, naming the problem.
 *
 * @example
 * ```ts
 * if (await verifyPassword(presented, row.passwordHash)) return user;
 * ```
 */
export async function verifyPassword(password: string, passwordHash: string): Promise<boolean> {
  const parts = passwordHash.split('$');
  if (parts[0] === PBKDF2 && parts.length === 4) {
    const [, iterations, salt, hash] = parts;
    const count = Number(iterations);
    const saltBytes = decode(salt);
    const expected = decode(hash);
    if (!Number.isSafeInteger(count) || count < 1 || count > PBKDF2_MAX_ITERATIONS) return false;
    if (!saltBytes || expected?.length !== KEY_LENGTH) return false;
    return constantTimeEqual(await pbkdf2(password, saltBytes, count), expected);
  }
  if (parts[0] !== SCRYPT || parts.length !== 6) return false;
  const [, n, r, p, salt, hash] = parts;
  const saltBytes = decode(salt);
  const expected = decode(hash);
  if (!n || !r || !p || !saltBytes || expected?.length !== KEY_LENGTH) return false;
  const key = await scrypt(await loadNodeCrypto(), password, saltBytes, Number(n), Number(r), Number(p));
  return constantTimeEqual(key, expected);
}

let dummyHash: Promise<string> | undefined;
/**
 * Spends the time of one password check without a user, so that an unknown username cannot be told from a wrong
 * password by timing.
 *
 * @example
 * ```ts
 * if (!row) { await burnPasswordCheck(password); return undefined; }
 * ```
 */
export async function burnPasswordCheck(password: string): Promise<void> {
  dummyHash ??= hashPassword('grantry-dummy-password');
  await verifyPassword(password, await dummyHash);
}
