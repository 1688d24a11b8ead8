/**
 * The user-code alphabet RFC 8628 §6.1 suggests: upper-case consonants only, so codes read aloud clearly and never
 * spell words. 20 letters, 8 characters: about 2^34.6 codes.
 *
 * @example
 * ```ts
 * const code = generateUserCode((n) => crypto.getRandomValues(new Uint8Array(n)));
 * [...code].every((c) => USER_CODE_ALPHABET.includes(c)); // true
 * ```
 */
export const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ';

/**
 * A random user code of `length` characters from {@link USER_CODE_ALPHABET}, normalised (no separator). Uses
 * rejection sampling so every letter is equally likely.
 *
 * @example
 * ```ts
 * const code = generateUserCode((n) => crypto.getRandomValues(new Uint8Array(n))); // 'WDJBMJHT'
 * formatUserCode(code); // 'WDJB-MJHT'
 * ```
 */
export function generateUserCode(randomBytes: (length: number) => Uint8Array, length = 8): string {
  const n = USER_CODE_ALPHABET.length;
  const limit = 256 - (256 % n); // bytes at or above this would bias the modulo
  let code = '';
  while (code.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < limit && code.length < length) code += USER_CODE_ALPHABET[byte % n];
    }
  }
  return code;
}

/**
 * Normalises what a user typed (RFC 8628 §6.1: case-insensitive, punctuation such as the dash ignored).
 *
 * @example
 * ```ts
 * normalizeUserCode('wdjb-mjht '); // 'WDJBMJHT'
 * ```
 */
export function normalizeUserCode(input: string): string {
  return input.toUpperCase().replace(/[\s-]+/g, '');
}

const WELL_FORMED = new RegExp(`^[${USER_CODE_ALPHABET}]+$`);

/**
 * Whether a normalised user code uses only {@link USER_CODE_ALPHABET}: anything else cannot match a stored code and
 * is answered without a storage lookup (a NUL would fail a PostgreSQL query).
 *
 * @example
 * ```ts
 * isWellFormedUserCode('WDJBMJHT'); // true
 * isWellFormedUserCode('WDJB\u0000MJHT'); // false
 * ```
 */
export function isWellFormedUserCode(code: string): boolean {
  return WELL_FORMED.test(code);
}

/**
 * Shows a normalised user code in two halves joined by a dash (RFC 8628 §6.1), e.g. `WDJB-MJHT`.
 *
 * @example
 * ```ts
 * formatUserCode('WDJBMJHT'); // 'WDJB-MJHT'
 * ```
 */
export function formatUserCode(code: string): string {
  const half = Math.ceil(code.length / 2);
  return code.length < 6 ? code : `${code.slice(0, half)}-${code.slice(half)}`;
}
