import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { CommandOutput } from './admin-commands.js';

/**
 * `grantry keys generate`: new keys for a library user's `AuthorizationServer` (the ready server makes and keeps
 * its own). A signing key (RSA 2048, RS256: the `privateKey` option takes the PEM or the JWK) and an encryption key
 * (32 random bytes, base64url: the `encryptionKey` option). Nothing is stored: the keys are printed once.
 *
 * @example
 * ```ts
 * const out = generateKeys();
 * const { private_key_pem, encryption_key } = out.json as { private_key_pem: string; encryption_key: string };
 * ```
 */
export function generateKeys(): CommandOutput {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const jwk = privateKey.export({ format: 'jwk' });
  const encryptionKey = randomBytes(32).toString('base64url');
  return {
    json: { algorithm: 'RS256', private_key_pem: pem, private_key_jwk: jwk, encryption_key: encryptionKey },
    text: [
      '# Signing key (RSA, RS256): the privateKey option. Keep it secret (a file only its owner reads).',
      pem.trimEnd(),
      '# Encryption key (32 random bytes, base64url): the encryptionKey option. Keep it secret too.',
      encryptionKey,
    ].join('\n'),
  };
}
