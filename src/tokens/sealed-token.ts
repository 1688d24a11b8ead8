import { decodeBase64url, decodeBase64urlText, encodeBase64url, utf8 } from './base64url.js';
import type { AeadKey } from './crypto/crypto-backend.js';

const decoder = new TextDecoder();

/**
 * The keys that seal refresh tokens and codes: the newest encrypts, all of them decrypt (rotation).
 *
 * @example
 * ```ts
 * const sealer = new TokenSealer([newKey, oldKey]); // newKey encrypts, oldKey still opens old tokens
 * ```
 */
export class TokenSealer {
  readonly #keys = new Map<string, AeadKey>();
  readonly #headers = new Map<string, string>();
  /** Each key's own encoded header → the key and the header's bytes (the AAD): no JSON or base64url per token. */
  readonly #byHeader = new Map<string, { key: AeadKey; aad: Uint8Array }>();

  constructor(keys: readonly AeadKey[]) {
    if (keys.length === 0) throw new TypeError('grantry: at least one encryption key is required');
    for (const key of keys) {
      this.#keys.set(key.kid, key);
      // RFC 7516 §7.1 compact JWE, direct key agreement with AES-256-GCM.
      const header = encodeBase64url(JSON.stringify({ alg: 'dir', enc: 'A256GCM', kid: key.kid }));
      this.#headers.set(key.kid, header);
      this.#byHeader.set(header, { key, aad: utf8(header) });
    }
    this.active = keys[0]!;
  }

  /** The key new tokens are sealed with. */
  readonly active: AeadKey;

  /** Seals a JSON payload as a compact JWE (`dir`, `A256GCM`). */
  async seal(payload: Record<string, unknown>): Promise<string> {
    const header = this.#headers.get(this.active.kid)!;
    const { iv, ciphertext, tag } = await this.active.encrypt(utf8(JSON.stringify(payload)), this.#byHeader.get(header)!.aad);
    return `${header}..${encodeBase64url(iv)}.${encodeBase64url(ciphertext)}.${encodeBase64url(tag)}`;
  }

  /** Opens a sealed token; `undefined` for anything malformed, tampered, or sealed with an unknown key. */
  async open(token: string): Promise<Record<string, unknown> | undefined> {
    if (token.length > 8192) return undefined;
    const parts = token.split('.');
    if (parts.length !== 5 || parts[1] !== '') return undefined;
    const [h, , iv, ct, tag] = parts as [string, string, string, string, string];
    try {
      // Tokens sealed here carry one of the headers above, byte for byte; any other spelling is parsed.
      const known = this.#byHeader.get(h);
      const key = known?.key ?? this.#parseHeader(h);
      if (!key) return undefined;
      const plain = await key.decrypt(decodeBase64url(iv), decodeBase64url(ct), decodeBase64url(tag), known?.aad ?? utf8(h));
      if (!plain) return undefined;
      const payload = JSON.parse(decoder.decode(plain)) as unknown;
      return typeof payload === 'object' && payload !== null && !Array.isArray(payload)
        ? (payload as Record<string, unknown>)
        : undefined;
    } catch {
      return undefined;
    }
  }

  /** RFC 7516 §4.1: the key a protected header names, if it asks for `dir` + `A256GCM`. Throws on malformed input. */
  #parseHeader(h: string): AeadKey | undefined {
    const header = JSON.parse(decodeBase64urlText(h)) as { alg?: unknown; enc?: unknown; kid?: unknown };
    if (header.alg !== 'dir' || header.enc !== 'A256GCM' || typeof header.kid !== 'string') return undefined;
    return this.#keys.get(header.kid);
  }
}
