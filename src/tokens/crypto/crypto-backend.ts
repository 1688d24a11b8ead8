/**
 * JWS algorithms grantry signs access tokens with. RS256 is the default, as in the seed.
 *
 * @example
 * ```ts
 * const server = new AuthorizationServer({ ...options, privateKey: rsaPem, signingAlgorithm: 'PS256' satisfies SigningAlgorithm });
 * ```
 */
export type SigningAlgorithm = 'RS256' | 'PS256' | 'ES256' | 'EdDSA';

/**
 * A public JWK as published in the JWKS.
 *
 * @example
 * ```ts
 * const { keys } = await server.jwks();
 * const jwk: PublicJwk | undefined = keys[0]; // { kty: 'RSA', kid: '…', alg: 'RS256', use: 'sig', n: '…', e: 'AQAB' }
 * ```
 */
export interface PublicJwk {
  kty: string;
  kid: string;
  alg: SigningAlgorithm;
  use: 'sig';
  [member: string]: unknown;
}

/**
 * A private signing key, imported once at start-up.
 *
 * @example
 * ```ts
 * const crypto = await loadCryptoBackend();
 * const key: SigningKey = await crypto.importSigningKey(privatePem, { alg: 'RS256', kid: '2026-11' });
 * const jwt = await signJwt(key, { sub: 'user-42' }, 'JWT');
 * ```
 */
export interface SigningKey {
  readonly kid: string;
  readonly alg: SigningAlgorithm;
  readonly publicJwk: PublicJwk;
  sign(data: Uint8Array): Uint8Array | Promise<Uint8Array>;
  verify(data: Uint8Array, signature: Uint8Array): boolean | Promise<boolean>;
}

/**
 * A public key for verification only (from a JWKS).
 *
 * @example
 * ```ts
 * const crypto = await loadCryptoBackend();
 * const key: VerifyingKey = await crypto.importVerifyingKey(publicJwk);
 * const verified = await verifyJwt(token, (kid) => (kid === key.kid ? key : undefined)); // undefined unless valid
 * ```
 */
export interface VerifyingKey {
  readonly kid: string;
  readonly alg: SigningAlgorithm;
  verify(data: Uint8Array, signature: Uint8Array): boolean | Promise<boolean>;
}

/**
 * A 256-bit AES-GCM key for sealing refresh tokens and codes.
 *
 * @example
 * ```ts
 * const crypto = await loadCryptoBackend();
 * const key: AeadKey = await crypto.importAeadKey(crypto.randomBytes(32), 'k1');
 * const { iv, ciphertext, tag } = await key.encrypt(utf8('secret'), utf8('aad'));
 * await key.decrypt(iv, ciphertext, tag, utf8('aad')); // the plaintext bytes; undefined if tampered with
 * ```
 */
export interface AeadKey {
  readonly kid: string;
  encrypt(plaintext: Uint8Array, aad: Uint8Array): { iv: Uint8Array; ciphertext: Uint8Array; tag: Uint8Array } | Promise<{ iv: Uint8Array; ciphertext: Uint8Array; tag: Uint8Array }>;
  /** Returns `undefined` when authentication fails. */
  decrypt(iv: Uint8Array, ciphertext: Uint8Array, tag: Uint8Array, aad: Uint8Array): Uint8Array | undefined | Promise<Uint8Array | undefined>;
}

/**
 * A private key as users hand it over (see the README's key section).
 *
 * @example
 * ```ts
 * const material: PrivateKeyMaterial = { pem: readFileSync('private.key', 'utf8'), passphrase: process.env.KEY_PASSPHRASE! };
 * const server = new AuthorizationServer({ ...options, privateKey: material });
 * ```
 */
export type PrivateKeyMaterial =
  | string
  | { pem: string; passphrase: string }
  | JsonWebKey
  | CryptoKey
  // A node:crypto KeyObject, described structurally so that this module stays free of node: imports.
  | { readonly type: string; readonly asymmetricKeyType?: string | undefined; export: unknown };

/**
 * The crypto operations grantry needs, behind one interface so that Node's synchronous `node:crypto` (several times
 * faster for sign/verify) serves Node while Web Crypto serves every other runtime. Chosen once at start-up.
 *
 * @example
 * ```ts
 * const crypto: CryptoBackend = await loadCryptoBackend();
 * const id = encodeBase64url(crypto.randomBytes(16));
 * const hash = await crypto.sha256(id);
 * crypto.timingSafeEqual(hash, await crypto.sha256(id)); // true
 * ```
 */
export interface CryptoBackend {
  importSigningKey(material: PrivateKeyMaterial, options: { alg?: SigningAlgorithm | undefined; kid?: string | undefined }): Promise<SigningKey>;
  importVerifyingKey(jwk: PublicJwk): Promise<VerifyingKey>;
  importAeadKey(raw: Uint8Array, kid: string): Promise<AeadKey>;
  randomBytes(length: number): Uint8Array;
  /** SHA-256, base64url-encoded. */
  sha256(data: string): string | Promise<string>;
  /** Constant-time equality of two strings (false on length mismatch). */
  timingSafeEqual(a: string, b: string): boolean;
}

let backend: Promise<CryptoBackend> | undefined;

/**
 * The backend for this runtime: `node:crypto` where it exists, Web Crypto elsewhere.
 *
 * @example
 * ```ts
 * const crypto = await loadCryptoBackend();
 * const id = crypto.randomBytes(16);
 * ```
 */
export function loadCryptoBackend(): Promise<CryptoBackend> {
  const isNode = typeof (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node === 'string';
  backend ??= isNode
    ? import('./node-crypto-backend.js').then((m) => m.nodeCryptoBackend)
    : import('./web-crypto-backend.js').then((m) => m.webCryptoBackend);
  return backend;
}
