import { toSeconds, type Duration } from '../contracts/duration.js';
import { OAuthError } from '../contracts/oauth-error.js';
import type { RefreshTokenRepository, UserRepository } from '../contracts/repositories.js';
import type { Grant, TokenRequest, TokenResponseBody } from '../contracts/grant.js';
import { DEFAULT_REFRESH_TOKEN_ABSOLUTE_TTL, issueTokens, refreshIssueFor } from './issue-tokens.js';
import { resolveScopes } from './resolve-scopes.js';
import { requestedResources, resolveResources } from './resolve-resources.js';

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const NOT_UNICODECHARNOCRLF = /[\x00-\x08\x0A-\x1F\x7F]/;

/**
 * Options of the {@link PasswordGrant}.
 *
 * @example
 * ```ts
 * const options: PasswordGrantOptions = { refreshTokens: storage.refreshTokens, refreshTokenTTL: 'P7D' };
 * server.enableGrantType(new PasswordGrant(storage.users, options), 'PT1H');
 * ```
 */
export interface PasswordGrantOptions {
  /** Issue refresh tokens (to clients registered for `refresh_token`) into this repository. */
  refreshTokens?: RefreshTokenRepository;
  /** Lifetime of refresh tokens (default `'P1M'`). */
  refreshTokenTTL?: Duration;
  /** Absolute lifetime of the refresh-token family this grant starts, however often it is rotated (default `'P90D'`). */
  refreshTokenAbsoluteTTL?: Duration;
  /**
   * Let public clients use the grant (default `false`). RFC 6749 §4.3 allows it, but a public client cannot keep
   * anything secret and RFC 9700 §2.4 says the grant "MUST NOT be used" at all: keep it for confidential,
   * first-party legacy back ends.
   */
  allowPublicClients?: boolean;
}

/**
 * The resource owner password credentials grant (RFC 6749 §4.3), for legacy systems only. It is never enabled by
 * default: enable it explicitly. A wrong username or password answers `invalid_grant` and emits
 * `user.authentication_failed`.
 *
 * @example
 * ```ts
 * server.enableGrantType(new PasswordGrant(storage.users, { refreshTokens: storage.refreshTokens }), 'PT1H');
 * ```
 */
export class PasswordGrant implements Grant {
  readonly grantType = 'password';
  readonly allowsPublicClients: boolean;
  readonly refreshTokenTTL: number;
  readonly refreshTokenAbsoluteTTL: number;
  readonly #refreshTokens: RefreshTokenRepository | undefined;

  constructor(
    private readonly users: UserRepository,
    options: PasswordGrantOptions = {},
  ) {
    if (!users) throw new TypeError('grantry: PasswordGrant needs a user repository');
    this.allowsPublicClients = options.allowPublicClients ?? false;
    this.#refreshTokens = options.refreshTokens;
    this.refreshTokenTTL = toSeconds(options.refreshTokenTTL ?? 'P1M');
    this.refreshTokenAbsoluteTTL = toSeconds(options.refreshTokenAbsoluteTTL ?? DEFAULT_REFRESH_TOKEN_ABSOLUTE_TTL);
  }

  async respondToAccessTokenRequest(req: TokenRequest): Promise<TokenResponseBody> {
    const { server, params } = req;
    const { client } = req.client;
    // RFC 6749 §4.3.2: username and password are REQUIRED.
    const username = params.get('username');
    const password = params.get('password');
    if (username === undefined) throw OAuthError.invalidRequest('The username parameter is required.');
    if (password === undefined) throw OAuthError.invalidRequest('The password parameter is required.');
    // RFC 6749 Appendix A.3/A.4: username and password are *UNICODECHARNOCRLF (no control character but tab).
    if (NOT_UNICODECHARNOCRLF.test(username) || NOT_UNICODECHARNOCRLF.test(password)) {
      throw OAuthError.invalidRequest('The username or password is malformed.');
    }
    // Scope first: a malformed or unknown scope is answered without spending a credential check.
    const requested = params.get('scope');
    const asked = await resolveScopes({ server, client, grantType: this.grantType, userId: undefined, requested, finalize: false });
    // And the resources (RFC 8707): a bad one is invalid_target before the password is checked.
    const resources = requestedResources(params);
    const targetOf = (scopes: readonly string[]) =>
      resolveResources({ server, client, requested: resources, scopes, scopeRequested: requested !== undefined, accessTokenTTL: req.accessTokenTTL });
    await targetOf(asked);

    const user = await this.users.getUserByCredentials(username, password, this.grantType, client);
    if (!user) {
      server.events.emit('user.authentication_failed', { username, client });
      // RFC 6749 §5.2: invalid_grant covers "resource owner credentials" that are invalid; §10.10: a guess for the
      // limiter, counted against the username whether or not it exists.
      throw OAuthError.invalidGrant('The username or password is incorrect.', { kind: 'password', subject: username });
    }
    const target = await targetOf(await resolveScopes({ server, client, grantType: this.grantType, userId: user.id, requested }));
    const { scopes, resources: granted } = target;
    return issueTokens(
      { server, client, accessTokenTTL: target.accessTokenTTL, accessTokenFormat: target.accessTokenFormat, dpopJkt: req.dpop?.jkt },
      {
        userId: user.id,
        scopes,
        resources: granted,
        grantType: this.grantType,
        refresh: refreshIssueFor(client, this.#refreshTokens, { ttl: this.refreshTokenTTL, absoluteTTL: this.refreshTokenAbsoluteTTL, scopes, resources: granted }),
      },
    );
  }
}
