/** The shortest password accepted, in characters (NIST SP 800-63B §5.1.1.2: at least 8). */
export const MIN_PASSWORD_LENGTH = 8;
/** The longest password accepted, in characters (NIST SP 800-63B: verifiers should permit at least 64). */
export const MAX_PASSWORD_LENGTH = 256;

// NIST SP 800-63B §5.1.1.2: compare against values known to be commonly used. A short list of the commonest
// passwords of 8 characters or more, not a breach corpus: a floor, not a guarantee.
const COMMON = new Set([
  'password', 'password1', 'password12', 'password123', 'passw0rd', '12345678', '123456789', '1234567890', '87654321',
  '11111111', '00000000', 'qwertyui', 'qwertyuiop', 'qwerty123', 'qwerty12', '1q2w3e4r', '1qaz2wsx', 'abcd1234',
  'abcdefgh', 'asdfghjkl', 'iloveyou', 'sunshine', 'princess', 'football', 'baseball', 'welcome1', 'trustno1',
  'superman', 'letmein1', 'starwars', 'whatever', 'changeme', 'administrator',
]);

/**
 * Why a password is refused, or `undefined` when it is accepted. The rule of NIST SP 800-63B §5.1.1.2 and OWASP
 * ASVS V2.1: length only (8 to 256 characters, counted as Unicode code points, spaces allowed), no composition rules
 * (no "one digit, one symbol"); refused when it is one of the commonest passwords, one character repeated, or the
 * username itself.
 *
 * @example
 * ```ts
 * passwordProblem('x', 'alice'); // 'must be at least 8 characters long (got 1)'
 * passwordProblem('correct horse battery staple', 'alice'); // undefined
 * ```
 */
export function passwordProblem(password: string, username: string): string | undefined {
  const length = [...password].length;
  if (length < MIN_PASSWORD_LENGTH) return `must be at least ${MIN_PASSWORD_LENGTH} characters long (got ${length}); a few words make a good one`;
  if (length > MAX_PASSWORD_LENGTH) return `must be at most ${MAX_PASSWORD_LENGTH} characters long (got ${length})`;
  const folded = password.toLowerCase();
  if (COMMON.has(folded)) return 'is one of the most common passwords';
  if (new Set(folded).size === 1) return 'is one character repeated';
  if (folded === username.toLowerCase()) return 'must not be the username';
  return undefined;
}
