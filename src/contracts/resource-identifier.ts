/**
 * Whether a value may name a resource (RFC 8707 §2): "an absolute URI, as specified by Section 4.3 of [RFC3986]",
 * which "MUST NOT include a fragment component". Used for the `resource` parameter and for registration.
 *
 * @example
 * ```ts
 * isResourceIdentifier('https://api.example.com/mcp'); // true
 * isResourceIdentifier('/mcp');                         // false: relative
 * isResourceIdentifier('https://api.example.com/#a');   // false: a fragment
 * ```
 */
export function isResourceIdentifier(value: string): boolean {
  // RFC 3986 §4.3: absolute-URI = scheme ":" hier-part [ "?" query ]; a scheme starts with a letter.
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:[^\s#]+$/.test(value)) return false;
  // RFC 3986 §2: no control characters, spaces or the characters it excludes ("<", ">", '"', "{", "}", …).
  for (const char of value) if (char <= ' ' || char === '\u007f' || '<>"{}|\\^`'.includes(char)) return false;
  try {
    new URL(value);
    return true;
  } catch {
    return false;
  }
}
