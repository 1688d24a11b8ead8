/**
 * Thrown when a client is registered (or updated) with a redirect URI that grantry will not send codes or tokens
 * to. `code` is RFC 7591 §3.2.2's `invalid_redirect_uri`; the message names the URI, the rule and what to use instead.
 *
 * @example
 * ```ts
 * try { await storage.admin.createClient(client); }
 * catch (e) { if (e instanceof InvalidRedirectUriError) console.error(e.message); else throw e; }
 * ```
 */
export class InvalidRedirectUriError extends TypeError {
  readonly code = 'invalid_redirect_uri';
  constructor(
    readonly redirectUri: string,
    reason: string,
  ) {
    super(`grantry: the redirect URI ${JSON.stringify(redirectUri)} ${reason}`);
    this.name = 'InvalidRedirectUriError';
  }
}

/** `http` on a literal loopback address (127.0.0.0/8 or [::1]), an optional port, then a path or query or nothing. */
const LOOPBACK_HTTP = /^http:\/\/(127(?:\.\d{1,3}){3}|\[::1\])(?::\d{1,5})?(?:[/?]|$)/i;
/** RFC 3986 §3.1 scheme; a private-use one is a reverse domain name, so it contains a period (RFC 8252 §7.1). */
const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):/;
/** URIs are ASCII without spaces or controls (RFC 3986 §2); anything else is not a URI as registered. */
const URI_CHARACTERS = /^[\x21-\x7e]+$/;

function parseUrl(uri: string): URL | undefined {
  try {
    return new URL(uri);
  } catch {
    return undefined;
  }
}

/**
 * Why a redirect URI may not be registered or used, or `undefined` when it may. The rule (OAuth 2.1 §2.3.1,
 * RFC 9700 §2.6 / §4.1, RFC 8252 §7):
 *
 * - an absolute URI (RFC 6749 §3.1.2) without a fragment and without user information;
 * - `https` with a host; or
 * - `http` only on a loopback IP literal, `127.x.y.z` or `[::1]` (RFC 8252 §7.3). `localhost` is refused: RFC 8252
 *   §8.3 calls it NOT RECOMMENDED, as a name can resolve off the machine and listeners may bind another interface;
 *   or
 * - a private-use scheme of a native app, a reverse domain name such as `com.example.app:/callback` (RFC 8252 §7.1,
 *   which recommends a single slash after the colon).
 *
 * @example
 * ```ts
 * redirectUriProblem('https://app.example/cb');        // undefined
 * redirectUriProblem('http://127.0.0.1:8080/cb');      // undefined
 * redirectUriProblem('com.example.app:/cb');           // undefined
 * redirectUriProblem('http://client.example.com/cb');  // 'uses plain http on a host that is not a loopback address: …'
 * ```
 */
export function redirectUriProblem(uri: string): string | undefined {
  if (typeof uri !== 'string' || uri === '') return 'is empty';
  if (!URI_CHARACTERS.test(uri)) return 'is not a URI: it contains a space, a control character or a character outside ASCII (RFC 3986 §2)';
  // RFC 6749 §3.1.2: "The endpoint URI MUST NOT include a fragment component."
  if (uri.includes('#')) return 'has a fragment; a redirect URI must not (RFC 6749 §3.1.2)';
  const scheme = SCHEME.exec(uri)?.[1]?.toLowerCase();
  const url = parseUrl(uri);
  // RFC 6749 §3.1.2: "The redirection endpoint URI MUST be an absolute URI as defined by [RFC3986] Section 4.3".
  if (scheme === undefined || url === undefined) return 'is not an absolute URI (RFC 6749 §3.1.2, RFC 3986 §4.3)';
  if (url.username !== '' || url.password !== '') return 'has user information before its host; a redirect URI must not';
  if (scheme === 'https') return url.hostname === '' ? 'has no host' : undefined;
  if (scheme === 'http') {
    if (LOOPBACK_HTTP.test(uri)) return undefined;
    if (url.hostname === 'localhost') {
      return 'uses localhost, which RFC 8252 §8.3 calls NOT RECOMMENDED: use http://127.0.0.1:PORT/… or http://[::1]:PORT/… instead';
    }
    return (
      'uses plain http on a host that is not a loopback address, so the code would travel in the clear: use https, ' +
      'or for a native app http://127.0.0.1:PORT/…, http://[::1]:PORT/… (RFC 8252 §7.3) or a private-use scheme such as com.example.app:/callback (RFC 9700 §2.6)'
    );
  }
  // RFC 8252 §7.1: a private-use scheme "based on a domain name under their control, expressed in reverse order".
  if (scheme.includes('.') && uri.length > scheme.length + 1) return undefined;
  return (
    `uses the scheme ${scheme}:, which is neither https, http on a loopback address, nor a private-use scheme of a ` +
    'native app (a reverse domain name such as com.example.app:/callback, RFC 8252 §7.1)'
  );
}

/**
 * Whether grantry may send an authorization response to this redirect URI (see {@link redirectUriProblem}).
 *
 * @example
 * ```ts
 * const usable = client.redirectUris.filter(isAllowedRedirectUri); // a registered URI that breaks the rule is not used
 * ```
 */
export const isAllowedRedirectUri = (uri: string): boolean => redirectUriProblem(uri) === undefined;

/**
 * Throws an {@link InvalidRedirectUriError} for the first redirect URI that breaks the rule of
 * {@link redirectUriProblem}; used wherever a client is registered or updated.
 *
 * @example
 * ```ts
 * assertRedirectUris(['https://app.example/cb', 'http://127.0.0.1/cb']); // fine
 * assertRedirectUris(['http://client.example.com/cb']);                   // throws InvalidRedirectUriError
 * ```
 */
export function assertRedirectUris(uris: readonly string[]): void {
  for (const uri of uris) {
    const problem = redirectUriProblem(uri);
    if (problem !== undefined) throw new InvalidRedirectUriError(uri, problem);
  }
}
