import { utf8 } from './base64url.js';
import { loadCryptoBackend, type CryptoBackend, type SigningAlgorithm } from './crypto/crypto-backend.js';
import { jwkThumbprint } from './crypto/jwk-thumbprint.js';
import type { DpopNonces } from './dpop-nonces.js';
import { decodeJwt } from './jwt.js';
import { msToSeconds, secondsToMs } from './time-units.js';

/**
 * The proof algorithms grantry verifies by default (RFC 9449 §5.1 `dpop_signing_alg_values_supported`): asymmetric
 * only, as RFC 9449 §4.3 item 5 requires.
 *
 * @example
 * ```ts
 * const metadata = { dpop_signing_alg_values_supported: [...DPOP_ALGORITHMS] }; // ['ES256', 'PS256', 'RS256', 'EdDSA']
 * ```
 */
export const DPOP_ALGORITHMS: readonly SigningAlgorithm[] = Object.freeze(['ES256', 'PS256', 'RS256', 'EdDSA']);

/**
 * A verified DPoP proof (RFC 9449 §4.2): its key's RFC 7638 thumbprint (`jkt`, the value of `cnf.jkt` in tokens
 * bound to it) and its claims.
 *
 * @example
 * ```ts
 * const result = await verifyDpopProof(request.headers.get('dpop')!, { method: 'POST', url: request.url, now: Date.now() });
 * if (result.valid) { const proof: DpopProof = result.proof; console.log(proof.jkt, proof.jti); }
 * ```
 */
export interface DpopProof {
  /** The RFC 7638 SHA-256 thumbprint of the proof's public key, base64url. */
  readonly jkt: string;
  readonly jti: string;
  /** Seconds since the epoch. */
  readonly iat: number;
  readonly htm: string;
  readonly htu: string;
  readonly nonce?: string | undefined;
  readonly alg: SigningAlgorithm;
  /** The public key from the proof's header. */
  readonly jwk: Readonly<Record<string, unknown>>;
}

/**
 * Why a proof was refused (stable, for logs and error descriptions). `nonce` means the client must retry with the
 * server's nonce (`use_dpop_nonce`, RFC 9449 §8); every other reason is `invalid_dpop_proof`.
 *
 * @example
 * ```ts
 * if (!result.valid && result.reason === 'nonce') headers.set('DPoP-Nonce', result.nonce!);
 * ```
 */
export type DpopProofFailure =
  | 'malformed'
  | 'type'
  | 'algorithm'
  | 'key'
  | 'private_key'
  | 'signature'
  | 'claims'
  | 'method'
  | 'url'
  | 'iat'
  | 'ath'
  | 'nonce'
  | 'replayed';

/**
 * The result of {@link verifyDpopProof}: the proof, or why it was refused (with the nonce to send on `nonce`).
 *
 * @example
 * ```ts
 * const result: DpopProofVerification = await verifyDpopProof(proof, { method: 'GET', url, now: Date.now() });
 * ```
 */
export type DpopProofVerification =
  | { readonly valid: true; readonly proof: DpopProof }
  | { readonly valid: false; readonly reason: DpopProofFailure; readonly nonce?: string | undefined };

/**
 * What a DPoP proof is checked against (RFC 9449 §4.3).
 *
 * @example
 * ```ts
 * const options: VerifyDpopProofOptions = {
 *   method: 'GET', url: 'https://api.example.com/orders?page=2', now: Date.now(),
 *   accessToken: token, replays: storage.replays, maxAge: 60,
 * };
 * ```
 */
export interface VerifyDpopProofOptions {
  /** The HTTP method of the request that carried the proof (`htm`). */
  readonly method: string;
  /** The URL of that request (`htu`; query and fragment are ignored). More than one: any may match. */
  readonly url: string | readonly string[];
  /** Now, milliseconds since the epoch. */
  readonly now: number;
  /** Accepted `alg` values (default {@link DPOP_ALGORITHMS}). */
  readonly algorithms?: readonly string[] | undefined;
  /** Seconds a proof stays acceptable after its `iat` (default 60). */
  readonly maxAge?: number | undefined;
  /** Seconds a proof's `iat` may lie in the future (clock skew, default 5). */
  readonly clockTolerance?: number | undefined;
  /** At a resource server: the access token, whose hash the proof's `ath` must be (RFC 9449 §4.3 item 12). */
  readonly accessToken?: string | undefined;
  /** Server nonces (RFC 9449 §8): when given, the proof must carry a current one. */
  readonly nonces?: DpopNonces | undefined;
  /** Single use of `jti` within the proof's lifetime (RFC 9449 §11.1); a `ReplayRepository` fits. */
  readonly replays?: { useOnce(namespace: string, id: string, expiresAt: number): Promise<boolean> } | undefined;
  readonly crypto?: CryptoBackend | undefined;
}

/** JWK members that only a private or symmetric key has (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037 §2). */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
/** Proofs longer than this are refused before any parsing or crypto. */
const MAX_PROOF_LENGTH = 8192;
const MAX_JTI_LENGTH = 256;

/**
 * RFC 9449 §4.3 item 9: the URL without query and fragment, normalised per RFC 3986 §6.2.2 and §6.2.3 (scheme and
 * host lower case, default port dropped, an empty path as `/`); `undefined` when it is not an absolute http(s) URL.
 *
 * @example
 * ```ts
 * normalizeHtu('HTTPS://Server.Example.com:443/token?x=1#f'); // 'https://server.example.com/token'
 * ```
 */
export function normalizeHtu(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return undefined;
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return undefined;
  }
}

