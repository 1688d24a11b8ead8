import { isAuthorizationResponder, type AuthorizationRequest, type AuthorizationResponder } from '../contracts/authorization-request.js';
import type { Grant } from '../contracts/grant.js';
import { resolveRedirectUri } from '../grants/redirect-uri.js';
import { resolveScopes } from '../grants/resolve-scopes.js';
import { requestedResources, resolveResources } from '../grants/resolve-resources.js';
import { AuthorizationError, authorizationRedirect, type AuthorizationRedirect } from '../contracts/authorization-error.js';
import { isWellFormedClientId } from '../contracts/client-authentication.js';
import { parseParams, readForm, type Params } from '../contracts/form.js';
import { OAuthError, toOAuthError } from '../contracts/oauth-error.js';
import type { ServerContext } from '../contracts/server-context.js';
import { StorageUnavailableError } from '../contracts/storage-unavailable-error.js';
import type { Client, User } from '../contracts/types.js';
import type { PushedAuthorizationRequestRepository } from '../contracts/pushed-authorization-request-repository.js';

/** What the authorization endpoint needs from the server. */
export interface AuthorizeEndpointContext {
  readonly server: ServerContext;
  /** The enabled grant of a type with its access-token lifetime (seconds). */
  readonly enabled: (grantType: string) => { readonly grant: Grant; readonly ttl: number } | undefined;
  readonly maxBodyBytes: number;
  /** Every token must be DPoP-bound (RFC 9449): implicit access tokens, which cannot be, are refused. */
  readonly requireDpop?: boolean | undefined;
  /** Pushed authorization requests (RFC 9126): without it, `request_uri` is refused. */
  readonly pushedRequests?: PushedAuthorizationRequestRepository | undefined;
  /** RFC 9126 §5 `require_pushed_authorization_requests`, server-wide. */
  readonly requirePushedRequests?: boolean | undefined;
}

/** RFC 9449 §10: `dpop_jkt` is a base64url SHA-256 JWK thumbprint (RFC 7638). */
const JKT = /^[A-Za-z0-9_-]{43}$/;

/**
 * The prefix of the `request_uri` the PAR endpoint issues (RFC 9126 §2.2 suggests this URN namespace).
 *
 * @example
 * ```ts
 * const requestUri = `${REQUEST_URI_PREFIX}${random}`;
 * ```
 */
export const REQUEST_URI_PREFIX = 'urn:ietf:params:oauth:request_uri:';

/**
 * The user's answer on the consent page.
 *
 * @example
 * ```ts
 * const decision: AuthorizationDecision = { user, approved: form.get('approve') === 'yes' };
 * return server.completeAuthorizationRequest(authRequest, decision); // 302 back to the client
 * ```
 */
export interface AuthorizationDecision {
  /** The logged-in user; required when `approved`. */
  readonly user: User | undefined;
  readonly approved: boolean;
}

/** RFC 6749 §3.1.1: the grant behind each response type. */
const GRANT_OF: ReadonlyMap<string, string> = new Map([
  ['code', 'authorization_code'],
  ['token', 'implicit'],
]);

/**
 * Step 1 of the authorization endpoint (RFC 6749 §4.1.1, §4.2.1): checks the request and returns the serialisable
 * {@link AuthorizationRequest} to keep while the user logs in and consents. Throws an {@link AuthorizationError}:
 * redirectable (back to the client) or not (bad client or redirect URI: show it to the user).
 *
 * @example
 * ```ts
 * const authRequest = await validateAuthorizationRequest(request, { server: ctx, enabled, maxBodyBytes: 16384 });
 * ```
 */
