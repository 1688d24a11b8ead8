/** Escapes text for HTML content and attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Security headers of every page: no framing (clickjacking, RFC 6749 §10.13), no caching, no scripts. */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'x-frame-options': 'DENY',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
};

const STYLE = `body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem;line-height:1.5;color:#1a1a1a}
label{display:block;margin:.75rem 0 .25rem;font-weight:600}input{width:100%;padding:.5rem;font-size:1rem;box-sizing:border-box}
button{padding:.5rem 1.25rem;font-size:1rem;margin:1rem .5rem 0 0;cursor:pointer}.error{color:#a00;font-weight:600}
ul{padding-left:1.25rem}`;

/**
 * A whole page: small, server-rendered, accessible (language, title, landmark, labels), no scripts.
 *
 * @example
 * ```ts
 * return page('Sign in', '<form method="post">…</form>', { status: 401 });
 * ```
 */
export function page(title: string, body: string, init: { status?: number; headers?: Record<string, string> } = {}): Response {
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)} · grantry</title><style>${STYLE}</style></head>
<body><main><h1>${escapeHtml(title)}</h1>
${body}
</main></body></html>`;
  return new Response(html, { status: init.status ?? 200, headers: { ...PAGE_HEADERS, ...init.headers } });
}

/** An error message block, announced to screen readers. */
export const errorMessage = (text: string | undefined): string =>
  text === undefined ? '' : `<p class="error" role="alert">${escapeHtml(text)}</p>`;

/** A hidden form field. */
export const hidden = (name: string, value: string): string => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`;
