import { createHash, generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';

const b64 = (data: string | Buffer): string => Buffer.from(data).toString('base64url');

export interface ProofClaims {
  htm?: string;
  htu?: string;
  iat?: number;
  jti?: string;
  ath?: string;
  nonce?: string;
  [claim: string]: unknown;
}

/** A client's DPoP key pair, made with node:crypto, and the proofs it signs (RFC 9449 §4.2). */
export class DpopKey {
  readonly publicJwk: Record<string, unknown>;
  readonly jkt: string;

  constructor(
    readonly alg: 'ES256' | 'EdDSA' | 'RS256' | 'PS256' = 'ES256',
    readonly privateKey: KeyObject = generate(alg),
  ) {
    const full = privateKey.export({ format: 'jwk' }) as Record<string, unknown>;
    const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...pub } = full;
    this.publicJwk = pub;
    const members = pub.kty === 'RSA' ? ['e', 'kty', 'n'] : pub.kty === 'EC' ? ['crv', 'kty', 'x', 'y'] : ['crv', 'kty', 'x'];
    this.jkt = createHash('sha256').update(JSON.stringify(Object.fromEntries(members.map((m) => [m, pub[m]])))).digest('base64url');
  }

  /** The private JWK (for the "private key in the header" case). */
  get privateJwk(): Record<string, unknown> {
    return this.privateKey.export({ format: 'jwk' });
  }

  /** A proof for `htm htu`, now; `header` and `claims` override anything. */
  proof(htm: string, htu: string, claims: ProofClaims = {}, header: Record<string, unknown> = {}, signWith: KeyObject = this.privateKey): string {
    const h = { typ: 'dpop+jwt', alg: this.alg, jwk: this.publicJwk, ...header };
    const p = { jti: randomUUID(), htm, htu, iat: Math.floor(Date.now() / 1000), ...claims };
    const input = `${b64(JSON.stringify(h))}.${b64(JSON.stringify(p))}`;
    const algorithm = this.alg === 'EdDSA' ? null : 'sha256';
    const options = this.alg === 'ES256' ? { key: signWith, dsaEncoding: 'ieee-p1363' as const }
      : this.alg === 'PS256' ? { key: signWith, padding: 6, saltLength: 32 } : signWith;
    return `${input}.${b64(sign(algorithm, Buffer.from(input), options))}`;
  }
}

function generate(alg: DpopKey['alg']): KeyObject {
  if (alg === 'ES256') return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  if (alg === 'EdDSA') return generateKeyPairSync('ed25519').privateKey;
  return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
}

/** RFC 9449 §4.2 `ath`: base64url SHA-256 of the access token. */
export const ath = (token: string): string => createHash('sha256').update(token).digest('base64url');
