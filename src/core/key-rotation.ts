import type { PrivateKeyMaterial, SigningAlgorithm } from '../tokens/crypto/crypto-backend.js';
import { loadEncryptionKeys, type EncryptionKeyInput, type EncryptionKeyMaterial } from '../tokens/encryption-keys.js';
import { TokenCodec } from '../tokens/refresh-token-codec.js';
import { SigningKeySet, type SigningKeyInput } from '../tokens/signing-key-set.js';
import type { ServerContext } from '../contracts/server-context.js';

/**
 * New key lists for {@link AuthorizationServer.rotateKeys}: either or both. Each replaces the whole list, so a key
 * left out is retired.
 *
 * @example
 * ```ts
 * const rotation: KeyRotation = {
 *   privateKey: [{ key: newPem, kid: '2026-12', status: 'active' }, { key: oldPem, kid: '2026-06', status: 'published' }],
 *   encryptionKey: [{ key: newEncryptionKey, kid: '2026-12' }, { key: oldEncryptionKey, kid: '2026-06' }],
 * };
 * await server.rotateKeys(rotation);
 * ```
 */
export interface KeyRotation {
  /** Signing keys: exactly one `active`, the others `published` (in the JWKS, verifying only). */
  privateKey?: PrivateKeyMaterial | readonly SigningKeyInput[];
  /** Encryption keys, newest first: the first seals new refresh tokens and codes, all of them open old ones. */
  encryptionKey?: EncryptionKeyMaterial | readonly EncryptionKeyInput[];
  /** Algorithm for keys that do not name one (RSA: RS256 or PS256). */
  signingAlgorithm?: SigningAlgorithm | undefined;
}

/**
 * A copy of the server context with new keys, imported and checked first: a bad key list throws a `TypeError` and
 * leaves the running context as it was.
 *
 * @example
 * ```ts
 * const next = await withRotatedKeys(await server.context(), { privateKey: [{ key: newPem, status: 'active' }, { key: oldPem, status: 'published' }] });
 * ```
 */
export async function withRotatedKeys(ctx: ServerContext, keys: KeyRotation): Promise<ServerContext> {
  const signingKeys = keys.privateKey === undefined ? ctx.signingKeys : await SigningKeySet.load(ctx.crypto, keys.privateKey, keys.signingAlgorithm);
  if (keys.encryptionKey === undefined) return { ...ctx, signingKeys };
  const sealer = await loadEncryptionKeys(ctx.crypto, keys.encryptionKey);
  return {
    ...ctx,
    signingKeys,
    sealer,
    refreshTokenCodec: new TokenCodec(ctx.refreshTokenCodec.format, ctx.crypto, sealer, 'rt'),
    authCodeCodec: new TokenCodec(ctx.authCodeCodec.format, ctx.crypto, sealer, 'ac'),
  };
}
