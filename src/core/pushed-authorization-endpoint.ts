import { authenticateClient } from '../contracts/client-authentication.js';
import { readForm } from '../contracts/form.js';
import { NO_STORE_HEADERS, OAuthError } from '../contracts/oauth-error.js';
import { encodeBase64url } from '../tokens/base64url.js';
import { secondsToMs } from '../tokens/time-units.js';
import { checkPushedParams, pushedRequestId, REQUEST_URI_PREFIX, type AuthorizeEndpointContext } from './authorize-endpoint.js';

/**
 * What the PAR endpoint needs: the authorization endpoint's context (the same checks) and the lifetime of a
 * `request_uri`.
 *
 * @example
 * ```ts
 * const ctx: PushedAuthorizationEndpointContext = { ...authorizeContext, requestUriTTL: 60 };
 * ```
 */
export interface PushedAuthorizationEndpointContext extends AuthorizeEndpointContext {
  /** Seconds a `request_uri` may wait before it is presented at the authorization endpoint. */
  readonly requestUriTTL: number;
  /**
   * RFC 9449 §10.1: checks the request's DPoP proof, if it has one, and returns its key's thumbprint (absent when
   * DPoP is off).
   */
  readonly checkDpopProof?: ((request: Request) => Promise<string | undefined>) | undefined;
}

/** Parameters that authenticate the client, never part of the stored authorization request. */
const CLIENT_AUTHENTICATION = new Set(['client_secret', 'client_assertion', 'client_assertion_type']);

/**
 * The pushed authorization request endpoint (RFC 9126 §2): the client authenticates as at the token endpoint,
 * posts the parameters of an authorization request, and gets a short-lived single-use `request_uri` to send the
 * user to the authorization endpoint with (only `client_id` and `request_uri` then travel through the browser).
 * Answers 201 `{ request_uri, expires_in }`; throws an `OAuthError` (JSON) on failure.
 *
 * @example
 * ```ts
 * const response = await respondToPushedAuthorizationRequest(request, { ...authorizeContext, requestUriTTL: 60 });
 * ```
 */
export async function respondToPushedAuthorizationRequest(request: Request, ctx: PushedAuthorizationEndpointContext): Promise<Response> {
  const { server } = ctx;
  if (!ctx.pushedRequests) throw new TypeError('grantry: pass the pushedAuthorizationRequests repository to serve PAR');
  // RFC 9126 §2.1: "The client sends the parameters ... using the POST method" (readForm: 405 otherwise).
  const params = await readForm(request, ctx.maxBodyBytes);
  // RFC 9126 §2: "the authorization server ... MUST authenticate the client" as at the token endpoint; a public
  // client identifies itself with client_id.
  const { client } = await authenticateClient(request, params, server);
  // RFC 9126 §2.1: "The request_uri authorization request parameter is one exception, and it MUST NOT be provided."
  if (params.has('request_uri')) throw OAuthError.invalidRequest('A pushed authorization request cannot carry request_uri.');
  // Request objects (RFC 9101, the `request` parameter) are not supported.
  if (params.has('request')) throw OAuthError.invalidRequest('Request objects (the request parameter) are not supported.');
  // Object.fromEntries defines own properties: a parameter named __proto__ is data, never a prototype.
  const stored: Record<string, string> = Object.fromEntries([...[...params].filter(([name]) => !CLIENT_AUTHENTICATION.has(name)), ['client_id', client.id]]);
  // RFC 9449 §10.1: a DPoP proof at the PAR endpoint binds the code to its key, as dpop_jkt does; "if both ... are
  // present, the authorization server MUST ensure that the two values match" (no other key may redeem the code).
  const jkt = ctx.checkDpopProof ? await ctx.checkDpopProof(request) : undefined;
  if (jkt !== undefined) {
    if (stored.dpop_jkt !== undefined && stored.dpop_jkt !== jkt) throw OAuthError.invalidDpopProof('The dpop_jkt parameter does not match the key of the DPoP proof.');
    stored.dpop_jkt = jkt;
  }
  const pushed = new Map(Object.entries(stored));
  await checkPushedParams(ctx, client, pushed);

  const random = encodeBase64url(server.crypto.randomBytes(32));
  await ctx.pushedRequests.save({
    id: await pushedRequestId(server, random),
    clientId: client.id,
    params: stored,
    expiresAt: server.clock.now() + secondsToMs(ctx.requestUriTTL),
  });
  // RFC 9126 §2.2: "201 Created" with request_uri and expires_in.
  const body = { request_uri: `${REQUEST_URI_PREFIX}${random}`, expires_in: ctx.requestUriTTL };
  return new Response(JSON.stringify(body), { status: 201, headers: NO_STORE_HEADERS });
}
