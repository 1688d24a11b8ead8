// The portable path: Web Crypto, for Deno, Bun, Workers and browsers-as-servers.
import { encodeBase64url, utf8 } from '../base64url.js';
import type { AeadKey, CryptoBackend, PublicJwk, SigningAlgorithm, SigningKey, VerifyingKey } from './crypto-backend.js';
import { jwkThumbprint } from './jwk-thumbprint.js';

const subtle = globalThis.crypto.subtle;

const PARAMS: Record<SigningAlgorithm, { import: RsaHashedImportParams | EcKeyImportParams | Algorithm; sign: Algorithm | RsaPssParams | EcdsaParams }> = {
  RS256: { import: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, sign: { name: 'RSASSA-PKCS1-v1_5' } },
  PS256: { import: { name: 'RSA-PSS', hash: 'SHA-256' }, sign: { name: 'RSA-PSS', saltLength: 32 } },
  ES256: { import: { name: 'ECDSA', namedCurve: 'P-256' }, sign: { name: 'ECDSA', hash: 'SHA-256' } },
  EdDSA: { import: { name: 'Ed25519' }, sign: { name: 'Ed25519' } },
};

function algFromJwk(jwk: JsonWebKey): SigningAlgorithm {
  if (jwk.kty === 'RSA') return 'RS256';
  if (jwk.kty === 'EC' && jwk.crv === 'P-256') return 'ES256';
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return 'EdDSA';
  throw new TypeError('grantry: unsupported JWK');
}

function pemToDer(pem: string): ArrayBuffer {
  if (!pem.includes('-----BEGIN PRIVATE KEY-----')) {
    throw new TypeError('grantry: outside Node only PKCS#8 PEM ("BEGIN PRIVATE KEY") or JWK private keys are supported');
  }
  const b64 = pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out.buffer;
}

/**
 * A fresh ArrayBuffer holding exactly the bytes of `u`. Not `u.slice().buffer` nor `u.buffer`: on a Node `Buffer`
 * (also present on Bun, Deno and workerd with `nodejs_compat`), `slice` is a view and `.buffer` is the whole shared
 * 8 KiB pool, so every signature, key and ciphertext would be read with the pool's other bytes around it.
 */
const toBuffer = (u: Uint8Array): ArrayBuffer => {
  const copy = new ArrayBuffer(u.byteLength);
  new Uint8Array(copy).set(u);
  return copy;
};

/** The Web Crypto implementation of {@link CryptoBackend}. */
export const webCryptoBackend: CryptoBackend = {
  async importSigningKey(material, options) {
    let privateKey: CryptoKey;
    let alg = options.alg;
    if (material instanceof CryptoKey) {
      privateKey = material;
      alg ??= algFromJwk((await subtle.exportKey('jwk', material)));
    } else if (typeof material === 'string') {
      if (!alg) throw new TypeError('grantry: outside Node, name the algorithm of a PEM key');
      privateKey = await subtle.importKey('pkcs8', pemToDer(material), PARAMS[alg].import, true, ['sign']);
    } else if ('kty' in material) {
      alg ??= algFromJwk(material);
      privateKey = await subtle.importKey('jwk', material, PARAMS[alg].import, true, ['sign']);
    } else {
      throw new TypeError('grantry: outside Node, keys are PKCS#8 PEM, JWK or CryptoKey');
    }
    const jwk = (await subtle.exportKey('jwk', privateKey)) as Record<string, unknown>;
    const publicMembers = Object.fromEntries(
      Object.entries(jwk).filter(([k]) => ['kty', 'n', 'e', 'crv', 'x', 'y'].includes(k)),
    ) as { kty: string };
    const kid =
      options.kid ??
      (await jwkThumbprint(publicMembers, async (s) => encodeBase64url(new Uint8Array(await subtle.digest('SHA-256', toBuffer(utf8(s)))))));
    const publicJwk: PublicJwk = { ...publicMembers, kid, alg, use: 'sig' };
    const verifier = await webCryptoBackend.importVerifyingKey(publicJwk);
    const a = alg;
    const key: SigningKey = {
      kid,
      alg: a,
      publicJwk,
      sign: async (data) => new Uint8Array(await subtle.sign(PARAMS[a].sign, privateKey, toBuffer(data))),
      verify: (data, sig) => verifier.verify(data, sig),
    };
    return key;
  },

  async importVerifyingKey(jwk) {
    const { kid, alg, use: _use, ...members } = jwk;
    const publicKey = await subtle.importKey('jwk', members as JsonWebKey, PARAMS[alg].import, false, ['verify']);
    const key: VerifyingKey = {
      kid,
      alg,
      verify: async (data, sig) => subtle.verify(PARAMS[alg].sign, publicKey, toBuffer(sig), toBuffer(data)),
    };
    return key;
  },

  async importAeadKey(raw, kid) {
    if (raw.length !== 32) throw new TypeError('grantry: the encryption key must be 32 bytes');
    const secret = await subtle.importKey('raw', toBuffer(raw), 'AES-GCM', false, ['encrypt', 'decrypt']);
    const key: AeadKey = {
      kid,
      async encrypt(plaintext, aad) {
        const iv = globalThis.crypto.getRandomValues(new Uint8Array(12));
        const out = new Uint8Array(
          await subtle.encrypt({ name: 'AES-GCM', iv, additionalData: toBuffer(aad) }, secret, toBuffer(plaintext)),
        );
        return { iv, ciphertext: out.subarray(0, out.length - 16), tag: out.subarray(out.length - 16) };
      },
      async decrypt(iv, ciphertext, tag, aad) {
        if (iv.length !== 12 || tag.length !== 16) return undefined;
        const joined = new Uint8Array(ciphertext.length + 16);
        joined.set(ciphertext);
        joined.set(tag, ciphertext.length);
        try {
          return new Uint8Array(
            await subtle.decrypt({ name: 'AES-GCM', iv: toBuffer(iv), additionalData: toBuffer(aad) }, secret, joined),
          );
        } catch {
          return undefined;
        }
      },
    };
    return key;
  },

  randomBytes: (length) => globalThis.crypto.getRandomValues(new Uint8Array(length)),
  sha256: async (data) => encodeBase64url(new Uint8Array(await subtle.digest('SHA-256', toBuffer(utf8(data))))),
  timingSafeEqual(a, b) {
    const x = utf8(a);
    const y = utf8(b);
    let diff = x.length ^ y.length;
    for (let i = 0; i < x.length; i++) diff |= x[i]! ^ (y[i % Math.max(1, y.length)] ?? 0);
    return diff === 0;
  },
};
