import { epochSeconds } from '../contracts/clock.js';
import { toSeconds, type Duration } from '../contracts/duration.js';
import type { Params } from '../contracts/form.js';
import { OAuthError } from '../contracts/oauth-error.js';
import type { ServerContext } from '../contracts/server-context.js';
import { isConfidential, type Client } from '../contracts/types.js';
import type { AuthCodeRecord, AuthCodeRepository, RefreshTokenRepository } from '../contracts/repositories.js';
import { encodeBase64url } from '../tokens/base64url.js';
import type { ApprovedAuthorization, AuthorizationRequest, AuthorizationResponder } from '../contracts/authorization-request.js';
import type { TokenRequest, TokenResponseBody } from '../contracts/grant.js';
import { announceTokens, DEFAULT_REFRESH_TOKEN_ABSOLUTE_TTL, issueTokens, mintTokens, refreshIssueFor, type IssueOptions } from './issue-tokens.js';
import { isValidCodeChallenge, isValidCodeVerifier, verifyCodeVerifier } from './pkce.js';
import { secondsToMs } from '../tokens/time-units.js';
import { requestedResources, resolveResources, type ResourceTarget } from './resolve-resources.js';

/**
 * Options of the {@link AuthorizationCodeGrant}.
 *
 * @example
 * ```ts
 * const options: AuthorizationCodeGrantOptions = {
 *   refreshTokens: storage.refreshTokens, refreshTokenTTL: 'P1M', authCodeTTL: 'PT5M', requirePkce: 'all',
 * };
 * server.enableGrantType(new AuthorizationCodeGrant(storage.authCodes, options), 'PT1H');
 * ```
 */
export interface AuthorizationCodeGrantOptions {
  /** Issue refresh tokens (to clients registered for `refresh_token`) into this repository. */
  refreshTokens?: RefreshTokenRepository;
  /** Lifetime of refresh tokens (default `'P1M'`). */
  refreshTokenTTL?: Duration;
  /** Absolute lifetime of the refresh-token family this grant starts, however often it is rotated (default `'P90D'`). */
  refreshTokenAbsoluteTTL?: Duration;
  /** Lifetime of codes: default and maximum `'PT10M'` (RFC 6749 §4.1.2: "maximum … of 10 minutes"). */
  authCodeTTL?: Duration;
  /**
   * Who must use PKCE: `'all'` clients (default, RFC 9700 §2.1.1) or only `'public'` ones, which relaxes it for
   * confidential clients. Public clients always must (RFC 9700 §2.1.1: "MUST use PKCE").
   */
  requirePkce?: 'all' | 'public';
  /** Accept `code_challenge_method=plain` (default `false`: RFC 9700 §2.1.1 recommends S256 only). */
  allowPlainPkce?: boolean;
}

const MAX_CODE_TTL = 600;

/**
 * The authorization code grant with PKCE (RFC 6749 §4.1, RFC 7636, RFC 9700 §2.1), the seed's `AuthCodeGrant`.
 * Codes are sealed or opaque (the server's `tokenFormat`), stored by id, single use by an atomic `consume` that
 * only a request passing client authentication, `redirect_uri` and PKCE reaches; such a second redemption revokes
 * every token issued from the code.
 *
 * @example
 * ```ts
 * server.enableGrantType(new AuthorizationCodeGrant(storage.authCodes, { refreshTokens: storage.refreshTokens }), 'PT1H');
 * ```
 */
export class AuthorizationCodeGrant implements AuthorizationResponder {
  readonly grantType = 'authorization_code';
  readonly responseType = 'code';
  readonly responseMode = 'query';
  /** RFC 6749 §4.1.3: a public client redeems its code with `client_id` (and, here, PKCE). */
  readonly allowsPublicClients = true;
  readonly authCodeTTL: number;
  readonly refreshTokenTTL: number;
  readonly refreshTokenAbsoluteTTL: number;
  readonly requirePkce: 'all' | 'public';
  readonly allowPlainPkce: boolean;
  readonly #refreshTokens: RefreshTokenRepository | undefined;

