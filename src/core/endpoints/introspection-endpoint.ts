import { authenticateClient } from '../../contracts/client-authentication.js';
import { readForm } from '../../contracts/form.js';
import type { AnyRequest } from '../../contracts/plain-request.js';
import { NO_STORE_HEADERS, OAuthError } from '../../contracts/oauth-error.js';
import type { Client } from '../../contracts/types.js';
import type { EndpointContext } from './endpoint-options.js';
import { findToken, type FoundToken } from './find-token.js';
import { secondsToMs, toEpochSeconds } from '../../tokens/time-units.js';

/**
 * The RFC 7662 §2.2 introspection response.
 *
 * @example
 * ```ts
 * const response = await server.handleIntrospectionRequest(request);
 * const body = (await response.json()) as IntrospectionResponseBody;
 * if (body.active) console.log(body.client_id, body.scope, body.exp);
 * ```
 */
export interface IntrospectionResponseBody {
  active: boolean;
  scope?: string;
  client_id?: string;
  username?: string;
  token_type?: string;
  exp?: number;
  iat?: number;
  nbf?: number;
  sub?: string;
  aud?: string | readonly string[];
  iss?: string;
  jti?: string;
  /** RFC 9449 §6.2: the DPoP key a token is bound to. */
  cnf?: { jkt: string };
}

const json = (body: IntrospectionResponseBody): Response =>
  new Response(JSON.stringify(body), { status: 200, headers: NO_STORE_HEADERS });

/**
 * The introspection endpoint (RFC 7662 §2): a confidential client asks whether a token is active. It may ask about
 * its own tokens; about other clients' tokens only with the `introspect` permission (a resource server's client,
 * RFC 7662 §4), else the answer is `{"active": false}`. Every token that is invalid, expired, revoked, used up or unknown answers
 * `{"active": false}` and nothing else; active access and refresh tokens report the RFC 7662 §2.2 members.
 *
 * @example
 * ```ts
 * const response = await introspectToken(request, { server: await server.context(), options, maxBodyBytes: 16384 });
 * ```
 */
export async function introspectToken(request: Request, ctx: EndpointContext): Promise<Response> {
  return json(await introspectionBody(request, ctx));
}

/**
 * The body of {@link introspectToken}'s answer, for a `Request` or a `PlainRequest` (the Node adapters' path);
 * throws the same `OAuthError`s.
 *
 * @example
 * ```ts
 * const body = await introspectionBody(plainRequest, ctx); // { active: true, scope: 'read', ... }
 * ```
 */
export async function introspectionBody(request: AnyRequest, ctx: EndpointContext): Promise<IntrospectionResponseBody> {
  const params = await readForm(request, ctx.maxBodyBytes);
  const authenticated = await authenticateClient(request, params, ctx.server);
  // RFC 7662 §2.1: "To prevent token scanning attacks, the endpoint MUST also require some form of authorization to
  // access this endpoint". A public client proves nothing, so only clients that authenticated may introspect.
  if (authenticated.method === 'none') {
    ctx.server.events.emit('client.authentication_failed', { clientId: authenticated.client.id, reason: 'missing_credentials' });
    throw OAuthError.invalidClient(false, 'Introspection requires client authentication.');
  }
  const token = params.get('token');
  // RFC 7662 §2.1: "token REQUIRED."
  if (token === undefined) throw OAuthError.invalidRequest('The token parameter is required.');

  const found = await findToken(ctx, token, params.get('token_type_hint'));
  // RFC 7662 §2.2: "If the introspection call is properly authorized but the token is not active, does not exist
  // on this server, or the protected resource is not allowed to introspect this particular token, then the
  // authorization server MUST return an introspection response with the "active" field set to false." and §4: it
  // "SHOULD NOT include any additional information about an inactive token".
  const allowed = found !== undefined && (await mayIntrospect(ctx, authenticated.client, found));
  const body = allowed ? await describe(ctx, found) : undefined;
  return body ?? { active: false };
}

/** The response for a token found in storage, or `undefined` when it is not active now. */
async function describe(ctx: EndpointContext, found: FoundToken): Promise<IntrospectionResponseBody | undefined> {
  const now = ctx.server.clock.now();
  const { record } = found;
  if (record.revoked || record.expiresAt <= now) return undefined;
  const username = await usernameOf(ctx, record.userId);
  if (found.type === 'access_token') {
    const { claims } = found;
    // RFC 7662 §2.2 / RFC 9068 §2.2: the JWT's own claims; exp and nbf checked exactly, this server being the clock.
    if (secondsToMs(claims.exp) <= now || (claims.nbf !== undefined && secondsToMs(claims.nbf) > now)) return undefined;
    const jkt = typeof claims.cnf?.jkt === 'string' ? claims.cnf.jkt : undefined;
    return {
      active: true,
      scope: claims.scope ?? record.scopes.join(' '),
      client_id: claims.client_id,
      ...(username === undefined ? {} : { username }),
      // RFC 9449 §6.2: a DPoP-bound token is introspected with token_type DPoP and its cnf.
      token_type: jkt === undefined ? 'Bearer' : 'DPoP',
      exp: claims.exp,
      iat: claims.iat,
      ...(claims.nbf === undefined ? {} : { nbf: claims.nbf }),
      sub: claims.sub,
      aud: claims.aud,
      iss: claims.iss,
      jti: claims.jti,
      ...(jkt === undefined ? {} : { cnf: { jkt } }),
    };
  }
  // A rotated refresh token has been used up: it will never be accepted again, so it is not active.
  if (found.record.consumed) return undefined;
  return {
    active: true,
    scope: record.scopes.join(' '),
    client_id: record.clientId,
    ...(username === undefined ? {} : { username }),
    // No token_type: RFC 7662 §2.2 defines it as an access-token type (RFC 6749 §5.1), which a refresh token lacks.
    exp: toEpochSeconds(record.expiresAt),
    sub: record.userId ?? record.clientId,
    iss: ctx.server.issuer,
    ...(found.record.dpopJkt === undefined ? {} : { cnf: { jkt: found.record.dpopJkt } }),
  };
}

/**
 * RFC 7662 §4: the server "MAY ... limit which protected resources can introspect which tokens"; grantry does by
 * default. A client may introspect the tokens issued to it; another client's only with the `introspect` permission
 * given at registration (a resource server's client). A `canIntrospect` hook, when given, decides instead.
 */
async function mayIntrospect(ctx: EndpointContext, caller: Client, found: FoundToken): Promise<boolean> {
  const { clientId, userId, scopes } = found.record;
  const hook = ctx.options.canIntrospect;
  if (hook) return hook(caller, { clientId, userId, scopes });
  return caller.id === clientId || (caller.permissions ?? []).includes('introspect');
}

async function usernameOf(ctx: EndpointContext, userId: string | undefined): Promise<string | undefined> {
  if (userId === undefined || !ctx.options.users) return undefined;
  return (await ctx.options.users.getUser(userId))?.username;
}
