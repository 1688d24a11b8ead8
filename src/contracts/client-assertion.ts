import { decodeJwt } from '../tokens/jwt.js';
import { utf8 } from '../tokens/base64url.js';
import type { KeyResolver } from '../tokens/key-resolver.js';
import { inlineJwks, JwksUnavailableError, RemoteJwks, type RemoteJwksOptions } from '../tokens/remote-jwks.js';
import type { Clock } from './clock.js';
import type { ReplayRepository } from './replay-repository.js';
import type { Client } from './types.js';
import { msToSeconds, secondsToMs } from '../tokens/time-units.js';
import { safeFetchJson } from '../tokens/safe-fetch.js';

/**
 * The `client_assertion_type` of JWT client authentication (RFC 7523 §2.2).
 *
 * @example
 * ```ts
 * const body = new URLSearchParams({ grant_type: 'client_credentials', client_assertion_type: JWT_BEARER_ASSERTION_TYPE, client_assertion: jwt });
 * ```
 */
export const JWT_BEARER_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/**
 * `private_key_jwt`: the asymmetric algorithms grantry verifies (those of `RemoteJwks`).
 *
 * @example
 * ```ts
 * PRIVATE_KEY_JWT_ALGORITHMS.includes(header.alg); // RS256, PS256, ES256 or EdDSA
 * ```
 */
export const PRIVATE_KEY_JWT_ALGORITHMS: readonly string[] = ['RS256', 'PS256', 'ES256', 'EdDSA'];
/**
 * `client_secret_jwt`: HMAC with SHA-2 (RFC 7518 §3.2).
 *
 * @example
 * ```ts
 * const method = CLIENT_SECRET_JWT_ALGORITHMS.includes(header.alg) ? 'client_secret_jwt' : 'private_key_jwt';
 * ```
 */
export const CLIENT_SECRET_JWT_ALGORITHMS: readonly string[] = ['HS256', 'HS384', 'HS512'];

/**
 * Options of a {@link ClientAssertionVerifier}.
 *
 * @example
 * ```ts
 * const options: ClientAssertionVerifierOptions = { audiences: ['https://auth.example.com'], replays, clock: systemClock };
 * ```
 */
export interface ClientAssertionVerifierOptions {
  /** The `aud` values accepted: the issuer identifier (draft-ietf-oauth-rfc7523bis), and any other the server allows. */
  readonly audiences: readonly string[];
  /** Where each `jti` is recorded until the assertion expires (RFC 7523 §3 item 7). */
  readonly replays: ReplayRepository;
  readonly clock: Clock;
  /** The longest an assertion may live, from now to its `exp`, in seconds (default 300). */
  readonly maxTTL?: number;
  /** Tolerated clock difference with clients for `exp`, `nbf` and `iat`, in seconds (default 60). */
  readonly clockSkew?: number;
  /**
   * The `fetch` used for clients' `jwks_uri`. Default: through `safeFetchJson` (https only, every resolved address
   * checked, private and loopback addresses refused, no redirects, size and time limits), since a client may have
   * registered the URL itself.
   */
  readonly fetch?: RemoteJwksOptions['fetch'];
  /** Least seconds between two fetches of one `jwks_uri` caused by an unknown `kid` (default 30). */
  readonly jwksRefetchCooldown?: number;
}

/**
 * Why an assertion was refused (the `reason` of a `client.authentication_failed` event).
 *
 * @example
 * ```ts
 * const failure: AssertionFailure | undefined = await verifier.verify(jwt, client, 'private_key_jwt');
 * if (failure === 'replayed_assertion') log.warn('a client assertion was replayed', { clientId: client.id });
 * ```
 */
export type AssertionFailure = 'bad_assertion' | 'replayed_assertion' | 'jwks_unavailable';

const MAX_REMOTE_SETS = 1000;

/** The default fetch of a `jwks_uri`: SSRF-safe, and answering as a `fetch` would for `RemoteJwks` (a 200 JSON body). */
const safeJwksFetch: NonNullable<RemoteJwksOptions['fetch']> = async (input) => {
  const { body, headers } = await safeFetchJson(input, { headers: { accept: 'application/jwk-set+json, application/json' } });
  const cache = headers.get('cache-control');
  return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json', ...(cache === null ? {} : { 'cache-control': cache }) } });
};
/** RFC 8725 §3.11 explicit typing: a JWT made for another purpose (an access token, a DPoP proof) is not an assertion. */
const ASSERTION_TYPES = new Set(['JWT', 'jwt', 'client-authentication+jwt']);
const HASH_OF: Readonly<Record<string, string>> = { HS256: 'SHA-256', HS384: 'SHA-384', HS512: 'SHA-512' };

/**
 * Verifies JWT client assertions (RFC 7523 §3, OpenID Connect Core §9): the signature with the client's registered
 * keys (`jwks`, or `jwksUri` fetched and cached, refetched for an unknown `kid`) or its `secretForJwt`, then the
 * claims, then single use of `jti`. One per server; `authenticateClient` calls it.
 *
 * @example
 * ```ts
 * const verifier = new ClientAssertionVerifier({ audiences: [issuer], replays: storage.replays, clock: systemClock });
 * const failure = await verifier.verify(assertion, client, 'private_key_jwt'); // undefined when valid
 * ```
 */
export class ClientAssertionVerifier {
  readonly #options: ClientAssertionVerifierOptions;
  readonly #maxTTL: number;
  readonly #skew: number;
  readonly #remote = new Map<string, RemoteJwks>();

