import { toSeconds, type Duration } from '../contracts/duration.js';
import { OAuthError } from '../contracts/oauth-error.js';
import type { ServerContext } from '../contracts/server-context.js';
import type { Client } from '../contracts/types.js';
import type { DeviceCodeRecord, DeviceCodeRepository, RefreshTokenRepository } from '../contracts/repositories.js';
import { encodeBase64url } from '../tokens/base64url.js';
import type { DeviceAuthorization, DeviceAuthorizationDecision, DeviceAuthorizationGrant, DeviceAuthorizationResponseBody } from '../contracts/capabilities.js';
import type { TokenRequest, TokenResponseBody } from '../contracts/grant.js';
import { DEFAULT_REFRESH_TOKEN_ABSOLUTE_TTL, issueTokens, refreshIssueFor } from './issue-tokens.js';
import { resolveScopes } from './resolve-scopes.js';
import { requestedResources, resolveResources } from './resolve-resources.js';
import { formatUserCode, generateUserCode, isWellFormedUserCode, normalizeUserCode } from './user-code.js';
import { secondsToMs } from '../tokens/time-units.js';
import { DEVICE_CODE_GRANT_TYPE } from '../contracts/types.js';

/**
 * Options of the {@link DeviceCodeGrant}.
 *
 * @example
 * ```ts
 * const options: DeviceCodeGrantOptions = {
 *   verificationUri: 'https://auth.example.com/device', deviceCodeTTL: 'PT15M', interval: 5,
 *   refreshTokens: storage.refreshTokens,
 * };
 * server.enableGrantType(new DeviceCodeGrant(storage.deviceCodes, options), 'PT1H');
 * ```
 */
export interface DeviceCodeGrantOptions {
  /** The page where users enter the user code (RFC 8628 §3.2 `verification_uri`); default `{issuer}/device`. */
  verificationUri?: string;
  /** Lifetime of device and user codes (default `'PT10M'`). */
  deviceCodeTTL?: Duration;
  /** Minimum seconds between polls (default 5, RFC 8628 §3.2). */
  interval?: number;
  /** Characters in a user code (default 8, at least 6; RFC 8628 §6.1 entropy). */
  userCodeLength?: number;
  /** Issue refresh tokens (to clients registered for `refresh_token`) into this repository. */
  refreshTokens?: RefreshTokenRepository;
  /** Lifetime of refresh tokens (default `'P1M'`). */
  refreshTokenTTL?: Duration;
  /** Absolute lifetime of the refresh-token family this grant starts, however often it is rotated (default `'P90D'`). */
  refreshTokenAbsoluteTTL?: Duration;
}

export type { DeviceAuthorization, DeviceAuthorizationResponseBody } from '../contracts/capabilities.js';

/**
 * The device authorization grant (RFC 8628): a device without a browser shows a user code, the user approves it on
 * another device, and the device polls the token endpoint. Device codes are stored only as their SHA-256.
 *
 * @example
 * ```ts
 * server.enableGrantType(new DeviceCodeGrant(storage.deviceCodes, { verificationUri: 'https://auth.example.com/device' }), 'PT1H');
 * // POST /device_authorization → server.handleDeviceAuthorizationRequest(request)
 * // the verification page → server.findDeviceAuthorization(code), server.completeDeviceAuthorization(code, { user, approved })
 * ```
 */
export class DeviceCodeGrant implements DeviceAuthorizationGrant {
  readonly grantType = DEVICE_CODE_GRANT_TYPE;
  /** RFC 8628 §3.1: devices are usually public clients; confidential ones authenticate as usual. */
  readonly allowsPublicClients = true;
  readonly deviceCodeTTL: number;
  readonly interval: number;
  readonly userCodeLength: number;
  readonly refreshTokenTTL: number;
  readonly refreshTokenAbsoluteTTL: number;
  readonly #verificationUri: string | undefined;
  readonly #refreshTokens: RefreshTokenRepository | undefined;

