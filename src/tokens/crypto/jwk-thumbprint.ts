/** The members RFC 7638 §3.2 hashes for each key type, in lexicographic order. */
const REQUIRED: Record<string, readonly string[]> = {
  RSA: ['e', 'kty', 'n'],
  EC: ['crv', 'kty', 'x', 'y'],
  OKP: ['crv', 'kty', 'x'],
};

/**
 * The RFC 7638 JWK thumbprint of a public key: the default `kid`.
 *
 * @example
 * ```ts
 * const kid = jwkThumbprint(publicJwk, (s) => createHash('sha256').update(s).digest('base64url'));
 * ```
 */
export function jwkThumbprint<T extends string | Promise<string>>(jwk: Record<string, unknown>, sha256: (s: string) => T): T {
  const members = REQUIRED[String(jwk.kty)];
  if (!members) throw new TypeError(`grantry: unsupported JWK key type ${String(jwk.kty)}`);
  const canonical: Record<string, unknown> = {};
  for (const m of members) canonical[m] = jwk[m];
  return sha256(JSON.stringify(canonical));
}
