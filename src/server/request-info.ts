/**
 * A safe place to go after login or logout: a path on the issuer's own origin, else `/`. The value must be a path
 * (start with one `/`) without control characters (tab, CR, LF, NUL, any C0 or DEL: browsers strip some of them,
 * so `/\t/evil.example` would become `//evil.example`) or backslashes (which browsers read as `/`). It is resolved
 * against the issuer with the WHATWG URL parser and kept only if the result has the issuer's origin (RFC 9700
 * §4.11: no open redirectors); the answer is the normalized, percent-encoded path and query, never the raw input,
 * so it is always a valid `Location` header value.
 *
 * @example
 * ```ts
 * safeReturnTo('/authorize?client_id=app', 'https://auth.example.com'); // '/authorize?client_id=app'
 * safeReturnTo('//evil.example', 'https://auth.example.com');           // '/'
 * ```
 */
export function safeReturnTo(value: string | undefined | null, issuer: string): string {
  // eslint-disable-next-line no-control-regex
  if (!value || !value.startsWith('/') || /[\u0000-\u001f\u007f\\]/.test(value)) return '/';
  const origin = new URL(issuer).origin;
  let url: URL;
  try {
    url = new URL(value, origin);
  } catch {
    return '/';
  }
  if (url.origin !== origin) return '/';
  return url.pathname + url.search;
}

/**
 * Reads a request body up to `maxBytes`; `undefined` when it is larger (the rest is not read) or unreadable.
 *
 * @example
 * ```ts
 * const text = await readBoundedText(request.clone(), 16 * 1024);
 * ```
 */
export async function readBoundedText(request: Request, maxBytes: number): Promise<string | undefined> {
  if (!request.body) return '';
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) return undefined;
      chunks.push(value);
    }
  } catch {
    return undefined;
  } finally {
    // Not awaited: cancelling one branch of a cloned (tee'd) body settles only when the other branch is done.
    reader.cancel().catch(() => undefined);
  }
  return new TextDecoder().decode(Buffer.concat(chunks));
}