  constructor(options: ClientAssertionVerifierOptions) {
    this.#options = options;
    this.#maxTTL = options.maxTTL ?? 300;
    this.#skew = options.clockSkew ?? 60;
  }

  /** `undefined` when the assertion authenticates `client` by `method`, else why not. */
  async verify(assertion: string, client: Client, method: 'private_key_jwt' | 'client_secret_jwt'): Promise<AssertionFailure | undefined> {
    const decoded = decodeJwt(assertion);
    if (!decoded) return 'bad_assertion';
    const { header, payload } = decoded;
    if (typeof header.typ === 'string' && !ASSERTION_TYPES.has(header.typ)) return 'bad_assertion';
    let valid: boolean;
    try {
      valid =
        method === 'client_secret_jwt'
          ? await verifyHmac(client.secretForJwt, header.alg, decoded.signingInput, decoded.signature)
          : await this.#verifySignature(client, header.kid, header.alg, decoded.signingInput, decoded.signature);
    } catch (error) {
      if (error instanceof JwksUnavailableError) return 'jwks_unavailable';
      throw error;
    }
    if (!valid) return 'bad_assertion';
    const now = msToSeconds(this.#options.clock.now());
    const exp = this.#checkClaims(payload, client, now);
    if (exp === undefined) return 'bad_assertion';
    // RFC 7523 §3 item 7: "The authorization server MAY ensure that JWTs are not replayed by maintaining the set of
    // used "jti" values for the length of time for which the JWT would be considered valid based on the applicable
    // "exp" instant." grantry does, in storage, so that two servers on one database agree.
    const fresh = await this.#options.replays.useOnce('client_assertion', `${client.id}:${payload.jti as string}`, Math.ceil(secondsToMs(exp + this.#skew)));
    return fresh ? undefined : 'replayed_assertion';
  }

  /** The claims of RFC 7523 §3; the `exp` when they hold. */
  #checkClaims(payload: Record<string, unknown>, client: Client, now: number): number | undefined {
    const { iss, sub, aud, exp, nbf, iat, jti } = payload;
    // RFC 7523 §3 items 1-2 and OpenID Connect Core §9: iss and sub are both the client_id.
    if (iss !== client.id || sub !== client.id) return undefined;
    // draft-ietf-oauth-rfc7523bis: the audience is the issuer identifier, as the sole value (a one-element array is
    // the same value); RFC 7523 §3 item 3: "MUST reject any JWT that does not contain its own identity".
    const audience: unknown = Array.isArray(aud) && aud.length === 1 ? (aud as unknown[])[0] : aud;
    if (typeof audience !== 'string' || !this.#options.audiences.includes(audience)) return undefined;
    // RFC 7523 §3 item 4: exp is required and the JWT is rejected after it; grantry also bounds how far ahead it may
    // be, so that a stolen assertion cannot be replayed for long against a server without the jti record.
    if (typeof exp !== 'number' || !Number.isFinite(exp) || now > exp + this.#skew || exp - now > this.#maxTTL + this.#skew) return undefined;
    // Item 5: "The JWT MAY contain an "nbf" (not before) claim". Item 6: iat, when present, is not in the future.
    if (nbf !== undefined && (typeof nbf !== 'number' || nbf > now + this.#skew)) return undefined;
    if (iat !== undefined && (typeof iat !== 'number' || iat > now + this.#skew || exp - iat > this.#maxTTL + this.#skew)) return undefined;
    // Item 7 makes jti optional; grantry requires it, as OpenID Connect Core §9 does, to refuse replays.
    if (typeof jti !== 'string' || jti === '' || jti.length > 256) return undefined;
    return exp;
  }

  async #verifySignature(client: Client, kid: unknown, alg: string, signingInput: string, signature: Uint8Array): Promise<boolean> {
    if (!PRIVATE_KEY_JWT_ALGORITHMS.includes(alg)) return false;
    const resolver = this.#resolverFor(client);
    const key = resolver && (await resolver.resolve(typeof kid === 'string' ? kid : undefined, alg));
    return key !== undefined && key.alg === alg && (await key.verify(utf8(signingInput), signature));
  }

  #resolverFor(client: Client): KeyResolver | undefined {
    if (client.jwks) return inlineJwks(client.jwks.keys);
    const uri = client.jwksUri;
    if (uri === undefined) return undefined;
    let remote = this.#remote.get(uri);
    if (!remote) {
      if (this.#remote.size >= MAX_REMOTE_SETS) this.#remote.delete(this.#remote.keys().next().value!);
      const { fetch, clock, jwksRefetchCooldown } = this.#options;
      remote = new RemoteJwks(uri, { clock, cooldown: jwksRefetchCooldown ?? 30, fetch: fetch ?? safeJwksFetch });
      this.#remote.set(uri, remote);
    }
    return remote;
  }
}

/** `client_secret_jwt`: the HMAC of the signing input with the client's secret (Web Crypto compares in constant time). */
async function verifyHmac(secret: string | undefined, alg: string, signingInput: string, signature: Uint8Array): Promise<boolean> {
  const hash = HASH_OF[alg];
  if (secret === undefined || hash === undefined) return false;
  const subtle = globalThis.crypto.subtle;
  const key = await subtle.importKey('raw', new Uint8Array(utf8(secret)), { name: 'HMAC', hash }, false, ['verify']);
  return subtle.verify('HMAC', key, new Uint8Array(signature), new Uint8Array(utf8(signingInput)));
}
