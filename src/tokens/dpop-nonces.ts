import { encodeBase64url, utf8 } from './base64url.js';
import { msToSeconds } from './time-units.js';

/**
 * Stateless DPoP server nonces (RFC 9449 §8): a nonce is the number of the current time window and an HMAC of it,
 * so every instance holding the same secret issues and accepts the same nonces without shared storage. A nonce is
 * accepted during its own window and the next one (a client holding one at a window's edge keeps it working).
 *
 * @example
 * ```ts
 * const nonces = new DpopNonces(process.env.DPOP_NONCE_SECRET!, { windowSeconds: 300 });
 * const nonce = await nonces.current(Date.now()); // send it in the DPoP-Nonce header
 * await nonces.isValid(nonce, Date.now()); // true
 * ```
 */
export class DpopNonces {
  readonly windowSeconds: number;
  readonly #key: Promise<CryptoKey>;
  readonly #cache = new Map<number, string>();

  /**
   * @param secret At least 32 bytes (or characters) of secret shared by every instance.
   */
  constructor(secret: string | Uint8Array, options: { windowSeconds?: number } = {}) {
    const raw = typeof secret === 'string' ? utf8(secret) : secret;
    if (raw.length < 32) throw new TypeError('grantry: the DPoP nonce secret must be at least 32 bytes');
    this.windowSeconds = options.windowSeconds ?? 300;
    if (!Number.isInteger(this.windowSeconds) || this.windowSeconds < 1) throw new TypeError('grantry: windowSeconds must be a whole number of seconds, 1 or more');
    this.#key = globalThis.crypto.subtle.importKey('raw', new Uint8Array(raw), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  }

  /** The nonce of the window that holds `now` (milliseconds since the epoch). */
  async current(now: number): Promise<string> {
    return this.#nonce(Math.floor(msToSeconds(now) / this.windowSeconds));
  }

  /** Whether `nonce` is the current window's or the previous one's. */
  async isValid(nonce: string, now: number): Promise<boolean> {
    const window = Math.floor(msToSeconds(now) / this.windowSeconds);
    const [current, previous] = await Promise.all([this.#nonce(window), this.#nonce(window - 1)]);
    return equal(nonce, current) || equal(nonce, previous);
  }

  async #nonce(window: number): Promise<string> {
    const cached = this.#cache.get(window);
    if (cached !== undefined) return cached;
    const label = new Uint8Array(utf8(`grantry-dpop-nonce:${window}`));
    const mac = new Uint8Array(await globalThis.crypto.subtle.sign('HMAC', await this.#key, label));
    const nonce = `${window.toString(36)}.${encodeBase64url(mac.subarray(0, 24))}`;
    if (this.#cache.size > 4) this.#cache.clear();
    this.#cache.set(window, nonce);
    return nonce;
  }
}

/** Constant-time comparison of two strings of any length. */
function equal(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < Math.max(a.length, b.length); i++) diff |= (a.charCodeAt(i) || 0) ^ (b.charCodeAt(i) || 0);
  return diff === 0;
}