export async function validateAuthorizationRequest(request: Request, ctx: AuthorizeEndpointContext): Promise<AuthorizationRequest> {
  const { server } = ctx;
  const sent = await readParams(request, ctx.maxBodyBytes);
  const client = await findClient(server, sent.get('client_id'));
  const pushed = await resolvePushedRequest(ctx, client, sent.get('request_uri'));
  const params = pushed?.params ?? sent;
  const requestedUri = params.get('redirect_uri');
  const redirectUri = resolveRedirectUri(client, requestedUri);
  if (redirectUri === undefined) {
    // RFC 6749 §4.1.2.1: a missing, invalid or mismatching redirection URI MUST NOT redirect.
    throw AuthorizationError.notRedirectable('invalid_request', 'The redirect_uri is missing or not registered for this client.');
  }
  const responseType = params.get('response_type');
  const state = params.get('state');
  const target: AuthorizationRedirect = {
    redirectUri,
    // RFC 6749 §4.2.2.1: implicit errors go in the fragment too.
    responseMode: responseType === 'token' ? 'fragment' : 'query',
    state,
    issuer: server.issuer,
  };
  try {
    // RFC 9126 §5/§6: a server or client that requires PAR rejects an authorization request without request_uri.
    if (!pushed && requiresPushedRequests(ctx, client)) throw OAuthError.invalidRequest('This client must push its authorization requests (RFC 9126): use request_uri.');
    const { grant, pkce, scopes, resources, dpopJkt } = await checkRequest(ctx, client, params, requestedResources(params), undefined);
    return {
      ...(pushed ? { pushedRequestId: pushed.id } : {}),
      responseType: grant.responseType,
      clientId: client.id,
      clientName: client.name,
      redirectUri,
      redirectUriSent: requestedUri !== undefined,
      scopes,
      ...(resources.length > 0 ? { resources } : {}),
      ...(state === undefined ? {} : { state }),
      ...pkce,
      ...(dpopJkt === undefined ? {} : { dpopJkt }),
    };
  } catch (error) {
    throw AuthorizationError.redirecting(asOAuthError(server, error), target);
  }
}

const requiresPushedRequests = (ctx: AuthorizeEndpointContext, client: Client): boolean =>
  ctx.requirePushedRequests === true || client.requirePushedAuthorizationRequests === true;

/**
 * RFC 9126 §4: with `request_uri`, the request is the one pushed, which must be live, unused and pushed by this
 * client; the other parameters sent are ignored (only `client_id` and `request_uri` matter). No redirect URI is known
 * before the pushed request is found, so a failure here is never redirected (RFC 6749 §4.1.2.1).
 */
async function resolvePushedRequest(
  ctx: AuthorizeEndpointContext,
  client: Client,
  requestUri: string | undefined,
): Promise<{ id: string; params: Params } | undefined> {
  if (requestUri === undefined) return undefined;
  const refuse = (why: string): never => {
    throw AuthorizationError.notRedirectable('invalid_request', why);
  };
  if (!ctx.pushedRequests) return refuse('This server does not accept request_uri.');
  if (!requestUri.startsWith(REQUEST_URI_PREFIX) || requestUri.length > REQUEST_URI_PREFIX.length + 128) return refuse('The request_uri is unknown.');
  const id = await pushedRequestId(ctx.server, requestUri.slice(REQUEST_URI_PREFIX.length));
  const record = await ctx.pushedRequests.find(id);
  if (!record || record.clientId !== client.id) return refuse('The request_uri is unknown or was pushed by another client.');
  if (record.consumed) return refuse('The request_uri has already been used.');
  if (record.expiresAt <= ctx.server.clock.now()) return refuse('The request_uri has expired; push the request again.');
  return { id, params: new Map(Object.entries(record.params)) };
}

/**
 * The storage id of a pushed request: the SHA-256 of the random part of its `request_uri`, so that the table alone
 * does not let anyone use a pending request.
 *
 * @example
 * ```ts
 * const id = await pushedRequestId(ctx, requestUri.slice(REQUEST_URI_PREFIX.length));
 * ```
 */
export async function pushedRequestId(server: ServerContext, random: string): Promise<string> {
  return server.crypto.sha256(random);
}

/**
 * The authorization endpoint's own checks on pushed parameters (RFC 9126 §2.1: "the authorization server MUST
 * validate the request ... in the same way as at the authorization endpoint"): the redirect URI, then response type,
 * grant, PKCE and scope. Throws an `OAuthError` (answered as JSON by the PAR endpoint).
 *
 * @example
 * ```ts
 * await checkPushedParams(ctx, client, params);
 * ```
 */
export async function checkPushedParams(ctx: AuthorizeEndpointContext, client: Client, params: Params): Promise<void> {
  if (resolveRedirectUri(client, params.get('redirect_uri')) === undefined) {
    throw OAuthError.invalidRequest('The redirect_uri is missing or not registered for this client.');
  }
  await checkRequest(ctx, client, params, requestedResources(params), undefined);
}

