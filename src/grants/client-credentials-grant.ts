import { toSeconds, type Duration } from '../contracts/duration.js';
import type { Client } from '../contracts/types.js';
import type { RefreshTokenRepository } from '../contracts/repositories.js';
import type { Grant, TokenRequest, TokenResponseBody } from '../contracts/grant.js';
import { issueTokens, refreshIssueFor } from './issue-tokens.js';
import { resolveScopes } from './resolve-scopes.js';
import { requestedResources, resolveResources } from './resolve-resources.js';

/**
 * Options of the {@link ClientCredentialsGrant}.
 *
 * @example
 * ```ts
 * const options: ClientCredentialsGrantOptions = { subject: (client) => `service:${client.id}` };
 * server.enableGrantType(new ClientCredentialsGrant(options), 'PT1H');
 * ```
 */
export interface ClientCredentialsGrantOptions {
  /**
   * The `sub` of the tokens. Default: `client:` followed by the client id, so that a client never shares a subject
   * with a user (RFC 9068 §5) as long as user ids do not start with `client:`.
   */
  subject?: (client: Client) => string;
  /**
   * Issue refresh tokens (to clients registered for `refresh_token`) into this repository. Off by default: RFC 6749 §4.4.3 "A refresh token SHOULD NOT be
   * included", as the client can always ask again with its credentials.
   */
  refreshTokens?: RefreshTokenRepository;
  /** Lifetime of refresh tokens when they are issued (default `'P1M'`). */
  refreshTokenTTL?: Duration;
}

/**
 * The client credentials grant (RFC 6749 §4.4): a confidential client gets a token for itself.
 *
 * @example
 * ```ts
 * server.enableGrantType(new ClientCredentialsGrant(), 'PT1H');
 * // POST /token  grant_type=client_credentials&scope=read  (HTTP Basic client authentication)
 * ```
 */
export class ClientCredentialsGrant implements Grant {
  readonly grantType = 'client_credentials';
  /** RFC 6749 §4.4: "The client credentials grant type MUST only be used by confidential clients." */
  readonly allowsPublicClients = false;
  readonly refreshTokenTTL: number;
  readonly #subject: (client: Client) => string;
  readonly #refreshTokens: RefreshTokenRepository | undefined;

  constructor(options: ClientCredentialsGrantOptions = {}) {
    this.#subject = options.subject ?? ((client) => `client:${client.id}`);
    this.#refreshTokens = options.refreshTokens;
    this.refreshTokenTTL = toSeconds(options.refreshTokenTTL ?? 'P1M');
  }

  async respondToAccessTokenRequest(req: TokenRequest): Promise<TokenResponseBody> {
    const { server, params } = req;
    const { client } = req.client;
    const requested = params.get('scope');
    const resolved = await resolveScopes({ server, client, grantType: this.grantType, userId: undefined, requested });
    // RFC 8707 §2: the resources the client names are the token's audience.
    const { scopes, resources, accessTokenTTL, accessTokenFormat } = await resolveResources({
      server, client, requested: requestedResources(params), scopes: resolved, scopeRequested: requested !== undefined, accessTokenTTL: req.accessTokenTTL,
    });
    return issueTokens(
      { server, client, accessTokenTTL, accessTokenFormat, dpopJkt: req.dpop?.jkt },
      {
        userId: undefined,
        subject: this.#subject(client),
        scopes,
        resources,
        grantType: this.grantType,
        // Opt-in only (see `refreshTokens`), and then by the same rule as every grant.
        refresh: refreshIssueFor(client, this.#refreshTokens, { ttl: this.refreshTokenTTL, scopes, resources }),
      },
    );
  }
}
