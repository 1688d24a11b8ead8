// The Node fast path: synchronous node:crypto, several times faster than Web Crypto for sign and verify.
import * as crypto from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import type { AeadKey, CryptoBackend, PrivateKeyMaterial, PublicJwk, SigningAlgorithm, SigningKey, VerifyingKey } from './crypto-backend.js';
import { jwkThumbprint } from './jwk-thumbprint.js';
import { createRandomPool } from './random-pool.js';

const oneShotHash = (crypto as { hash?: (algorithm: string, data: string, encoding: 'base64url') => string }).hash;

// One pool per process: each `crypto.randomBytes` call costs ~6 µs on Node 20 whatever its size (see random-pool.ts).
const pooledRandomBytes = createRandomPool((buffer) => crypto.randomFillSync(buffer));

function loadPrivateKey(material: PrivateKeyMaterial): crypto.KeyObject {
  if (material instanceof crypto.KeyObject) return material;
  if (typeof material === 'string') {
    if (material.includes('-----BEGIN')) return crypto.createPrivateKey(material);
    const path = material.startsWith('file://') ? material.slice('file://'.length) : material;
    // league's CryptKey warns about key files others can read; so does grantry.
    const mode = statSync(path).mode;
    if ((mode & 0o077) !== 0) {
      console.warn(`grantry: key file ${path} is readable by others (mode ${(mode & 0o777).toString(8)}); use chmod 600`);
    }
    return crypto.createPrivateKey(readFileSync(path, 'utf8'));
  }
  if (typeof CryptoKey !== 'undefined' && material instanceof CryptoKey) return crypto.KeyObject.from(material);
  if ('pem' in material && typeof material.pem === 'string') {
    return crypto.createPrivateKey({ key: material.pem, passphrase: material.passphrase, format: 'pem' });
  }
  if ('kty' in material) return crypto.createPrivateKey({ key: material as crypto.JsonWebKey, format: 'jwk' });
  throw new TypeError('grantry: unsupported private key material');
}

