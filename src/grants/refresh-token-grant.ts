import { OAuthError } from '../contracts/oauth-error.js';
import { toSeconds, type Duration } from '../contracts/duration.js';
import type { RefreshRejectReason } from '../contracts/events.js';
import type { Client, User } from '../contracts/types.js';
import type { RefreshTokenRecord, RefreshTokenRepository, UserRepository } from '../contracts/repositories.js';
import type { RefreshTokenHolder } from '../contracts/capabilities.js';
import type { Grant, TokenRequest, TokenResponseBody } from '../contracts/grant.js';
import { announceTokens, DEFAULT_REFRESH_TOKEN_ABSOLUTE_TTL, issueTokens, mintTokens, type IssueOptions } from './issue-tokens.js';
import { resolveScopes } from './resolve-scopes.js';
import { secondsToMs } from '../tokens/time-units.js';
import { requestedResources, resolveResources, type ResourceTarget } from './resolve-resources.js';

/**
 * Options of the {@link RefreshTokenGrant}.
 *
 * @example
 * ```ts
 * const options: RefreshTokenGrantOptions = { refreshTokenTTL: 'P14D', refreshTokenAbsoluteTTL: 'P90D', rotate: true, reuseGraceSeconds: 10,
 *   users: storage.users, isUserActive: (user) => !directory.isDisabled(user.id) };
 * server.enableGrantType(new RefreshTokenGrant(storage.refreshTokens, options), 'PT15M');
 * ```
 */
export interface RefreshTokenGrantOptions {
  /** The idle limit: lifetime of each new refresh token (default `'P1M'`, as league). */
  refreshTokenTTL?: Duration;
  /**
   * The absolute limit: a family ends this long after the original authorization, however often it is rotated
   * (default `'P90D'`). A rotated token expires at the earlier of now + `refreshTokenTTL` and the family's end.
   */
  refreshTokenAbsoluteTTL?: Duration;
  /**
   * Rotate on every use (default `true`, RFC 9700 §4.14.2): a new refresh token replaces the presented one, whose
   * reuse then revokes the whole family. With `false` the refresh token is reusable until it expires.
   */
  rotate?: boolean;
  /**
   * The refresh reuse grace window (default `0`: off). Within it, a client retrying the refresh of a token it has
   * just rotated (its answer was lost to a network failure or a crash) gets a fresh pair instead of a family
   * revocation; the pair of the first answer is revoked in the same atomic step, so the token keeps a single live
   * successor. Outside it, or once that successor has been used, a presentation is reuse (RFC 9700 §4.14.2). Needs
   * a repository with `rotate` that stores into the server's access tokens; keep it short (seconds): within it, a stolen token that was just rotated can be
   * rotated by the thief, which then ends the rightful client's pair.
   */
  reuseGraceSeconds?: number;
  /**
   * Where the token's user is looked up on every refresh: a user who no longer exists gets `invalid_grant`.
   * Without it, the user is not re-checked (only deleting the user through the storage's admin revokes).
   */
  users?: UserRepository;
  /** Says whether an existing account may still refresh (e.g. not disabled); `false` answers `invalid_grant`. */
  isUserActive?: (user: User) => boolean | Promise<boolean>;
}

/** What a refresh may grant, worked out before the token is spent. */
interface Regrant {
  /** The access token's scopes. */
  readonly scopes: string[];
  /** The scopes the new refresh token keeps: the original grant, less any scope the client lost since. */
  readonly keep: readonly string[];
  /** The access token's resources (RFC 8707), its lifetime, and its scopes narrowed to the resources. */
  readonly target: ResourceTarget;
}

/**
 * The refresh token grant (RFC 6749 §6), the seed's `RefreshTokenGrant`, with rotation, reuse detection, atomic
 * single use, an absolute family lifetime, and a re-check of the user, the client and every granted scope.
 *
 * @example
 * ```ts
 * server.enableGrantType(new RefreshTokenGrant(storage.refreshTokens, { refreshTokenTTL: 'P1M', users: storage.users }), 'PT1H');
 * ```
 */
export class RefreshTokenGrant implements Grant, RefreshTokenHolder {
  readonly grantType = 'refresh_token';
  /** RFC 6749 §6: a public client refreshes with its client_id; the token is bound to it. */
  readonly allowsPublicClients = true;
  readonly refreshTokenTTL: number;
  /** Seconds from a family's original authorization to its end. */
  readonly refreshTokenAbsoluteTTL: number;
  readonly rotate: boolean;
  readonly #users: UserRepository | undefined;
  readonly #isUserActive: ((user: User) => boolean | Promise<boolean>) | undefined;
  /** The reuse grace window in seconds (0: off). */
  readonly reuseGraceSeconds: number;
  #warned = false;

