import { encodeBase64url } from './base64url.js';
import type { CryptoBackend } from './crypto/crypto-backend.js';
import type { TokenSealer } from './sealed-token.js';

/**
 * What the client-held form of a refresh token or code reveals to the server once opened.
 *
 * @example
 * ```ts
 * const opened: OpenedToken | undefined = await ctx.refreshTokenCodec.open(presented);
 * if (!opened) throw OAuthError.invalidGrant();
 * const record = await storage.refreshTokens.find(opened.id);
 * ```
 */
export interface OpenedToken {
  /** The storage id of the record. */
  readonly id: string;
  /** The client it was issued to, when the format carries it (sealed tokens do). */
  readonly clientId?: string;
  /** Expiry in seconds since the epoch, when the format carries it. */
  readonly exp?: number;
}

/**
 * Turns records into the strings clients hold and back. `sealed`: an encrypted, authenticated JWE
 * (`dir`/`A256GCM`) around the record's id, client and expiry, as the seed describes. `opaque`: 256 random bits,
 * stored only as their SHA-256.
 *
 * @example
 * ```ts
 * const crypto = await loadCryptoBackend();
 * const codec = new TokenCodec('sealed', crypto, sealer, 'rt');
 * const { token, id } = await codec.issue('app', exp);
 * (await codec.open(token))?.id === id; // true
 * ```
 */
export class TokenCodec {
  constructor(
    readonly format: 'sealed' | 'opaque',
    private readonly crypto: CryptoBackend,
    private readonly sealer: TokenSealer,
    /** A purpose tag sealed into the payload, so a code never opens as a refresh token. */
    private readonly purpose: string,
  ) {}

  /**
   * A new token for a record; returns the string for the client and the id to store. With `bindToClient`, an
   * opaque token's id is the SHA-256 of the token and the client id, so that it opens (with that client id) only
   * for its own client: another client's attempt finds no record and cannot spend it. Sealed tokens carry the
   * client already.
   */
  async issue(clientId: string, exp: number, bindToClient = false): Promise<{ token: string; id: string }> {
    const random = encodeBase64url(this.crypto.randomBytes(32));
    if (this.format === 'opaque') return { token: random, id: await this.#opaqueId(random, bindToClient ? clientId : undefined) };
    const id = random.slice(0, 22); // 128 bits are enough for an id that only the server ever sees
    return { token: await this.sealer.seal({ p: this.purpose, id, cid: clientId, exp }), id };
  }

  /**
   * Opens a presented token; `undefined` for anything malformed, tampered or of another purpose. A token issued
   * with `bindToClient` is opened with the presenting client's id.
   */
  async open(token: string, boundClientId?: string): Promise<OpenedToken | undefined> {
    if (this.format === 'opaque') {
      return /^[A-Za-z0-9_-]{43}$/.test(token) ? { id: await this.#opaqueId(token, boundClientId) } : undefined;
    }
    const payload = await this.sealer.open(token);
    if (!payload || payload.p !== this.purpose) return undefined;
    const { id, cid, exp } = payload;
    if (typeof id !== 'string' || typeof cid !== 'string' || typeof exp !== 'number') return undefined;
    return { id, clientId: cid, exp };
  }

  /** The token is always 43 characters, so `token.clientId` cannot be produced by another token and client. */
  #opaqueId(token: string, clientId: string | undefined): string | Promise<string> {
    return this.crypto.sha256(clientId === undefined ? token : `${token}.${clientId}`);
  }
}
