import type { AccessTokenClaims, AccessTokenVerification } from '../tokens/verify-access-token.js';
import { secondsToMs } from '../tokens/time-units.js';

/** What the claims of a token without a signature to verify are held to. */
export interface ExpectedClaims {
  readonly issuer: string;
  readonly audience: string | readonly string[];
  /** Milliseconds since the epoch. */
  readonly now: number;
  /** Seconds of clock skew allowed on `exp`. */
  readonly leeway: number;
}

const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * The claims of an opaque token (from storage) or of an introspection answer (RFC 7662 §2.2), held to the rules a
 * JWT's are (RFC 9068 §4): the claims are present, `iss` is exactly the issuer, `aud` names this resource server,
 * and the current time is before `exp` (a cached introspection answer is checked again on every use). The
 * introspection members that are no claims (`active`, `token_type`) are left out of the result.
 */
export function checkTokenClaims(claims: Readonly<Record<string, unknown>>, expected: ExpectedClaims): AccessTokenVerification {
  const { iss, sub, aud, exp, iat, jti, client_id: clientId, scope } = claims;
  if (typeof iss !== 'string' || typeof sub !== 'string' || typeof clientId !== 'string' || !isTime(exp) || !isTime(iat)) return { valid: false, reason: 'claims' };
  if ((scope !== undefined && typeof scope !== 'string') || (jti !== undefined && typeof jti !== 'string')) return { valid: false, reason: 'claims' };
  // RFC 9068 §4: the issuer "MUST exactly match"; the audience must contain an identifier of this resource server.
  if (iss !== expected.issuer) return { valid: false, reason: 'issuer' };
  const accepted = typeof expected.audience === 'string' ? [expected.audience] : expected.audience;
  const audiences = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : [];
  if (!audiences.some((a) => typeof a === 'string' && accepted.includes(a))) return { valid: false, reason: 'audience' };
  if (expected.now >= secondsToMs(exp + expected.leeway)) return { valid: false, reason: 'expired' };
  const { active: _active, token_type: _type, ...rest } = claims;
  // Literal members before the spread (V8's fast copy); an absent jti reads as ''.
  const result: Record<string, unknown> = { jti: '', ...rest };
  if (jti === undefined) result.jti = '';
  return { valid: true, claims: result as AccessTokenClaims };
}