/**
 * The checks shared by both steps: response type, client registration, the grant's own (PKCE), scope. Step 2 runs
 * them again on the stored request, so a request altered while stored cannot widen scope or drop PKCE; only then,
 * with the user known, does the scope repository's finalize hook run.
 */
async function checkRequest(ctx: AuthorizeEndpointContext, client: Client, params: Params, requested: readonly string[], user: User | undefined) {
  const responseType = params.get('response_type');
  if (responseType === undefined) throw OAuthError.invalidRequest('The response_type parameter is required.');
  const enabled = responderFor(ctx, responseType);
  if (!enabled) throw OAuthError.unsupportedResponseType();
  const { grant } = enabled;
  // RFC 6749 §4.1.2.1 unauthorized_client: "not authorized to request an authorization code using this method".
  if (!client.grantTypes.includes(grant.grantType)) throw OAuthError.unauthorizedClient();
  const pkce = grant.checkAuthorizationParams(params, client);
  const dpopJkt = params.get('dpop_jkt');
  if (dpopJkt !== undefined && (!JKT.test(dpopJkt) || grant.responseType !== 'code')) {
    throw OAuthError.invalidRequest('The dpop_jkt parameter must be a JWK SHA-256 thumbprint, with response_type=code (RFC 9449 section 10).');
  }
  // RFC 9449 §5.2 dpop_bound_access_tokens / a server requiring DPoP: an access token issued at the authorization
  // endpoint (implicit) has no proof to be bound to.
  if (grant.responseType === 'token' && (ctx.requireDpop === true || client.dpopBoundAccessTokens === true)) {
    throw OAuthError.unauthorizedClient('This client must use DPoP-bound access tokens, which the implicit grant cannot issue.');
  }
  const scopes = await resolveScopes({
    server: ctx.server,
    client,
    grantType: grant.grantType,
    userId: user?.id,
    requested: params.get('scope'),
    finalize: user !== undefined,
  });
  // RFC 8707 §2.1: the resources are checked here (invalid_target is redirected back) and kept with the request.
  const target = await resolveResources({
    server: ctx.server, client, requested, scopes, scopeRequested: params.get('scope') !== undefined, accessTokenTTL: enabled.ttl,
  });
  return { grant, ttl: target.accessTokenTTL, pkce, scopes: target.scopes, resources: [...target.resources], dpopJkt };
}

/**
 * Step 2 of the authorization endpoint: after login and consent, the redirect back to the client — a code
 * (RFC 6749 §4.1.2), implicit tokens (§4.2.2), or `access_denied` when the user said no (§4.1.2.1). The client and
 * redirect URI are checked again; if they no longer hold, a non-redirectable {@link AuthorizationError} is thrown.
 *
 * @example
 * ```ts
 * return completeAuthorizationRequest(authRequest, { user, approved: true }, ctx); // 302 to the client
 * ```
 */
export async function completeAuthorizationRequest(
  authRequest: AuthorizationRequest,
  decision: AuthorizationDecision,
  ctx: AuthorizeEndpointContext,
): Promise<Response> {
  const { server } = ctx;
  const client = await findClient(server, authRequest.clientId);
  if (resolveRedirectUri(client, authRequest.redirectUriSent ? authRequest.redirectUri : undefined) !== authRequest.redirectUri) {
    throw AuthorizationError.notRedirectable('invalid_request', 'The redirect_uri is not registered for this client.');
  }
  if (decision.approved && !decision.user) throw new TypeError('grantry: completeAuthorizationRequest needs the user when approved');
  const target: AuthorizationRedirect = {
    redirectUri: authRequest.redirectUri,
    responseMode: authRequest.responseType === 'token' ? 'fragment' : 'query',
    state: authRequest.state,
    issuer: server.issuer,
  };
  try {
    // RFC 6749 §4.1.2.1 access_denied: "The resource owner or authorization server denied the request."
    // RFC 9126 §7.3: the request_uri is single use; the request ends here, whatever the user decided.
    if (authRequest.pushedRequestId !== undefined) {
      if (!ctx.pushedRequests || !(await ctx.pushedRequests.consume(authRequest.pushedRequestId))) {
        throw OAuthError.invalidRequest('The request_uri has already been used.');
      }
    } else if (requiresPushedRequests(ctx, client)) {
      throw OAuthError.invalidRequest('This client must push its authorization requests (RFC 9126): use request_uri.');
    }
    if (!decision.approved) throw OAuthError.accessDenied('The user denied the request.');
    const stored = new Map<string, string>([['response_type', authRequest.responseType]]);
    if (authRequest.scopes.length > 0) stored.set('scope', authRequest.scopes.join(' '));
    if (authRequest.codeChallenge !== undefined) stored.set('code_challenge', authRequest.codeChallenge);
    if (authRequest.codeChallengeMethod !== undefined) stored.set('code_challenge_method', authRequest.codeChallengeMethod);
    if (authRequest.dpopJkt !== undefined) stored.set('dpop_jkt', authRequest.dpopJkt);
    const user = decision.user!;
    const { grant, ttl, scopes, resources } = await checkRequest(ctx, client, stored, authRequest.resources ?? [], user);
    const params = await grant.approve({ server, client, user, authRequest, scopes, resources, accessTokenTTL: ttl });
    return authorizationRedirect(target, params);
  } catch (error) {
    return AuthorizationError.redirecting(asOAuthError(server, error), target).toResponse();
  }
}

