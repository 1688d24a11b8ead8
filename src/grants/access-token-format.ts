import type { AccessTokenFormat, Client } from '../contracts/types.js';

/**
 * The form of the access token a client is issued, decided in one place: the client's own `accessTokenFormat`
 * when its registration names one, else the server's default (`jwt` unless configured). Every grant mints through
 * `mintTokens`, which asks this function.
 *
 * @example
 * ```ts
 * accessTokenFormatFor({ ...client, accessTokenFormat: 'opaque' }, 'jwt'); // 'opaque'
 * accessTokenFormatFor(client, 'opaque'); // 'opaque' when the client names none
 * accessTokenFormatFor(client, undefined); // 'jwt'
 * ```
 */
export function accessTokenFormatFor(client: Client, serverDefault: AccessTokenFormat | undefined): AccessTokenFormat {
  // Where a resource's own format (RFC 8707 resource indicators) takes part, it is decided here too.
  return client.accessTokenFormat ?? serverDefault ?? 'jwt';
}