  constructor(
    /** Where refresh tokens live; revocation and introspection use it too when the server has none of its own. */
    readonly refreshTokens: RefreshTokenRepository,
    options: RefreshTokenGrantOptions = {},
  ) {
    if (!refreshTokens) throw new TypeError('grantry: RefreshTokenGrant needs a refresh token repository');
    this.refreshTokenTTL = toSeconds(options.refreshTokenTTL ?? 'P1M');
    this.refreshTokenAbsoluteTTL = toSeconds(options.refreshTokenAbsoluteTTL ?? DEFAULT_REFRESH_TOKEN_ABSOLUTE_TTL);
    this.rotate = options.rotate ?? true;
    if (options.isUserActive && !options.users) throw new TypeError('grantry: isUserActive needs the users repository');
    this.#users = options.users;
    this.#isUserActive = options.isUserActive;
    this.reuseGraceSeconds = options.reuseGraceSeconds ?? 0;
    if (!Number.isInteger(this.reuseGraceSeconds) || this.reuseGraceSeconds < 0) {
      throw new TypeError(`grantry: reuseGraceSeconds must be a whole number of seconds, 0 or more: ${this.reuseGraceSeconds}`);
    }
    if (this.reuseGraceSeconds > 0 && (!refreshTokens.rotate || !this.rotate)) {
      throw new TypeError('grantry: reuseGraceSeconds needs rotation and a refresh token repository with rotate()');
    }
  }

  async respondToAccessTokenRequest(req: TokenRequest): Promise<TokenResponseBody> {
    const { server, params } = req;
    const { client } = req.client;
    const presented = params.get('refresh_token');
    if (presented === undefined) throw OAuthError.invalidRequest('The refresh_token parameter is required.');

    const reject = (reason: RefreshRejectReason, description?: string): never => {
      server.events.emit('refresh_token.rejected', { reason, clientId: client.id });
      throw OAuthError.invalidGrant(description);
    };
    const now = server.clock.now();
    const opened = await server.refreshTokenCodec.open(presented);
    if (!opened) return reject('malformed');
    // RFC 6749 §6: "validate the refresh token ... and ensure that the refresh token was issued to the
    // authenticated client". A token presented by another client is refused before it is touched.
    if (opened.clientId !== undefined && opened.clientId !== client.id) return reject('foreign_client');
    if (opened.exp !== undefined && secondsToMs(opened.exp) <= now) return reject('expired');
    const requested = params.get('scope');
    if (this.rotate && this.refreshTokens.rotate && this.refreshTokens.issuedInto?.accessTokens === server.accessTokens) {
      return this.#rotateAtomically(req, opened.id, requested, now, reject);
    }

    // Without rotate() (a repository written before it, or one that does not store the server's access tokens):
    // spend the token, then save the new pair, in two steps; the reuse grace window needs the atomic step.
    if (this.reuseGraceSeconds > 0 && !this.#warned) {
      this.#warned = true;
      server.logger.warn?.('grantry: reuseGraceSeconds is ignored: the refresh token repository does not store into the server\'s access tokens');
    }
    // Everything that can refuse a live token is checked before it is spent: a refusal must not cost the client
    // its token, nor make its corrected retry look like reuse. The atomic consume below still decides single use.
    let regrant: Regrant | undefined;
    if (this.rotate) {
      const live = await this.refreshTokens.find(opened.id);
      if (live && !live.revoked && !live.consumed && live.clientId === client.id) regrant = await this.#regrant(req, live, requested, reject);
    }

    const record = this.rotate ? await this.#consume(req, opened.id, reject) : await this.#find(opened.id, reject);
    if (record.clientId !== client.id) {
      // Only opaque tokens reach here: a token used by a client it was not issued to is treated as stolen.
      await this.#revokeFamily(req, record);
      return reject('foreign_client');
    }
    if (record.expiresAt <= now) return reject('expired');
    // The record is immutable, so a check made on it before the consume holds; otherwise (no rotation) check now.
    regrant ??= await this.#regrant(req, record, requested, reject);

    const revokeOld = this.rotate && record.accessTokenId !== undefined ? server.accessTokens.revoke(record.accessTokenId) : undefined;
    const [body] = await Promise.all([
      issueTokens(
        { server, client, accessTokenTTL: regrant.target.accessTokenTTL, accessTokenFormat: regrant.target.accessTokenFormat, dpopJkt: req.dpop?.jkt },
        {
          userId: record.userId,
          scopes: regrant.scopes,
          resources: regrant.target.resources,
          grantType: this.grantType,
          familyId: record.familyId,
          // The new refresh token keeps the original scope (RFC 6749 §6), not the narrowed one, and the family's
          // start, so that rotation never extends the family past its absolute lifetime. A record saved before
          // grantry stored the start begins its family's clock now.
          ...(this.rotate
            ? {
                refresh: {
                  repository: this.refreshTokens,
                  ttl: this.refreshTokenTTL,
                  scopes: regrant.keep,
                  resources: record.resources,
                  absoluteTTL: this.refreshTokenAbsoluteTTL,
                  authTime: record.authTime ?? now,
                },
              }
            : {}),
        },
      ),
      revokeOld,
    ]);
    return body;
  }

