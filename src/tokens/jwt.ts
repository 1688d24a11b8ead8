import { decodeBase64url, decodeBase64urlText, encodeBase64url, utf8 } from './base64url.js';
import type { SigningAlgorithm, SigningKey, VerifyingKey } from './crypto/crypto-backend.js';

/**
 * A decoded JWS: its protected header and claims.
 *
 * @example
 * ```ts
 * const decoded: DecodedJwt | undefined = decodeJwt(token);
 * decoded?.header.kid; // which key to verify with; nothing here is trusted before verifyJwt
 * ```
 */
export interface DecodedJwt {
  header: { alg: string; typ?: string; kid?: string; [k: string]: unknown };
  payload: Record<string, unknown>;
}

const headerCache = new WeakMap<SigningKey, Map<string, string>>();

function encodedHeader(key: SigningKey, typ: string): string {
  let byTyp = headerCache.get(key);
  if (!byTyp) headerCache.set(key, (byTyp = new Map<string, string>()));
  let h = byTyp.get(typ);
  if (h === undefined) byTyp.set(typ, (h = encodeBase64url(JSON.stringify({ alg: key.alg, typ, kid: key.kid }))));
  return h;
}

/**
 * Signs claims as a compact JWS (RFC 7515) with `typ` and `kid` in the header.
 *
 * @example
 * ```ts
 * const jwt = await signJwt(keys.active, { iss, sub, exp }, 'at+jwt');
 * ```
 */
export async function signJwt(key: SigningKey, payload: Record<string, unknown>, typ = 'JWT'): Promise<string> {
  const input = `${encodedHeader(key, typ)}.${encodeBase64url(JSON.stringify(payload))}`;
  // node:crypto signs at once; only Web Crypto's signature is a promise (an await of a plain value still costs a turn).
  const signed = key.sign(utf8(input));
  const signature = signed instanceof Uint8Array ? signed : await signed;
  return `${input}.${encodeBase64url(signature)}`;
}

/**
 * Decodes a compact JWS without trusting it; `undefined` when it is not well-formed.
 *
 * @example
 * ```ts
 * const decoded = decodeJwt(token); // then verify with verifyJwt before using it
 * ```
 */
export function decodeJwt(token: string): (DecodedJwt & { signingInput: string; signature: Uint8Array }) | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  const [h, p, s] = parts as [string, string, string];
  try {
    const header = parseHeader(h);
    const payload = JSON.parse(decodeBase64urlText(p)) as unknown;
    if (header === undefined || !isObject(payload)) return undefined;
    return { header, payload, signingInput: `${h}.${p}`, signature: decodeBase64url(s) };
  } catch {
    return undefined;
  }
}

/**
 * Valid headers by their encoded text: a server sees as many distinct headers as it has keys (and token types),
 * so the JSON and base64url decoding of the header is done once per spelling, not per token. Bounded: a flood of
 * distinct headers (DPoP proofs carry each client's key) only empties it. The objects are frozen, since they are
 * shared.
 */
const parsedHeaders = new Map<string, DecodedJwt['header']>();

function parseHeader(encoded: string): DecodedJwt['header'] | undefined {
  const cached = parsedHeaders.get(encoded);
  if (cached !== undefined) return cached;
  const header = JSON.parse(decodeBase64urlText(encoded)) as unknown;
  if (!isObject(header) || typeof header.alg !== 'string') return undefined;
  if (parsedHeaders.size >= 64) parsedHeaders.clear();
  const frozen = Object.freeze(header) as DecodedJwt['header'];
  parsedHeaders.set(encoded, frozen);
  return frozen;
}

/**
 * Verifies a compact JWS against the key its `kid` names. Checks the signature and that the header's `alg` is the
 * key's own (no `none`, no algorithm confusion); `undefined` on any failure. Claims are the caller's to check.
 *
 * @example
 * ```ts
 * const jwt = await verifyJwt(token, (kid) => keys.find(kid));
 * ```
 */
export async function verifyJwt(
  token: string,
  findKey: (kid: string | undefined, alg: string) => VerifyingKey | SigningKey | undefined,
): Promise<DecodedJwt | undefined> {
  const decoded = decodeJwt(token);
  if (!decoded) return undefined;
  const { header } = decoded;
  const key = findKey(typeof header.kid === 'string' ? header.kid : undefined, header.alg);
  if (!key || key.alg !== (header.alg as SigningAlgorithm)) return undefined;
  if (!(await key.verify(utf8(decoded.signingInput), decoded.signature))) return undefined;
  return { header, payload: decoded.payload };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
