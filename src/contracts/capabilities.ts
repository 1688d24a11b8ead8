import type { ServerContext } from './server-context.js';
import type { Client, User } from './types.js';
import type { RefreshTokenRepository } from './repositories.js';
import type { Grant } from './grant.js';

// Capabilities: what the engine asks of a grant beyond the three members of `Grant`. The engine checks for these
// small interfaces (fosite's style) instead of asking for a concrete class, so a grant written outside grantry can
// provide them.

/**
 * RFC 8628 §3.2: the device authorization response.
 *
 * @example
 * ```ts
 * const response = await server.handleDeviceAuthorizationRequest(request);
 * const body = (await response.json()) as DeviceAuthorizationResponseBody;
 * console.log(`Visit ${body.verification_uri} and enter ${body.user_code}`);
 * ```
 */
export interface DeviceAuthorizationResponseBody {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete: string;
  expires_in: number;
  interval: number;
}

/**
 * A pending device authorization, as the verification page shows it for consent.
 *
 * @example
 * ```ts
 * const pending: DeviceAuthorization | undefined = await server.findDeviceAuthorization(typedCode);
 * if (pending) renderConsent(`${pending.clientName} asks for ${pending.scopes.join(', ')}`, pending.userCode);
 * ```
 */
export interface DeviceAuthorization {
  /** The user code as displayed, e.g. `WDJB-MJHT`. */
  readonly userCode: string;
  readonly clientId: string;
  readonly clientName: string;
  readonly scopes: readonly string[];
  /** The resources (RFC 8707) asked for, for the verification page; absent when none. */
  readonly resources?: readonly string[];
  /** Milliseconds since the epoch. */
  readonly expiresAt: number;
}

/**
 * The user's decision on a device authorization, from the verification page (RFC 8628 §3.3).
 *
 * @example
 * ```ts
 * const decision: DeviceAuthorizationDecision = { user, approved: true };
 * await server.completeDeviceAuthorization('WDJB-MJHT', decision);
 * ```
 */
export interface DeviceAuthorizationDecision {
  /** The signed-in user; required when `approved`. */
  readonly user: User | undefined;
  readonly approved: boolean;
}

/**
 * A grant that serves the device authorization flow (RFC 8628): the server's device authorization endpoint and its
 * `findDeviceAuthorization` / `completeDeviceAuthorization` call these on the grant enabled for
 * `urn:ietf:params:oauth:grant-type:device_code`. `DeviceCodeGrant` is one; a grant of your own can be another.
 *
 * @example
 * ```ts
 * class AuditedDeviceGrant implements DeviceAuthorizationGrant {
 *   readonly grantType = 'urn:ietf:params:oauth:grant-type:device_code';
 *   readonly allowsPublicClients = true;
 *   constructor(private readonly inner: DeviceCodeGrant) {}
 *   respondToAccessTokenRequest(req: TokenRequest) { return this.inner.respondToAccessTokenRequest(req); }
 *   startDeviceAuthorization(server: ServerContext, client: Client, scopes: readonly string[]) {
 *     audit('device authorization started', client.id);
 *     return this.inner.startDeviceAuthorization(server, client, scopes);
 *   }
 *   findDeviceAuthorization(server: ServerContext, userCode: string) { return this.inner.findDeviceAuthorization(server, userCode); }
 *   completeDeviceAuthorization(server: ServerContext, userCode: string, decision: DeviceAuthorizationDecision) {
 *     return this.inner.completeDeviceAuthorization(server, userCode, decision);
 *   }
 * }
 * server.enableGrantType(new AuditedDeviceGrant(new DeviceCodeGrant(storage.deviceCodes)), 'PT1H');
 * ```
 */
export interface DeviceAuthorizationGrant extends Grant {
  /**
   * Starts a device authorization for a client and scopes the endpoint already validated (RFC 8628 §3.2), and the
   * resources (RFC 8707) it asked for, also validated: the device code keeps them.
   */
  startDeviceAuthorization(
    server: ServerContext,
    client: Client,
    scopes: readonly string[],
    resources?: readonly string[],
  ): Promise<DeviceAuthorizationResponseBody>;
  /** The pending, unexpired authorization for a user code as the user typed it, if any. */
  findDeviceAuthorization(server: ServerContext, userCode: string): Promise<DeviceAuthorization | undefined>;
  /** Records the user's decision; `false` when the code is unknown, expired or already decided. */
  completeDeviceAuthorization(server: ServerContext, userCode: string, decision: DeviceAuthorizationDecision): Promise<boolean>;
}

/**
 * Whether a grant serves the device authorization flow ({@link DeviceAuthorizationGrant}).
 *
 * @example
 * ```ts
 * const grant = server.getGrant('urn:ietf:params:oauth:grant-type:device_code');
 * if (grant && isDeviceAuthorizationGrant(grant)) await grant.findDeviceAuthorization(await server.context(), 'WDJB-MJHT');
 * ```
 */
export function isDeviceAuthorizationGrant(grant: Grant): grant is DeviceAuthorizationGrant {
  const candidate = grant as Partial<DeviceAuthorizationGrant>;
  return (
    typeof candidate.startDeviceAuthorization === 'function' &&
    typeof candidate.findDeviceAuthorization === 'function' &&
    typeof candidate.completeDeviceAuthorization === 'function'
  );
}

/**
 * A grant that keeps refresh tokens in a repository the server may search: revocation (RFC 7009) and introspection
 * (RFC 7662) find refresh tokens there when the server has no `refreshTokens` option of its own.
 * `RefreshTokenGrant` is one; a grant of your own that issues refresh tokens can be another.
 *
 * @example
 * ```ts
 * class LicenceGrant implements Grant, RefreshTokenHolder {
 *   readonly grantType = 'urn:example:licence';
 *   readonly allowsPublicClients = false;
 *   constructor(readonly refreshTokens: RefreshTokenRepository) {}
 *   async respondToAccessTokenRequest(req: TokenRequest) {
 *     const refresh = { repository: this.refreshTokens, ttl: 86400, scopes: ['read'] };
 *     return issueTokens({ server: req.server, client: req.client.client, accessTokenTTL: req.accessTokenTTL },
 *       { userId: undefined, scopes: ['read'], grantType: this.grantType, refresh });
 *   }
 * }
 * ```
 */
export interface RefreshTokenHolder {
  readonly refreshTokens: RefreshTokenRepository;
}

/**
 * Whether a grant holds a refresh token repository ({@link RefreshTokenHolder}).
 *
 * @example
 * ```ts
 * const grant = server.getGrant('refresh_token');
 * if (grant && holdsRefreshTokens(grant)) await grant.refreshTokens.revokeFamily(familyId);
 * ```
 */
export function holdsRefreshTokens(grant: Grant): grant is Grant & RefreshTokenHolder {
  const repository = (grant as Partial<RefreshTokenHolder>).refreshTokens;
  return (
    typeof repository === 'object' &&
    repository !== null &&
    typeof repository.find === 'function' &&
    typeof repository.revoke === 'function' &&
    typeof repository.revokeFamily === 'function'
  );
}