  /**
   * Re-validates what the token grants, now: the family's absolute lifetime, the user, and every granted scope.
   * The client itself was fetched and authenticated for this request, and the server checked that it may still
   * use `refresh_token` (RFC 6749 §5.2 `unauthorized_client`).
   */
  async #regrant(req: TokenRequest, record: RefreshTokenRecord, requested: string | undefined, reject: (r: RefreshRejectReason, d?: string) => never): Promise<Regrant> {
    const { server } = req;
    const { client } = req.client;
    // RFC 9449 §5: a refresh token bound to a DPoP key is refreshed only with a proof of that key.
    if (record.dpopJkt !== undefined && req.dpop?.jkt !== record.dpopJkt) {
      if (req.dpop === undefined) {
        server.events.emit('refresh_token.rejected', { reason: 'dpop_key', clientId: client.id });
        throw OAuthError.invalidDpopProof('The refresh token is bound to a DPoP key: send a DPoP proof made with it.');
      }
      return reject('dpop_key', 'The refresh token is bound to another DPoP key.');
    }
    if (record.authTime !== undefined && record.authTime + secondsToMs(this.refreshTokenAbsoluteTTL) <= server.clock.now()) return reject('expired');
    if (record.userId !== undefined && this.#users) {
      const user = await this.#users.getUser(record.userId);
      if (!user || (this.#isUserActive && !(await this.#isUserActive(user)))) return reject('user_inactive');
    }
    // A scope the client may no longer have is no longer granted (fosite re-checks every granted scope). Without
    // a `scope` parameter the refresh is refused, so the client learns it must ask for less; a `scope` within
    // what is still allowed is answered, and the new refresh token keeps only the allowed part.
    const keep = await allowedScopes(req, client, record.scopes);
    if (keep.length < record.scopes.length) {
      const asked = requested === undefined ? undefined : requested.split(' ');
      if (!asked || asked.some((s) => record.scopes.includes(s) && !keep.includes(s))) {
        return reject('scope_withdrawn', 'A granted scope is no longer allowed to this client; request a narrower scope.');
      }
    }
    // RFC 6749 §6: "The requested scope MUST NOT include any scope not originally granted ... and if omitted is
    // treated as equal to the scope originally granted".
    const scopes = await resolveScopes({ server, client, grantType: this.grantType, userId: record.userId, requested, granted: keep });
    // RFC 8707 §2.2: a refresh may name a subset of the grant's resources (one of them), never another; each must
    // still be registered and allowed for the client.
    const target = await resolveResources({
      server, client, requested: requestedResources(req.params), granted: record.resources ?? [], scopes,
      scopeRequested: requested !== undefined, accessTokenTTL: req.accessTokenTTL,
    });
    return { scopes: target.scopes, keep, target };
  }

  /**
   * Rotation in one atomic step: the record is read, the scope checked and the new pair signed and sealed first;
   * then `rotate` spends the old token and stores the new pair (and revokes the old access token) together, so a
   * failure (a crash, a database error, a full disk) leaves the old token usable for the client's retry.
   */
  async #rotateAtomically(
    req: TokenRequest,
    id: string,
    requested: string | undefined,
    now: number,
    reject: (r: RefreshRejectReason, d?: string) => never,
  ): Promise<TokenResponseBody> {
    const { server } = req;
    const { client } = req.client;
    const live = await this.refreshTokens.find(id);
    if (!live) return reject('unknown');
    if (live.clientId !== client.id) {
      // Only opaque tokens reach here: a token used by a client it was not issued to is treated as stolen.
      await this.#revokeFamily(req, live);
      return reject('foreign_client');
    }
    if (live.revoked) return reject('revoked');
    if (live.consumed && this.reuseGraceSeconds === 0) return this.#reused(req, id, live, reject);
    if (live.expiresAt <= now) return reject('expired');
    // The user, the family's absolute lifetime and every granted scope, checked before the token is spent: a
    // refusal must not cost the client its token.
    const regrant = await this.#regrant(req, live, requested, reject);
    const ctx = { server, client, accessTokenTTL: regrant.target.accessTokenTTL, accessTokenFormat: regrant.target.accessTokenFormat, dpopJkt: req.dpop?.jkt };
    const options: IssueOptions = {
      userId: live.userId,
      scopes: regrant.scopes,
      resources: regrant.target.resources,
      grantType: this.grantType,
      familyId: live.familyId,
      // The new refresh token keeps the original scope (RFC 6749 §6), not the narrowed one, and the family's start,
      // so that rotation never extends the family past its absolute lifetime.
      refresh: {
        repository: this.refreshTokens, ttl: this.refreshTokenTTL, scopes: regrant.keep, resources: live.resources,
        absoluteTTL: this.refreshTokenAbsoluteTTL, authTime: live.authTime ?? now,
      },
    };
    const minted = await mintTokens(ctx, options);
    const next = { accessToken: minted.accessToken, refreshToken: minted.refreshToken, revokeAccessTokenId: live.accessTokenId };
    const result = await this.refreshTokens.rotate!(id, next, { now, reuseGraceMs: secondsToMs(this.reuseGraceSeconds) });
    if (result.status !== 'consumed' && result.status !== 'retried') return this.#refused(req, id, result, reject);
    announceTokens(ctx, options, minted);
    return minted.body;
  }

