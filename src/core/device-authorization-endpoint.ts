import { isDeviceAuthorizationGrant, type DeviceAuthorizationResponseBody } from '../contracts/capabilities.js';
import type { Grant } from '../contracts/grant.js';
import { resolveScopes } from '../grants/resolve-scopes.js';
import { requestedResources, resolveResources } from '../grants/resolve-resources.js';
import { authenticateClient } from '../contracts/client-authentication.js';
import { readForm } from '../contracts/form.js';
import { NO_STORE_HEADERS, OAuthError } from '../contracts/oauth-error.js';
import type { ServerContext } from '../contracts/server-context.js';
import type { AnyRequest } from '../contracts/plain-request.js';

/** What the device authorization endpoint needs from the server. */
export interface DeviceAuthorizationEndpointContext {
  readonly server: ServerContext;
  /** The grant enabled for the device code grant type, if any; it must be a `DeviceAuthorizationGrant`. */
  readonly grant: Grant | undefined;
  readonly maxBodyBytes: number;
}

/**
 * The device authorization endpoint (RFC 8628 §3.1/§3.2): authenticates the client (or identifies a public one),
 * checks it may use the device grant and the scope, and answers `device_code`, `user_code`, `verification_uri`,
 * `verification_uri_complete`, `expires_in` and `interval`. Throws an `OAuthError` on failure.
 *
 * @example
 * ```ts
 * const response = await respondToDeviceAuthorizationRequest(request, { server: ctx, grant, maxBodyBytes: 16384 });
 * ```
 */
export async function respondToDeviceAuthorizationRequest(request: Request, ctx: DeviceAuthorizationEndpointContext): Promise<Response> {
  return new Response(JSON.stringify(await deviceAuthorizationBody(request, ctx)), { status: 200, headers: NO_STORE_HEADERS });
}

/**
 * The body of {@link respondToDeviceAuthorizationRequest}'s answer, for a `Request` or a `PlainRequest` (the Node
 * adapters' path); throws the same `OAuthError`s.
 *
 * @example
 * ```ts
 * const body = await deviceAuthorizationBody(plainRequest, ctx); // { device_code, user_code, ... }
 * ```
 */
export async function deviceAuthorizationBody(request: AnyRequest, ctx: DeviceAuthorizationEndpointContext): Promise<DeviceAuthorizationResponseBody> {
  const { server, grant } = ctx;
  if (!grant || !isDeviceAuthorizationGrant(grant)) {
    throw OAuthError.unsupportedGrantType('The device authorization grant is not enabled on this server.');
  }
  const params = await readForm(request, ctx.maxBodyBytes);
  // RFC 8628 §3.1: client authentication as at the token endpoint; a public client sends its client_id.
  const { client } = await authenticateClient(request, params, server);
  // RFC 8628 §3.2 errors include those of RFC 6749 §5.2, such as unauthorized_client.
  if (!client.grantTypes.includes(grant.grantType)) throw OAuthError.unauthorizedClient();
  // Validation only: the finalize hook sees the user at the token request.
  const scopes = await resolveScopes({
    server,
    client,
    grantType: grant.grantType,
    userId: undefined,
    requested: params.get('scope'),
    finalize: false,
  });
  // RFC 8707 §2: the resources the device asks for, checked now and kept with the device code.
  const target = await resolveResources({
    server, client, requested: requestedResources(params), scopes, scopeRequested: params.get('scope') !== undefined, accessTokenTTL: 0,
  });
  return grant.startDeviceAuthorization(server, client, target.scopes, target.resources);
}