  constructor(
    private readonly authCodes: AuthCodeRepository,
    options: AuthorizationCodeGrantOptions = {},
  ) {
    if (!authCodes) throw new TypeError('grantry: AuthorizationCodeGrant needs an authorization code repository');
    this.authCodeTTL = toSeconds(options.authCodeTTL ?? 'PT10M');
    if (this.authCodeTTL > MAX_CODE_TTL) throw new TypeError('grantry: authCodeTTL must be at most 10 minutes (RFC 6749 §4.1.2)');
    this.refreshTokenTTL = toSeconds(options.refreshTokenTTL ?? 'P1M');
    this.refreshTokenAbsoluteTTL = toSeconds(options.refreshTokenAbsoluteTTL ?? DEFAULT_REFRESH_TOKEN_ABSOLUTE_TTL);
    this.requirePkce = options.requirePkce ?? 'all';
    if (this.requirePkce !== 'all' && this.requirePkce !== 'public') throw new TypeError("grantry: requirePkce is 'all' or 'public'");
    this.allowPlainPkce = options.allowPlainPkce ?? false;
    this.#refreshTokens = options.refreshTokens;
  }

  /** RFC 7636 §4.3/§4.4: the challenge and its method, checked at the authorization endpoint. */
  checkAuthorizationParams(params: Params, client: Client): Pick<AuthorizationRequest, 'codeChallenge' | 'codeChallengeMethod'> {
    const challenge = params.get('code_challenge');
    const methodParam = params.get('code_challenge_method');
    if (challenge === undefined) {
      // RFC 9700 §2.1.1: public clients MUST use PKCE; grantry requires it of all clients unless relaxed.
      if (this.requirePkce === 'all' || !isConfidential(client)) {
        throw OAuthError.invalidRequest('A code_challenge is required (PKCE, RFC 7636 section 4.4.1).');
      }
      if (methodParam !== undefined) throw OAuthError.invalidRequest('code_challenge_method without code_challenge.');
      return {};
    }
    // RFC 7636 §4.3: "Defaults to 'plain' if not present in the request."
    const method = methodParam ?? 'plain';
    if (method !== 'S256' && !(method === 'plain' && this.allowPlainPkce)) {
      throw OAuthError.invalidRequest('The code_challenge_method is not supported (RFC 7636 section 4.4.1): use S256.');
    }
    if (!isValidCodeChallenge(challenge, method)) throw OAuthError.invalidRequest('The code_challenge is malformed.');
    return { codeChallenge: challenge, codeChallengeMethod: method };
  }

  /** Issues a code for an approved request (RFC 6749 §4.1.2). */
  async approve({ server, client, user, authRequest, scopes, resources }: ApprovedAuthorization): Promise<Record<string, string>> {
    const exp = epochSeconds(server.clock) + this.authCodeTTL;
    // Bound to the client: an opaque code presented by another client matches no record (RFC 6749 §4.1.3).
    const { token, id } = await server.authCodeCodec.issue(client.id, exp, true);
    await this.authCodes.save({
      id,
      familyId: encodeBase64url(server.crypto.randomBytes(16)),
      clientId: client.id,
      userId: user.id,
      scopes,
      redirectUri: authRequest.redirectUriSent ? authRequest.redirectUri : undefined,
      codeChallenge: authRequest.codeChallenge,
      codeChallengeMethod: authRequest.codeChallengeMethod,
      expiresAt: secondsToMs(exp),
      ...(authRequest.dpopJkt === undefined ? {} : { dpopJkt: authRequest.dpopJkt }),
      // RFC 8707 §2.1: the code remembers the resources it was asked for; the token request may narrow them.
      ...(resources !== undefined && resources.length > 0 ? { resources: [...resources] } : {}),
    });
    return { code: token };
  }

