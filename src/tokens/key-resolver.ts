import type { VerifyingKey } from './crypto/crypto-backend.js';
import { SigningKeySet } from './signing-key-set.js';

/**
 * Finds the public key that verifies a token, by the `kid` and `alg` of its JWS header. Implemented by
 * {@link RemoteJwks} (a JWKS URL) and by {@link keySetResolver} (the server's own {@link SigningKeySet}).
 *
 * @example
 * ```ts
 * const key = await resolver.resolve(header.kid, header.alg);
 * ```
 */
export interface KeyResolver {
  /** The key for this `kid` and algorithm, or `undefined` when there is none. */
  resolve(kid: string | undefined, alg: string): Promise<VerifyingKey | undefined>;
}

/**
 * A {@link KeyResolver} over a key set, or over a function that returns the current one: pass
 * `async () => (await server.context()).signingKeys` and a rotation with `server.rotateKeys()` is seen at once.
 *
 * @example
 * ```ts
 * const resolver = keySetResolver(async () => (await server.context()).signingKeys);
 * ```
 */
export function keySetResolver(source: SigningKeySet | (() => SigningKeySet | Promise<SigningKeySet>)): KeyResolver {
  const current = source instanceof SigningKeySet ? () => source : source;
  return {
    async resolve(kid, alg) {
      const key = (await current()).find(kid);
      // RFC 8725 §3.1: the algorithm is the key's own; a header naming another one is refused.
      return key && key.alg === alg ? key : undefined;
    },
  };
}
