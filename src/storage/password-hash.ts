const PREFIX = 'scrypt';
const N = 16384;
const R = 8;
const P = 1;
const KEY_LENGTH = 32;

type NodeCrypto = typeof import('node:crypto');
let nodeCrypto: Promise<NodeCrypto> | undefined;
// Imported lazily so that importing storage modules stays possible on runtimes without node:crypto.
const loadNodeCrypto = (): Promise<NodeCrypto> => (nodeCrypto ??= import('node:crypto'));

function scrypt(crypto: NodeCrypto, password: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    crypto.scrypt(password.normalize('NFC'), salt, KEY_LENGTH, { N: n, r, p, maxmem: 128 * n * r * 2 }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

/**
 * Hashes a user password with scrypt (random 16-byte salt) into `scrypt$N$r$p$salt$hash`.
 *
 * @example
 * ```ts
 * const passwordHash = await hashPassword('correct horse battery staple');
 * ```
 */
export async function hashPassword(password: string): Promise<string> {
  const crypto = await loadNodeCrypto();
  const salt = crypto.randomBytes(16);
  const key = await scrypt(crypto, password, salt, N, R, P);
  return [PREFIX, N, R, P, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/**
 * Checks a password against a hash from {@link hashPassword} in constant time. A malformed hash never matches.
 *
 * @example
 * ```ts
 * if (await verifyPassword(presented, row.passwordHash)) return user;
 * ```
 */
export async function verifyPassword(password: string, passwordHash: string): Promise<boolean> {
  const crypto = await loadNodeCrypto();
  const [prefix, n, r, p, salt, hash] = passwordHash.split('$');
  if (prefix !== PREFIX || !n || !r || !p || salt === undefined || hash === undefined) return false;
  const expected = Buffer.from(hash, 'base64url');
  if (expected.length !== KEY_LENGTH) return false;
  const key = await scrypt(crypto, password, Buffer.from(salt, 'base64url'), Number(n), Number(r), Number(p));
  return crypto.timingSafeEqual(key, expected);
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