function defaultAlg(key: crypto.KeyObject): SigningAlgorithm {
  switch (key.asymmetricKeyType) {
    case 'rsa':
    case 'rsa-pss':
      return 'RS256';
    case 'ec':
      if (key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') throw new TypeError('grantry: EC keys must use P-256 (ES256)');
      return 'ES256';
    case 'ed25519':
      return 'EdDSA';
    default:
      throw new TypeError(`grantry: unsupported key type ${String(key.asymmetricKeyType)}`);
  }
}

function checkAlg(key: crypto.KeyObject, alg: SigningAlgorithm): void {
  const type = key.asymmetricKeyType;
  const ok =
    ((alg === 'RS256' || alg === 'PS256') && (type === 'rsa' || type === 'rsa-pss')) ||
    (alg === 'ES256' && type === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') ||
    (alg === 'EdDSA' && type === 'ed25519');
  if (!ok) throw new TypeError(`grantry: a ${String(type)} key cannot sign ${alg}`);
  if (type === 'rsa' && (key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) {
    throw new TypeError('grantry: RSA keys must be at least 2048 bits');
  }
}

type SignFn = (data: Uint8Array, key: crypto.KeyObject) => Uint8Array;
type VerifyFn = (data: Uint8Array, key: crypto.KeyObject, sig: Uint8Array) => boolean;

function operations(alg: SigningAlgorithm): { sign: SignFn; verify: VerifyFn } {
  switch (alg) {
    case 'RS256':
      return { sign: (d, key) => crypto.sign('sha256', d, key), verify: (d, key, s) => crypto.verify('sha256', d, key, s) };
    case 'PS256': {
      const opts = { padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 };
      return {
        sign: (d, key) => crypto.sign('sha256', d, { key, ...opts }),
        verify: (d, key, s) => crypto.verify('sha256', d, { key, ...opts }, s),
      };
    }
    case 'ES256':
      return {
        sign: (d, key) => crypto.sign('sha256', d, { key, dsaEncoding: 'ieee-p1363' }),
        verify: (d, key, s) => crypto.verify('sha256', d, { key, dsaEncoding: 'ieee-p1363' }, s),
      };
    case 'EdDSA':
      return { sign: (d, key) => crypto.sign(null, d, key), verify: (d, key, s) => crypto.verify(null, d, key, s) };
  }
}

/** The `node:crypto` implementation of {@link CryptoBackend}. */
export const nodeCryptoBackend: CryptoBackend = {
  async importSigningKey(material, options) {
    let privateKey: crypto.KeyObject;
    try {
      privateKey = loadPrivateKey(material);
    } catch (error) {
      if (error instanceof TypeError) throw error;
      // The message names the problem (bad passphrase, unreadable file, not a private key), never the key itself.
      throw new TypeError(`grantry: cannot load the private key: ${(error as Error).message}`);
    }
    if (privateKey.type !== 'private') throw new TypeError('grantry: the signing key must be a private key');
    const alg = options.alg ?? defaultAlg(privateKey);
    checkAlg(privateKey, alg);
    const publicKey = crypto.createPublicKey(privateKey);
    const jwk = publicKey.export({ format: 'jwk' }) as Record<string, unknown>;
    const kid = options.kid ?? jwkThumbprint(jwk, (s) => crypto.createHash('sha256').update(s).digest('base64url'));
    const publicJwk: PublicJwk = { ...(jwk as { kty: string }), kid, alg, use: 'sig' };
    const ops = operations(alg);
    const key: SigningKey = {
      kid,
      alg,
      publicJwk,
      sign: (data) => ops.sign(data, privateKey),
      verify: (data, signature) => ops.verify(data, publicKey, signature),
    };
    return key;
  },

  async importVerifyingKey(jwk) {
    const publicKey = crypto.createPublicKey({ key: jwk as crypto.JsonWebKey, format: 'jwk' });
    checkAlgPublic(publicKey, jwk.alg);
    const ops = operations(jwk.alg);
    const key: VerifyingKey = { kid: jwk.kid, alg: jwk.alg, verify: (data, sig) => ops.verify(data, publicKey, sig) };
    return key;
  },

  async importAeadKey(raw, kid) {
    if (raw.length !== 32) throw new TypeError('grantry: the encryption key must be 32 bytes');
    const secret = crypto.createSecretKey(raw);
    const key: AeadKey = {
      kid,
      encrypt(plaintext, aad) {
        const iv = pooledRandomBytes(12);
        const cipher = crypto.createCipheriv('aes-256-gcm', secret, iv);
        cipher.setAAD(aad);
        const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
        return { iv, ciphertext, tag: cipher.getAuthTag() };
      },
      decrypt(iv, ciphertext, tag, aad) {
        if (iv.length !== 12 || tag.length !== 16) return undefined;
        try {
          const decipher = crypto.createDecipheriv('aes-256-gcm', secret, iv);
          decipher.setAAD(aad);
          decipher.setAuthTag(tag);
          return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
        } catch {
          return undefined;
        }
      },
    };
    return key;
  },

  randomBytes: pooledRandomBytes,
  // crypto.hash (Node 20.12+, 21.7+) is the one-shot digest: about 6× cheaper per call than createHash().update().digest().
  sha256: oneShotHash ? (data) => oneShotHash('sha256', data, 'base64url') : (data) => crypto.createHash('sha256').update(data).digest('base64url'),
  timingSafeEqual(a, b) {
    const x = Buffer.from(a);
    const y = Buffer.from(b);
    // Compare against itself on a length mismatch so the time taken does not depend on where the inputs differ.
    return x.length === y.length ? crypto.timingSafeEqual(x, y) : (crypto.timingSafeEqual(x, x), false);
  },
};

function checkAlgPublic(key: crypto.KeyObject, alg: SigningAlgorithm): void {
  const type = key.asymmetricKeyType;
  const ok =
    ((alg === 'RS256' || alg === 'PS256') && type === 'rsa') ||
    (alg === 'ES256' && type === 'ec') ||
    (alg === 'EdDSA' && type === 'ed25519');
  if (!ok) throw new TypeError(`grantry: a ${String(type)} key cannot verify ${alg}`);
}
