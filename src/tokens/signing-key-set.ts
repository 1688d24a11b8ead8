import type { CryptoBackend, PrivateKeyMaterial, PublicJwk, SigningAlgorithm, SigningKey } from './crypto/crypto-backend.js';

/**
 * One signing key with its role in a rotation.
 *
 * @example
 * ```ts
 * const input: SigningKeyInput = { key: readFileSync('es256.pem', 'utf8'), kid: '2026-11', alg: 'ES256', status: 'active' };
 * const keys = await SigningKeySet.load(await loadCryptoBackend(), [input]);
 * ```
 */
export interface SigningKeyInput {
  key: PrivateKeyMaterial;
  kid?: string;
  alg?: SigningAlgorithm;
  /**
   * `active` signs new tokens (exactly one); `published` only verifies and stays in the JWKS: a key about to be
   * activated, or one being retired while tokens it signed are still live.
   */
  status?: 'active' | 'published';
}

/**
 * The server's signing keys: one active, the others published for verification during a rotation.
 *
 * @example
 * ```ts
 * const crypto = await loadCryptoBackend();
 * const keys = await SigningKeySet.load(crypto, [
 *   { key: newPem, status: 'active' },
 *   { key: oldPem, status: 'published' }, // retire it once its tokens have expired
 * ]);
 * keys.jwks(); // { keys: [newJwk, oldJwk] }
 * ```
 */
export class SigningKeySet {
  readonly #byKid = new Map<string, SigningKey>();

  private constructor(
    readonly active: SigningKey,
    readonly keys: readonly SigningKey[],
  ) {
    for (const key of keys) {
      if (this.#byKid.has(key.kid)) throw new TypeError(`grantry: duplicate key id ${key.kid}`);
      this.#byKid.set(key.kid, key);
    }
  }

  /** Imports keys; a single key material is the active key. Throws `TypeError` on bad configuration. */
  static async load(
    crypto: CryptoBackend,
    input: PrivateKeyMaterial | readonly SigningKeyInput[],
    alg?: SigningAlgorithm,
  ): Promise<SigningKeySet> {
    const list: readonly SigningKeyInput[] = Array.isArray(input)
      ? (input as readonly SigningKeyInput[])
      : [{ key: input as PrivateKeyMaterial, status: 'active' }];
    const keys = await Promise.all(list.map((k) => crypto.importSigningKey(k.key, { alg: k.alg ?? alg, kid: k.kid })));
    const actives = list.flatMap((k, i) => ((k.status ?? (list.length === 1 ? 'active' : undefined)) === 'active' ? [keys[i]!] : []));
    if (actives.length !== 1) throw new TypeError('grantry: exactly one signing key must be active');
    return new SigningKeySet(actives[0]!, keys);
  }

  /** The key with this `kid`, if published. */
  find(kid: string | undefined): SigningKey | undefined {
    return kid === undefined ? (this.keys.length === 1 ? this.active : undefined) : this.#byKid.get(kid);
  }

  /** The JWKS document (RFC 7517 §5): public keys only. */
  jwks(): { keys: PublicJwk[] } {
    return { keys: this.keys.map((k) => k.publicJwk) };
  }
}