  /** A token that could not be spent: reuse revokes its family (RFC 9700 §4.14.2); revoked or unknown is refused. */
  async #refused(
    req: TokenRequest,
    id: string,
    result: { status: 'reused'; record: RefreshTokenRecord } | { status: 'revoked' | 'not_found' },
    reject: (r: RefreshRejectReason) => never,
  ): Promise<never> {
    if (result.status === 'reused') return this.#reused(req, id, result.record, reject);
    return reject(result.status === 'revoked' ? 'revoked' : 'unknown');
  }

  async #reused(req: TokenRequest, id: string, record: RefreshTokenRecord, reject: (r: RefreshRejectReason) => never): Promise<never> {
    // RFC 9700 §4.14.2: a rotated refresh token presented again means one of two parties holds a stolen copy;
    // revoke the whole family so the newest refresh token stops working too.
    await this.#revokeFamily(req, record);
    req.server.events.emit('refresh_token.reuse_detected', { id, familyId: record.familyId, clientId: record.clientId });
    return reject('reused');
  }

  async #consume(req: TokenRequest, id: string, reject: (r: RefreshRejectReason) => never): Promise<RefreshTokenRecord> {
    const result = await this.refreshTokens.consume(id);
    return result.status === 'consumed' ? result.record : this.#refused(req, id, result, reject);
  }

  async #find(id: string, reject: (r: RefreshRejectReason) => never): Promise<RefreshTokenRecord> {
    const record = await this.refreshTokens.find(id);
    if (!record) return reject('unknown');
    if (record.revoked) return reject('revoked');
    return record;
  }

  async #revokeFamily(req: TokenRequest, record: RefreshTokenRecord): Promise<void> {
    await Promise.all([this.refreshTokens.revokeFamily(record.familyId), req.server.accessTokens.revokeFamily(record.familyId)]);
  }
}

/** The granted scopes the client may still have: registered for it (if it names any) and known to the server. */
async function allowedScopes(req: TokenRequest, client: Client, granted: readonly string[]): Promise<string[]> {
  const registered = client.scopes.length === 0 ? [...granted] : granted.filter((s) => client.scopes.includes(s));
  if (registered.length === 0) return registered;
  const known = new Set((await req.server.scopes.getScopes(registered)).map((s) => s.id));
  return registered.filter((s) => known.has(s));
}