  /** The token request (RFC 6749 §4.1.3). */
  async respondToAccessTokenRequest(req: TokenRequest): Promise<TokenResponseBody> {
    const { server, params } = req;
    const { client } = req.client;
    const code = params.get('code');
    if (code === undefined) throw OAuthError.invalidRequest('The code parameter is required.');
    const verifier = params.get('code_verifier');
    if (verifier !== undefined && !isValidCodeVerifier(verifier)) {
      throw OAuthError.invalidRequest('The code_verifier is malformed (RFC 7636 section 4.1: 43 to 128 unreserved characters).');
    }

    const opened = await server.authCodeCodec.open(code, client.id);
    if (!opened) throw OAuthError.invalidGrant();
    // RFC 6749 §4.1.3: "ensure that the authorization code was issued to the authenticated confidential client".
    // A sealed code names its client, and an opaque one leads to its record only with its own client's id: another
    // client's code is refused before it is spent.
    if (opened.clientId !== undefined && opened.clientId !== client.id) throw OAuthError.invalidGrant();
    if (this.#atomic(server)) return this.#redeemAtomically(req, opened.id, verifier);

    // Without redeem() (a repository that does not store into the server's access tokens and the grant's refresh
    // tokens): the request proves it may redeem the code before the code is spent (client, redirect_uri and PKCE
    // against the record read without consuming it, as fosite checks PKCE before it invalidates a code), then the
    // code is spent and the tokens saved in two steps. A request that fails the checks revokes nothing.
    const found = await this.authCodes.find(opened.id);
    if (!found) throw OAuthError.invalidGrant();
    await this.#checkProof(req, found, verifier);
    // A `resource` outside the code's is refused before the code is spent (the record is immutable).
    const target = await this.#target(req, found);
    const record = await this.#consume(server, opened.id);
    this.#checkLive(req, record);
    const body = await issueTokens({ server, client, accessTokenTTL: target.accessTokenTTL, accessTokenFormat: target.accessTokenFormat, dpopJkt: req.dpop?.jkt }, this.#issueOptions(client, record, target));
    // A replay that raced this redemption may have run its family revocation before our tokens were saved; the
    // code's revoked mark tells us so, and we revoke them ourselves (see the replay branch in #consume).
    if (this.authCodes.isRevoked && (await this.authCodes.isRevoked(record.id))) await this.#revokeFamily(server, record);
    return body;
  }

  /**
   * Redemption in one atomic step: the code is read and the request's proof checked, the tokens signed and sealed;
   * then `redeem` spends the code and stores the tokens together, so a failure leaves the code redeemable.
   */
  async #redeemAtomically(req: TokenRequest, id: string, verifier: string | undefined): Promise<TokenResponseBody> {
    const { server } = req;
    const { client } = req.client;
    const found = await this.authCodes.find(id);
    if (!found) throw OAuthError.invalidGrant();
    // Only a request that proves it may redeem the code reaches the replay check: a replay by whoever merely saw
    // the code (wrong verifier, redirect_uri or client) neither spends it nor revokes the first redemption's tokens.
    await this.#checkProof(req, found, verifier);
    // A code spent (or revoked) before: consume() reports it as such, and a replay revokes the code's tokens.
    if (found.consumed || found.revoked) {
      await this.#consume(server, id);
      throw OAuthError.invalidGrant();
    }
    this.#checkLive(req, found);
    const target = await this.#target(req, found);
    const ctx = { server, client, accessTokenTTL: target.accessTokenTTL, accessTokenFormat: target.accessTokenFormat, dpopJkt: req.dpop?.jkt };
    const options = this.#issueOptions(client, found, target);
    const minted = await mintTokens(ctx, options);
    const result = await this.authCodes.redeem!(id, { accessToken: minted.accessToken, refreshToken: minted.refreshToken });
    if (result.status === 'reused') return this.#replayed(server, id, result.record);
    if (result.status !== 'consumed') throw OAuthError.invalidGrant();
    announceTokens(ctx, options, minted);
    return minted.body;
  }

  #atomic(server: ServerContext): boolean {
    const into = this.authCodes.issuedInto;
    return (
      this.authCodes.redeem !== undefined &&
      into?.accessTokens === server.accessTokens &&
      (this.#refreshTokens === undefined || into.refreshTokens === this.#refreshTokens)
    );
  }

  /** The proof that this request may redeem the code: its client, its redirect_uri and its PKCE verifier. */
  async #checkProof(req: TokenRequest, record: AuthCodeRecord, verifier: string | undefined): Promise<void> {
    const { server, params } = req;
    const { client } = req.client;
    if (record.clientId !== client.id) throw OAuthError.invalidGrant();
    // RFC 6749 §4.1.3: redirect_uri is required "if the redirect_uri parameter was included in the authorization
    // request", and "their values MUST be identical".
    if (record.redirectUri !== undefined && params.get('redirect_uri') !== record.redirectUri) {
      throw OAuthError.invalidGrant('The redirect_uri does not match the authorization request.');
    }
    await this.#checkVerifier(server, record, verifier);
    // RFC 9449 §10: "the authorization server MUST ensure that the public key ... in the DPoP proof [at the token
    // endpoint] matches the dpop_jkt" of the authorization request.
    if (record.dpopJkt !== undefined) {
      if (req.dpop === undefined) throw OAuthError.invalidDpopProof('The code is bound to a DPoP key (dpop_jkt): send a DPoP proof made with it.');
      if (req.dpop.jkt !== record.dpopJkt) throw OAuthError.invalidGrant('The DPoP proof key does not match the dpop_jkt of the authorization request.');
    }
  }