  constructor(
    private readonly deviceCodes: DeviceCodeRepository,
    options: DeviceCodeGrantOptions = {},
  ) {
    if (!deviceCodes) throw new TypeError('grantry: DeviceCodeGrant needs a device code repository');
    if (options.verificationUri !== undefined && !/^https?:\/\/[^#]+$/.test(options.verificationUri)) {
      throw new TypeError('grantry: verificationUri must be an absolute http(s) URL');
    }
    this.#verificationUri = options.verificationUri;
    this.deviceCodeTTL = toSeconds(options.deviceCodeTTL ?? 'PT10M');
    this.interval = options.interval ?? 5;
    this.userCodeLength = options.userCodeLength ?? 8;
    if (!Number.isInteger(this.interval) || this.interval < 1) throw new TypeError('grantry: interval must be a positive integer');
    if (!Number.isInteger(this.userCodeLength) || this.userCodeLength < 6) throw new TypeError('grantry: userCodeLength must be at least 6');
    this.refreshTokenTTL = toSeconds(options.refreshTokenTTL ?? 'P1M');
    this.refreshTokenAbsoluteTTL = toSeconds(options.refreshTokenAbsoluteTTL ?? DEFAULT_REFRESH_TOKEN_ABSOLUTE_TTL);
    this.#refreshTokens = options.refreshTokens;
  }

  /** Starts a device authorization for validated scopes (RFC 8628 §3.2). */
  async startDeviceAuthorization(
    server: ServerContext,
    client: Client,
    scopes: readonly string[],
    resources: readonly string[] = [],
  ): Promise<DeviceAuthorizationResponseBody> {
    const deviceCode = encodeBase64url(server.crypto.randomBytes(32));
    const now = server.clock.now();
    const userCode = await this.#newUserCode(server);
    await this.deviceCodes.save({
      id: await server.crypto.sha256(deviceCode),
      userCode,
      clientId: client.id,
      scopes,
      expiresAt: now + secondsToMs(this.deviceCodeTTL),
      interval: this.interval,
      lastPolledAt: undefined,
      status: 'pending',
      userId: undefined,
      ...(resources.length > 0 ? { resources: [...resources] } : {}),
    });
    const verificationUri = this.#verificationUri ?? `${server.issuer}/device`;
    const shown = formatUserCode(userCode);
    const separator = verificationUri.includes('?') ? '&' : '?';
    return {
      device_code: deviceCode,
      user_code: shown,
      verification_uri: verificationUri,
      verification_uri_complete: `${verificationUri}${separator}user_code=${encodeURIComponent(shown)}`,
      expires_in: this.deviceCodeTTL,
      interval: this.interval,
    };
  }

  /** The pending, unexpired authorization for a user code as typed (any case, dash optional), if any. */
  async findDeviceAuthorization(server: ServerContext, userCode: string): Promise<DeviceAuthorization | undefined> {
    const code = normalizeUserCode(userCode);
    if (!isWellFormedUserCode(code)) return undefined;
    const record = await this.deviceCodes.findByUserCode(code);
    if (!record || record.status !== 'pending' || record.expiresAt <= server.clock.now()) return undefined;
    const client = await server.clients.getClient(record.clientId);
    if (!client) return undefined;
    return {
      userCode: formatUserCode(record.userCode),
      clientId: client.id,
      clientName: client.name,
      scopes: record.scopes,
      ...(record.resources !== undefined && record.resources.length > 0 ? { resources: record.resources } : {}),
      expiresAt: record.expiresAt,
    };
  }

  /** Records the user's decision; `false` when the code is unknown, expired or already decided. */
  async completeDeviceAuthorization(
    server: ServerContext,
    userCode: string,
    decision: DeviceAuthorizationDecision,
  ): Promise<boolean> {
    if (decision.approved && !decision.user) throw new TypeError('grantry: an approved device authorization needs the user');
    const userId = decision.approved ? decision.user!.id : undefined;
    const code = normalizeUserCode(userCode);
    if (!isWellFormedUserCode(code)) return false;
    return this.deviceCodes.decide(code, { approved: decision.approved, userId }, server.clock.now());
  }

  /** The device access token request (RFC 8628 §3.4/§3.5). */
  async respondToAccessTokenRequest(req: TokenRequest): Promise<TokenResponseBody> {
    const { server, params } = req;
    const { client } = req.client;
    const deviceCode = params.get('device_code');
    if (deviceCode === undefined) throw OAuthError.invalidRequest('The device_code parameter is required.');
    // RFC 8628 §3.4 / RFC 6749 §5.2 invalid_grant: a code "issued to another client". The client id goes into the
    // atomic poll, so another client's poll neither consumes the code nor counts against the device's interval;
    // the check after it covers repositories that ignore the argument.
    const result = await this.deviceCodes.poll(await server.crypto.sha256(deviceCode), server.clock.now(), client.id);
    if (result.status === 'not_found' || result.record.clientId !== client.id) throw OAuthError.invalidGrant();
    switch (result.status) {
      // RFC 8628 §3.5: "authorization_pending: The authorization request is still pending as the end user hasn't
      // yet completed the user-interaction steps".
      case 'pending':
        throw OAuthError.authorizationPending();
      // RFC 8628 §3.5: slow_down — "the interval MUST be increased by 5 seconds for this and all subsequent requests".
      case 'slow_down':
        throw OAuthError.slowDown();
      case 'denied':
        throw OAuthError.accessDenied('The user denied the authorization request.');
      case 'expired':
        throw OAuthError.expiredToken();
      case 'consumed':
        // A device code yields tokens once.
        throw OAuthError.invalidGrant();
      case 'approved':
        return this.#issue(req, result.record);
    }
  }

  async #issue(req: TokenRequest, record: DeviceCodeRecord): Promise<TokenResponseBody> {
    const { server } = req;
    const { client } = req.client;
    const userId = record.userId;
    const resolved = await resolveScopes({ server, client, grantType: this.grantType, userId, requested: undefined, granted: record.scopes });
    // RFC 8707: the resources named at the device authorization endpoint; the token request may narrow them.
    const target = await resolveResources({
      server, client, requested: requestedResources(req.params), granted: record.resources ?? [], scopes: resolved,
      scopeRequested: false, accessTokenTTL: req.accessTokenTTL,
    });
    return issueTokens(
      { server, client, accessTokenTTL: target.accessTokenTTL, accessTokenFormat: target.accessTokenFormat, dpopJkt: req.dpop?.jkt },
      {
        userId,
        scopes: target.scopes,
        resources: target.resources,
        grantType: this.grantType,
        refresh: refreshIssueFor(client, this.#refreshTokens, {
          ttl: this.refreshTokenTTL, absoluteTTL: this.refreshTokenAbsoluteTTL, scopes: resolved, resources: record.resources,
        }),
      },
    );
  }

  async #newUserCode(server: ServerContext): Promise<string> {
    // A user code must point at one device (storage keeps it unique, expired rows included until swept): draw
    // again on the rare collision.
    for (let attempt = 0; attempt < 5; attempt++) {
      const code = generateUserCode((n) => server.crypto.randomBytes(n), this.userCodeLength);
      if (!(await this.deviceCodes.findByUserCode(code))) return code;
    }
    throw new Error('grantry: could not draw a free user code');
  }
}
