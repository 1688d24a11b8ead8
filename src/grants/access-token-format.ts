import type { AccessTokenFormat, Client } from '../contracts/types.js';

/**
 * The form of the access token a client is issued, decided in one place: the format of the requested resources
 * (RFC 8707) when they name one, else the client's own `accessTokenFormat` when its registration names one, else
 * the server's default (`jwt` unless configured). Every grant mints through `mintTokens`, which asks this function.
 *
 * @example
 * ```ts
 * accessTokenFormatFor({ ...client, accessTokenFormat: 'opaque' }, 'jwt'); // 'opaque'
 * accessTokenFormatFor(client, 'opaque'); // 'opaque' when the client names none
 * accessTokenFormatFor(client, undefined); // 'jwt'
 * accessTokenFormatFor(client, 'jwt', 'opaque'); // 'opaque': the resource's format wins
 * ```
 */
export function accessTokenFormatFor(
  client: Client,
  serverDefault: AccessTokenFormat | undefined,
  resourceFormat?: AccessTokenFormat,
): AccessTokenFormat {
  return resourceFormat ?? client.accessTokenFormat ?? serverDefault ?? 'jwt';
}
