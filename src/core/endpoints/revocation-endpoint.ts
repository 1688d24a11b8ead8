import { authenticateClient } from '../../contracts/client-authentication.js';
import { readForm } from '../../contracts/form.js';
import { OAuthError } from '../../contracts/oauth-error.js';
import type { AnyRequest } from '../../contracts/plain-request.js';
import type { EndpointContext } from './endpoint-options.js';
import { findToken } from './find-token.js';

/**
 * The revocation endpoint (RFC 7009 §2): the client authenticates, names a token, and the server ends it.
 * Answers 200 with an empty body whether or not there was anything to revoke; throws an {@link OAuthError} for a
 * bad request or failed client authentication.
 *
 * Revoking a refresh token ends its whole family and the access tokens issued from it; revoking an access token
 * ends that token only. A token issued to another client is left alone, and the answer is the same 200 (see the
 * comment in the code for why).
 *
 * @example
 * ```ts
 * const response = await revokeToken(request, { server: await server.context(), options, maxBodyBytes: 16384 });
 * ```
 */
export async function revokeToken(request: Request, ctx: EndpointContext): Promise<Response> {
  await revokeRequestedToken(request, ctx);
  // RFC 7009 §2.2: "The authorization server responds with HTTP status code 200 if the token has been revoked
  // successfully or if the client submitted an invalid token." The body is ignored by clients; none is sent.
  return new Response(null, { status: 200, headers: { 'Cache-Control': 'no-store', Pragma: 'no-cache' } });
}

/**
 * The work of {@link revokeToken} for a `Request` or a `PlainRequest` (the Node adapters' path), without the
 * answer: resolves when the request was valid (whether or not a token was revoked), throws the same `OAuthError`s.
 *
 * @example
 * ```ts
 * await revokeRequestedToken(plainRequest, ctx); // then answer 200 with no body
 * ```
 */
export async function revokeRequestedToken(request: AnyRequest, ctx: EndpointContext): Promise<void> {
  // RFC 7009 §2.1: "The client requests the revocation ... by sending ... an HTTP POST request" (readForm: 405 else).
  const params = await readForm(request, ctx.maxBodyBytes);
  // RFC 7009 §2.1: "The client also includes its authentication credentials as described in Section 2.3 of
  // [RFC6749]." A public client identifies itself with client_id and may revoke its own tokens (RFC 7009 §5).
  const { client } = await authenticateClient(request, params, ctx.server);
  const token = params.get('token');
  // RFC 7009 §2.1: "token REQUIRED."
  if (token === undefined) throw OAuthError.invalidRequest('The token parameter is required.');

  // RFC 7009 §2.2: "An invalid token type hint value is ignored by the authorization server".
  const found = await findToken(ctx, token, params.get('token_type_hint'));
  // RFC 7009 §2.1: the server "verifies whether the token was issued to the client making the revocation request".
  // The RFC then says the request is "refused"; grantry answers such a token exactly like an unknown one (200,
  // nothing revoked), as RFC 7009 §2.2 does for invalid tokens: "invalid tokens do not cause an error response".
  // A distinct error would tell a client that a token it got hold of is live and belongs to someone else.
  if (found && found.record.clientId === client.id) {
    if (found.type === 'refresh_token') {
      // RFC 7009 §2.1: "If the particular token is a refresh token and the authorization server supports the
      // revocation of access tokens, then the authorization server SHOULD also invalidate all access tokens based
      // on the same authorization grant".
      const { familyId } = found.record;
      const refreshTokens = ctx.options.refreshTokens!;
      await Promise.all([refreshTokens.revokeFamily(familyId), ctx.server.accessTokens.revokeFamily(familyId)]);
    } else {
      await ctx.server.accessTokens.revoke(found.record.id);
    }
    const { id, familyId } = found.record;
    ctx.server.events.emit('token.revoked', { type: found.type, id, familyId, clientId: client.id });
  }
}
