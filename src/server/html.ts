/**
 * Escapes text for HTML content and attribute values.
 *
 * @example
 * ```ts
 * escapeHtml('<b>"x"</b>'); // '&#60;b&#62;&#34;x&#34;&#60;/b&#62;'
 * ```
 */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * Security headers of every page: no framing (clickjacking, RFC 6749 §10.13), no caching, no scripts. The page
 * view replaces the Content-Security-Policy with one that also allows the logo's origin for images.
 *
 * @example
 * ```ts
 * new Response(html, { headers: { ...PAGE_HEADERS } });
 * ```
 */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'x-frame-options': 'DENY',
  'content-security-policy': "default-src 'none'; style-src 'self'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'",
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
};

/**
 * A hidden form field.
 *
 * @example
 * ```ts
 * hidden('csrf_token', token); // '<input type="hidden" name="csrf_token" value="…">'
 * ```
 */
export const hidden = (name: string, value: string): string => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`;