  /** RFC 6749 §4.1.2: a code is short-lived; an expired one is refused (after a replay had its chance to revoke). */
  #checkLive(req: TokenRequest, record: AuthCodeRecord): void {
    if (record.expiresAt <= req.server.clock.now()) throw OAuthError.invalidGrant();
  }

  /** RFC 8707 §2.2: the token request's `resource` narrows the code's resources (naming none: all of them). */
  #target(req: TokenRequest, record: AuthCodeRecord): Promise<ResourceTarget> {
    return resolveResources({
      server: req.server,
      client: req.client.client,
      requested: requestedResources(req.params),
      granted: record.resources ?? [],
      scopes: record.scopes,
      scopeRequested: false,
      accessTokenTTL: req.accessTokenTTL,
    });
  }

  #issueOptions(client: Client, record: AuthCodeRecord, target: ResourceTarget): IssueOptions {
    return {
      userId: record.userId,
      scopes: target.scopes,
      resources: target.resources,
      grantType: this.grantType,
      // Tokens join the code's family, so a replayed code can revoke them (RFC 6749 §4.1.2).
      familyId: record.familyId,
      // The refresh token keeps the whole grant: the code's scopes and resources, not the narrowed ones.
      refresh: refreshIssueFor(client, this.#refreshTokens, {
        ttl: this.refreshTokenTTL, absoluteTTL: this.refreshTokenAbsoluteTTL, scopes: record.scopes, resources: record.resources,
      }),
    };
  }

  async #consume(server: ServerContext, id: string): Promise<AuthCodeRecord> {
    const result = await this.authCodes.consume(id);
    switch (result.status) {
      case 'consumed':
        return result.record;
      case 'reused':
        return this.#replayed(server, id, result.record);
      case 'revoked':
      case 'not_found':
        throw OAuthError.invalidGrant();
    }
  }

  async #replayed(server: ServerContext, id: string, record: AuthCodeRecord): Promise<never> {
    // RFC 6749 §4.1.2: "If an authorization code is used more than once, the authorization server MUST deny the
    // request and SHOULD revoke (when possible) all tokens previously issued based on that authorization code."
    // The code is marked revoked first, so a redemption still saving its tokens sees it and revokes them.
    await this.authCodes.revoke(id);
    await this.#revokeFamily(server, record);
    server.events.emit('authorization_code.reuse_detected', { id, familyId: record.familyId, clientId: record.clientId });
    throw OAuthError.invalidGrant();
  }

  async #checkVerifier(server: ServerContext, record: AuthCodeRecord, verifier: string | undefined): Promise<void> {
    if (record.codeChallenge === undefined || record.codeChallengeMethod === undefined) {
      // RFC 9700 §4.8.2: "if there was no code_challenge in the authorization request, a request to the token
      // endpoint containing a code_verifier is rejected" (a PKCE downgrade).
      if (verifier !== undefined) throw OAuthError.invalidGrant('A code_verifier was sent but no code_challenge was.');
      return;
    }
    // RFC 7636 §4.6: "If the values are not equal, an error response indicating invalid_grant … MUST be returned."
    if (verifier === undefined) throw OAuthError.invalidGrant('The code_verifier is required (PKCE).');
    if (!(await verifyCodeVerifier(server.crypto, verifier, record.codeChallenge, record.codeChallengeMethod))) {
      throw OAuthError.invalidGrant('The code_verifier does not match the code_challenge.');
    }
  }

  async #revokeFamily(server: ServerContext, record: AuthCodeRecord): Promise<void> {
    await Promise.all([
      this.#refreshTokens?.revokeFamily(record.familyId),
      server.accessTokens.revokeFamily(record.familyId),
    ]);
  }
}
