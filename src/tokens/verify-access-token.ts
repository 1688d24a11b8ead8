import { utf8 } from './base64url.js';
import { decodeJwt } from './jwt.js';
import type { KeyResolver } from './key-resolver.js';
import { msToSeconds } from './time-units.js';

/**
 * The claims of a verified RFC 9068 access token. Custom claims added by the server's `customClaims` hook are
 * kept as they are.
 *
 * @example
 * ```ts
 * const claims: AccessTokenClaims = await rs.validateAuthenticatedRequest(request);
 * console.log(claims.sub, claims.client_id, claims.scope);
 * ```
 */
export interface AccessTokenClaims {
  readonly iss: string;
  readonly sub: string;
  readonly aud: string | readonly string[];
  readonly exp: number;
  readonly iat: number;
  readonly jti: string;
  readonly client_id: string;
  /** Space-delimited scopes (RFC 9068 §2.2.3). */
  readonly scope?: string;
  readonly nbf?: number;
  /** RFC 9449 §6.1: the confirmation of a DPoP-bound token, the thumbprint of its key. */
  readonly cnf?: { readonly jkt?: string; readonly [member: string]: unknown };
  readonly [claim: string]: unknown;
}

/**
 * Why a token was refused; stable, for logs and for choosing an error description.
 *
 * @example
 * ```ts
 * const result = await verifyAccessToken(token, { keys, issuer, now: Date.now() });
 * if (!result.valid) {
 *   const reason: AccessTokenFailure = result.reason; // 'expired', 'signature', …
 *   console.warn('token refused', reason);
 * }
 * ```
 */
export type AccessTokenFailure = 'malformed' | 'type' | 'signature' | 'claims' | 'issuer' | 'audience' | 'expired' | 'not_yet_valid';

/**
 * What {@link verifyAccessToken} checks against.
 *
 * @example
 * ```ts
 * const options: VerifyAccessTokenOptions = {
 *   keys: new RemoteJwks('https://auth.example.com/.well-known/jwks.json'),
 *   issuer: 'https://auth.example.com', audience: 'https://api.example.com', now: Date.now(), leeway: 10,
 * };
 * const result = await verifyAccessToken(token, options);
 * ```
 */
export interface VerifyAccessTokenOptions {
  readonly keys: KeyResolver;
  /** The expected `iss`, compared exactly. */
  readonly issuer: string;
  /** Identifiers the caller accepts in `aud` (any one suffices); no audience check when absent. */
  readonly audience?: string | readonly string[] | undefined;
  /** The current time in milliseconds since the epoch. */
  readonly now: number;
  /** Clock skew allowed on `exp` and `nbf`, in seconds. */
  readonly leeway?: number;
  /** `false` skips `exp`/`nbf` (revocation looks tokens up whether or not they are still live). */
  readonly checkTime?: boolean;
}

/**
 * The result of {@link verifyAccessToken}.
 *
 * @example
 * ```ts
 * const result: AccessTokenVerification = await verifyAccessToken(token, { keys, issuer, now: Date.now() });
 * if (result.valid) console.log(result.claims.sub);
 * else console.log(result.reason);
 * ```
 */
export type AccessTokenVerification =
  | { readonly valid: true; readonly claims: AccessTokenClaims }
  | { readonly valid: false; readonly reason: AccessTokenFailure };

/** Tokens longer than this are refused before any parsing or crypto. */
const MAX_TOKEN_LENGTH = 8192;

const isString = (v: unknown): v is string => typeof v === 'string' && v !== '';
const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * Verifies a JWT access token as RFC 9068 §4 asks a resource server to: `typ` is `at+jwt`, the signature verifies
 * with the key its `kid` names and the algorithm that key is for, `iss` is the expected issuer, `aud` contains an
 * expected audience, and the token is within `nbf`..`exp` up to the leeway.
 *
 * @example
 * ```ts
 * const result = await verifyAccessToken(token, { keys, issuer: 'https://auth.example.com', audience: 'https://api.example.com', now: Date.now(), leeway: 10 });
 * if (result.valid) console.log(result.claims.sub);
 * ```
 */
export async function verifyAccessToken(token: string, options: VerifyAccessTokenOptions): Promise<AccessTokenVerification> {
  const fail = (reason: AccessTokenFailure): AccessTokenVerification => ({ valid: false, reason });
  if (token.length > MAX_TOKEN_LENGTH) return fail('malformed');
  const decoded = decodeJwt(token);
  if (!decoded) return fail('malformed');
  const { header, payload } = decoded;
  // RFC 9068 §4: "Resource servers MUST verify that the typ header value is "at+jwt" or "application/at+jwt" and
  // reject tokens carrying any other value." Media type names are case-insensitive (RFC 7515 §4.1.9).
  const typ = typeof header.typ === 'string' ? header.typ.toLowerCase() : undefined;
  if (typ !== 'at+jwt' && typ !== 'application/at+jwt') return fail('type');
  if (header.crit !== undefined) return fail('malformed'); // RFC 7515 §4.1.11: no extension is understood here

  const key = await options.keys.resolve(typeof header.kid === 'string' ? header.kid : undefined, header.alg);
  // RFC 9068 §4: "MUST validate the signature of all incoming JWT access tokens"; "none" never has a key.
  if (!key || key.alg !== header.alg) return fail('signature');
  // node:crypto answers at once; only Web Crypto's answer is a promise (an await of a plain value still costs a turn).
  const verified = key.verify(utf8(decoded.signingInput), decoded.signature);
  if (!(typeof verified === 'boolean' ? verified : await verified)) return fail('signature');

  const { iss, sub, aud, exp, iat, jti, client_id: clientId, nbf } = payload;
  if (!isString(iss) || !isString(sub) || !isString(jti) || !isString(clientId) || !isTime(exp) || !isTime(iat)) return fail('claims');
  if (nbf !== undefined && !isTime(nbf)) return fail('claims');
  if (payload.scope !== undefined && typeof payload.scope !== 'string') return fail('claims');
  // RFC 9068 §4: "The issuer identifier ... MUST exactly match the value of the iss claim."
  if (iss !== options.issuer) return fail('issuer');
  if (options.audience !== undefined) {
    // RFC 9068 §4: "MUST validate that the aud claim contains a resource indicator value corresponding to an
    // identifier the resource server expects for itself."
    const accepted = typeof options.audience === 'string' ? [options.audience] : options.audience;
    const audiences = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : [];
    if (!audiences.some((a) => typeof a === 'string' && accepted.includes(a))) return fail('audience');
  } else if (typeof aud !== 'string' && !Array.isArray(aud)) {
    return fail('claims');
  }
  if (options.checkTime !== false) {
    const now = msToSeconds(options.now);
    const leeway = options.leeway ?? 0;
    // RFC 9068 §4: "The current time MUST be before the time represented by the exp claim."
    if (now >= exp + leeway) return fail('expired');
    if (nbf !== undefined && now + leeway < nbf) return fail('not_yet_valid');
  }
  return { valid: true, claims: payload as AccessTokenClaims };
}
