import { isAllowedRedirectUri } from '../contracts/redirect-uri-rules.js';
import type { Client } from '../contracts/types.js';

/**
 * A loopback redirect URI (RFC 8252 §7.3): `http` on `127.0.0.1` or `[::1]`, an optional port, then a path or query
 * (or nothing). `localhost` is not included: RFC 8252 §8.3 calls it NOT RECOMMENDED.
 */
const LOOPBACK = /^http:\/\/(127\.0\.0\.1|\[::1\])(?::\d{1,5})?([/?][^#]*)?$/;

/**
 * Whether a requested redirect URI matches a registered one: exact string comparison (RFC 9700 §4.1.3, no
 * normalisation, no case folding), except that a loopback IP redirect URI may use any port (RFC 8252 §7.3).
 *
 * @example
 * ```ts
 * matchRedirectUri('https://app.example/cb', 'https://app.example/cb/'); // false
 * matchRedirectUri('http://127.0.0.1/cb', 'http://127.0.0.1:51004/cb'); // true
 * ```
 */
export function matchRedirectUri(registered: string, requested: string): boolean {
  // RFC 6749 §3.1.2: "The endpoint URI MUST NOT include a fragment component."
  if (requested.includes('#')) return false;
  if (registered === requested) return true;
  // RFC 8252 §7.3: "The authorization server MUST allow any port to be specified at the time of the request for
  // loopback IP redirect URIs". Everything but the port must still match exactly.
  const r = LOOPBACK.exec(registered);
  const q = LOOPBACK.exec(requested);
  return r !== null && q !== null && r[1] === q[1] && (r[2] ?? '') === (q[2] ?? '');
}

/**
 * The redirect URI an authorization request uses: the requested one if it matches a registered one; the only
 * registered one when none is requested (RFC 6749 §3.1.2.3: with several registered, the request must name one).
 * Only registered URIs that pass `redirectUriProblem` are considered.
 * `undefined` means the request must not be redirected anywhere.
 *
 * @example
 * ```ts
 * const uri = resolveRedirectUri(client, params.get('redirect_uri'));
 * if (uri === undefined) throw AuthorizationError.notRedirectable('invalid_request', 'Invalid redirect URI.');
 * ```
 */
export function resolveRedirectUri(client: Client, requested: string | undefined): string | undefined {
  // A registered URI that breaks the registration rule (plain http off loopback, a fragment, …) is never used, so a
  // client stored before the rule, or written to storage directly, cannot have its codes sent in the clear.
  const usable = client.redirectUris.filter(isAllowedRedirectUri);
  if (requested === undefined) {
    return client.redirectUris.length === 1 && usable.length === 1 ? usable[0] : undefined;
  }
  return usable.some((registered) => matchRedirectUri(registered, requested)) ? requested : undefined;
}
