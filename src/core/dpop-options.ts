import type { SigningAlgorithm } from '../tokens/crypto/crypto-backend.js';
import type { DpopNonces } from '../tokens/dpop-nonces.js';
import type { DpopProofFailure } from '../tokens/dpop-proof.js';

/**
 * DPoP (RFC 9449) settings of an {@link AuthorizationServer} or a {@link ResourceServer}. DPoP is on by default:
 * a request that carries a valid proof gets (or may use) tokens bound to its key; `required` refuses requests
 * without one.
 *
 * @example
 * ```ts
 * const dpop: DpopOptions = { required: true, maxAge: 60, nonces: new DpopNonces(process.env.DPOP_NONCE_SECRET!) };
 * const server = new AuthorizationServer({ ...options, dpop, replays: storage.replays });
 * ```
 */
export interface DpopOptions {
  /** Refuse requests without a DPoP proof (and, at a resource server, Bearer tokens). Default `false`. */
  readonly required?: boolean | undefined;
  /** Accepted proof algorithms (`dpop_signing_alg_values_supported`); default ES256, PS256, RS256, EdDSA. */
  readonly algorithms?: readonly SigningAlgorithm[] | undefined;
  /** Seconds a proof is accepted after its `iat` (default 60); its `jti` is remembered that long. */
  readonly maxAge?: number | undefined;
  /** Seconds a proof's `iat` may lie ahead of this server's clock (default 5). */
  readonly clockTolerance?: number | undefined;
  /** Server-provided nonces (RFC 9449 §8): every proof must then carry a current nonce (`use_dpop_nonce` otherwise). */
  readonly nonces?: DpopNonces | undefined;
}

/** Fixed error descriptions for each refusal (never echoing the proof). */
export const DPOP_FAILURES: Readonly<Record<DpopProofFailure, string>> = Object.freeze({
  malformed: 'The DPoP proof is not a well-formed JWT.',
  type: 'The DPoP proof must have typ dpop+jwt.',
  algorithm: 'The DPoP proof algorithm is not supported.',
  key: 'The DPoP proof jwk is not a supported public key.',
  private_key: 'The DPoP proof jwk must not contain a private key.',
  signature: 'The DPoP proof signature does not verify with its jwk.',
  claims: 'The DPoP proof lacks jti, htm, htu or iat.',
  method: 'The DPoP proof htm does not match the request method.',
  url: 'The DPoP proof htu does not match the request URL.',
  iat: 'The DPoP proof iat is outside the accepted window.',
  ath: 'The DPoP proof ath does not match the access token.',
  nonce: 'Use the DPoP nonce the server provided.',
  replayed: 'The DPoP proof was already used (jti).',
});

/**
 * The single `DPoP` header of a request (RFC 9449 §4.3 item 1: "there is not more than one DPoP HTTP request header
 * field"): absent, invalid when repeated or empty (the Fetch API joins repeated headers with `, `, which a compact
 * JWS never contains), or the one proof.
 */
export function readDpopHeader(headers: { get(name: string): string | null }): { readonly proof?: string; readonly invalid?: true } | null {
  const value = headers.get('dpop');
  if (value === null) return null;
  return value.includes(',') || value.trim() === '' ? { invalid: true } : { proof: value.trim() };
}
