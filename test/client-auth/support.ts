import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import type { ReplayRepository } from '../../src/contracts/replay-repository.js';
import type { Clock } from '../../src/contracts/clock.js';
import { JWT_BEARER_ASSERTION_TYPE } from '../../src/contracts/client-assertion.js';
import { ISSUER } from '../support/fixtures.js';

/** A minimal in-memory ReplayRepository, for these tests only (the engines implement the real one). */
export class TestReplays implements ReplayRepository {
  readonly seen = new Map<string, number>();
  constructor(private readonly clock: Clock) {}
  async useOnce(namespace: string, id: string, expiresAt: number): Promise<boolean> {
    const key = `${namespace}\u0000${id}`;
    const until = this.seen.get(key);
    if (until !== undefined && until > this.clock.now()) return false;
    this.seen.set(key, expiresAt);
    return true;
  }
}

export interface ClientKey {
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
  readonly kid: string;
}

export async function clientKey(kid: string): Promise<ClientKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  return { privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' }, kid };
}

export interface AssertionClaims {
  iss?: string;
  sub?: string;
  aud?: string | string[];
  exp?: number;
  iat?: number;
  nbf?: number;
  jti?: string;
}

/** A client assertion (RFC 7523 §3) for `clientId` at `now` (ms), valid for 60 s unless `claims` say otherwise. */
export async function assertion(
  key: { privateKey: CryptoKey; kid: string } | { secret: string; alg?: 'HS256' | 'HS384' | 'HS512' },
  clientId: string,
  now: number,
  claims: AssertionClaims = {},
): Promise<string> {
  const seconds = Math.floor(now / 1000);
  const payload = { iss: clientId, sub: clientId, aud: ISSUER, iat: seconds, exp: seconds + 60, jti: crypto.randomUUID(), ...claims };
  const jwt = new SignJWT(payload);
  if ('secret' in key) return jwt.setProtectedHeader({ alg: key.alg ?? 'HS256', typ: 'JWT' }).sign(new TextEncoder().encode(key.secret));
  return jwt.setProtectedHeader({ alg: 'ES256', kid: key.kid }).sign(key.privateKey);
}

export const assertionParams = (jwt: string): Record<string, string> => ({ client_assertion_type: JWT_BEARER_ASSERTION_TYPE, client_assertion: jwt });
