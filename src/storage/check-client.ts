import { assertRedirectUris } from '../contracts/redirect-uri-rules.js';
import type { Client } from '../contracts/types.js';

/**
 * The checks every engine's admin runs before it stores a client (create and update): redirect URIs by the rule of
 * `redirectUriProblem` (https, http on loopback, or a native app's private-use scheme; no fragment). Throws an
 * `InvalidRedirectUriError` (a `TypeError`) naming the URI and the rule; an access-token format other than `jwt` or
 * `opaque` is a `TypeError` too.
 *
 * @example
 * ```ts
 * async createClient(client: Client) { checkClient(client); await insert(client); }
 * ```
 */
export function checkClient(client: Client): void {
  assertRedirectUris(client.redirectUris);
  const format = client.accessTokenFormat;
  if (format !== undefined && format !== 'jwt' && format !== 'opaque') {
    throw new TypeError(`grantry: client ${client.id}: accessTokenFormat must be 'jwt' or 'opaque', not ${String(format)}`);
  }
}