/**
 * RFC 6749 §4.1.2.1 server_error: "(This error code is needed because a 500 Internal Server Error HTTP status code
 * cannot be returned to the client via an HTTP redirect.)" The cause is logged, never sent.
 */
function asOAuthError(server: ServerContext, error: unknown): OAuthError {
  if (error instanceof OAuthError) return error;
  // RFC 6749 §4.1.2.1 temporarily_unavailable: "unable to handle the request due to a temporary overloading or
  // maintenance of the server": unavailable storage, once the redirect URI is known to be the client's.
  if (error instanceof StorageUnavailableError) {
    const log = server.logger;
    (log.warn ?? log.error).call(log, 'grantry: storage unavailable at the authorization endpoint', { reason: error.reason, error: error.message });
    return toOAuthError(error);
  }
  server.logger.error('grantry: unexpected error at the authorization endpoint', {
    error: error instanceof Error ? error.message : String(error),
  });
  return OAuthError.serverError(error);
}

function responderFor(ctx: AuthorizeEndpointContext, responseType: string): { grant: AuthorizationResponder; ttl: number } | undefined {
  const grantType = GRANT_OF.get(responseType);
  const enabled = grantType === undefined ? undefined : ctx.enabled(grantType);
  return enabled && isAuthorizationResponder(enabled.grant) ? { grant: enabled.grant, ttl: enabled.ttl } : undefined;
}

/** GET query (RFC 6749 §3.1: MUST support GET) or POST form; repeated parameters are not redirected. */
async function readParams(request: Request, maxBodyBytes: number): Promise<Params> {
  try {
    if (request.method === 'POST') return await readForm(request, maxBodyBytes);
    if (request.method !== 'GET') throw OAuthError.invalidRequest('The authorization endpoint accepts GET and POST.');
    return parseParams(new URL(request.url).searchParams);
  } catch (error) {
    // Before the client and redirect URI are known, nothing may be redirected (RFC 6749 §4.1.2.1).
    // A body over the limit keeps its 413 (RFC 9110 §15.5.14).
    if (error instanceof OAuthError) throw AuthorizationError.notRedirectable(error.code, error.description ?? error.code, error.status);
    throw error;
  }
}

async function findClient(server: ServerContext, clientId: string | undefined): Promise<Client> {
  if (clientId === undefined) throw AuthorizationError.notRedirectable('invalid_request', 'The client_id parameter is required.');
  if (!isWellFormedClientId(clientId)) throw AuthorizationError.notRedirectable('invalid_request', 'The client is unknown.');
  let client: Client | undefined;
  try {
    client = await server.clients.getClient(clientId);
  } catch (error) {
    // A client the repository refuses with a reason (a client ID metadata document that cannot be used): shown to
    // the user, never redirected, since its redirect URIs are not verified (RFC 6749 §4.1.2.1).
    if (error instanceof OAuthError && !(error instanceof AuthorizationError)) throw AuthorizationError.notRedirectable(error.code, error.description ?? error.code, 400);
    throw error;
  }
  if (!client) throw AuthorizationError.notRedirectable('invalid_request', 'The client is unknown.');
  return client;
}
