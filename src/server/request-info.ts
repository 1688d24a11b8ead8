/**
 * A safe place to go after login: a path on this server only (no scheme, no `//host`), else `/`.
 *
 * @example
 * ```ts
 * safeReturnTo('/authorize?client_id=app'); // '/authorize?client_id=app'
 * safeReturnTo('//evil.example');           // '/'
 * ```
 */
export function safeReturnTo(value: string | undefined | null): string {
  if (!value || !value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\') || /[\r\n]/.test(value)) return '/';
  return value;
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