/**
 * Verifies a DPoP proof JWT as RFC 9449 §4.3 asks: `typ` is `dpop+jwt`; `alg` is asymmetric and accepted; `jwk` is a
 * public key (a private key in the header is refused); the signature verifies with that key; `jti`, `htm`, `htu`
 * and `iat` are present; `htm` and `htu` match the request; `iat` is within `maxAge` (and `clockTolerance` ahead);
 * `ath` matches the access token when one is given; `nonce` is current when nonces are on; and the `jti` has not
 * been used before with this key (when `replays` is given). Never throws for a bad proof.
 *
 * @example
 * ```ts
 * const result = await verifyDpopProof(request.headers.get('dpop')!, {
 *   method: request.method, url: request.url, now: Date.now(), accessToken, replays: storage.replays,
 * });
 * if (!result.valid) return new Response(null, { status: 401 });
 * if (result.proof.jkt !== claims.cnf?.jkt) return new Response(null, { status: 401 });
 * ```
 */
export async function verifyDpopProof(proof: string, options: VerifyDpopProofOptions): Promise<DpopProofVerification> {
  const fail = (reason: DpopProofFailure, nonce?: string): DpopProofVerification => ({ valid: false, reason, ...(nonce === undefined ? {} : { nonce }) });
  if (proof.length > MAX_PROOF_LENGTH) return fail('malformed');
  const decoded = decodeJwt(proof);
  if (!decoded) return fail('malformed');
  const { header, payload } = decoded;
  // RFC 9449 §4.3 item 4: "the typ JOSE Header Parameter has the value dpop+jwt".
  if (header.typ !== 'dpop+jwt') return fail('type');
  if (header.crit !== undefined) return fail('malformed');
  // Item 5: "the alg JOSE Header Parameter indicates a registered asymmetric digital signature algorithm ... is not
  // none, is supported by the application, and is acceptable per local policy".
  const algorithms = options.algorithms ?? DPOP_ALGORITHMS;
  if (!(DPOP_ALGORITHMS as readonly string[]).includes(header.alg) || !algorithms.includes(header.alg)) return fail('algorithm');
  const alg = header.alg as SigningAlgorithm;
  // Item 7: "the jwk JOSE Header Parameter does not contain a private key".
  const jwk = header.jwk;
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) return fail('key');
  const members = jwk as Record<string, unknown>;
  if (PRIVATE_MEMBERS.some((m) => m in members)) return fail('private_key');
  const crypto = options.crypto ?? (await loadCryptoBackend());
  let jkt: string;
  let verify;
  try {
    jkt = await jwkThumbprint(members, (s) => Promise.resolve(crypto.sha256(s)));
    const { kid: _kid, alg: _alg, use: _use, key_ops: _ops, ...key } = members;
    verify = await crypto.importVerifyingKey({ ...key, kty: String(members.kty), kid: jkt, alg, use: 'sig' });
  } catch {
    return fail('key');
  }
  // Item 6: "the JWT signature verifies with the public key contained in the jwk JOSE Header Parameter".
  let signed = false;
  try {
    signed = await verify.verify(utf8(decoded.signingInput), decoded.signature);
  } catch {
    signed = false;
  }
  if (!signed) return fail('signature');

  // Item 3: "all required claims per Section 4.2 are contained in the JWT".
  const { jti, htm, htu, iat, nonce, ath } = payload;
  if (typeof jti !== 'string' || jti === '' || jti.length > MAX_JTI_LENGTH) return fail('claims');
  if (typeof htm !== 'string' || typeof htu !== 'string' || typeof iat !== 'number' || !Number.isFinite(iat)) return fail('claims');
  if (nonce !== undefined && typeof nonce !== 'string') return fail('claims');
  // Item 8: "the htm claim matches the HTTP method of the current request".
  if (htm !== options.method.toUpperCase()) return fail('method');
  // Item 9: "the htu claim matches the HTTP URI value for the HTTP request ..., ignoring any query and fragment".
  const presented = normalizeHtu(htu);
  const expected = (typeof options.url === 'string' ? [options.url] : options.url).map(normalizeHtu);
  if (presented === undefined || !expected.includes(presented)) return fail('url');
  // Item 11: "the creation time of the JWT, as determined by ... the iat claim, is within an acceptable window".
  const now = msToSeconds(options.now);
  const maxAge = options.maxAge ?? 60;
  const tolerance = options.clockTolerance ?? 5;
  if (iat > now + tolerance || iat < now - maxAge) return fail('iat');
  // Item 12: "if presented to a protected resource in conjunction with an access token, ... the value of the ath
  // claim equals the hash of that access token".
  if (options.accessToken !== undefined) {
    if (typeof ath !== 'string' || !crypto.timingSafeEqual(ath, await crypto.sha256(options.accessToken))) return fail('ath');
  }
  // Item 10 / §8: "if the server provided a nonce value to the client, the nonce claim matches the server-provided nonce value".
  if (options.nonces && (nonce === undefined || !(await options.nonces.isValid(nonce, options.now)))) {
    return fail('nonce', await options.nonces.current(options.now));
  }
  // §11.1: "the server MUST ensure that the same DPoP proof is not used more than once"; jti per key, kept for as
  // long as the proof would be accepted.
  if (options.replays) {
    const id = await crypto.sha256(`${jkt}.${jti}`);
    const expiresAt = Math.ceil(secondsToMs(iat + maxAge + tolerance));
    if (!(await options.replays.useOnce('dpop', id, expiresAt))) return fail('replayed');
  }
  return { valid: true, proof: { jkt, jti, iat, htm, htu, nonce: nonce, alg, jwk: members } };
}
