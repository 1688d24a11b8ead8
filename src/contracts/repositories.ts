import type { Client, GrantType, Resource, Scope, User } from './types.js';

/**
 * Storage contracts. Each is small and async; single use is a compare-and-set in storage (`consume`), never
 * check-then-act in a grant. Times are milliseconds since the epoch. Records identify tokens by id or hash:
 * no raw refresh token, code or client secret is ever stored.
 *
 * @example
 * ```ts
 * import { createMemoryStorage } from 'grantry/storage/memory';
 * const storage: Storage = createMemoryStorage();
 * ```
 */
export interface Storage {
  readonly clients: ClientRepository;
  readonly scopes: ScopeRepository;
  readonly accessTokens: AccessTokenRepository;
  readonly refreshTokens: RefreshTokenRepository;
  readonly authCodes: AuthCodeRepository;
  readonly users: UserRepository;
  readonly deviceCodes: DeviceCodeRepository;
  /** The registered resources (RFC 8707); optional for storage written before it. */
  readonly resources?: ResourceRepository;
}

/**
 * Looks clients up by id.
 *
 * @example
 * ```ts
 * const clients: ClientRepository = {
 *   async getClient(clientId) {
 *     const row = await db.query('select * from clients where id = $1', [clientId]);
 *     return row ? { id: row.id, name: row.name, secretHash: row.secret_hash, redirectUris: row.redirect_uris,
 *       grantTypes: row.grant_types, scopes: row.scopes } : undefined;
 *   },
 * };
 * ```
 */
export interface ClientRepository {
  getClient(clientId: string): Promise<Client | undefined>;
}

/**
 * The registered resources (RFC 8707 resource indicators): the token endpoint and the authorization endpoint look a
 * requested `resource` up here; one that is not found is `invalid_target`.
 *
 * @example
 * ```ts
 * const known = new Map([['https://api.example.com', { id: 'https://api.example.com', scopes: ['read'] }]]);
 * const resources: ResourceRepository = {
 *   async getResource(id) { return known.get(id); },
 *   async listResources() { return [...known.values()]; },
 * };
 * ```
 */
export interface ResourceRepository {
  /** The resource with exactly this identifier, if registered. */
  getResource(id: string): Promise<Resource | undefined>;
  /** All resources, ordered by identifier. */
  listResources(): Promise<Resource[]>;
}

/**
 * Knows the server's scopes; may narrow (never widen) the scopes of a grant at the end.
 *
 * @example
 * ```ts
 * const known = new Map([['read', { id: 'read' }], ['write', { id: 'write' }]]);
 * const scopes: ScopeRepository = {
 *   async getScopes(ids) { return ids.flatMap((id) => known.get(id) ?? []); },
 *   async defaultScopes() { return ['read']; },
 *   async listScopes() { return [...known.values()]; },
 * };
 * ```
 */
export interface ScopeRepository {
  /** Returns the scopes among `ids` that exist; unknown ids are simply left out. */
  getScopes(ids: readonly string[]): Promise<Scope[]>;
  /** Scopes granted when a request names none (RFC 6749 §3.3); may be empty. */
  defaultScopes?(client: Client): Promise<readonly string[]>;
  /** All scopes, for the metadata's `scopes_supported` (RFC 8414 §2); optional: without it none are announced. */
  listScopes?(): Promise<Scope[]>;
  /**
   * The last word on the scopes of a grant. Whatever it returns is intersected with the requested scopes, so it
   * can narrow but not widen them.
   */
  finalizeScopes?(scopes: readonly string[], context: FinalizeScopesContext): Promise<readonly string[]>;
}

/**
 * What the scope repository's finalize hook sees.
 *
 * @example
 * ```ts
 * const scopes: ScopeRepository = {
 *   getScopes: (ids) => storage.scopes.getScopes(ids),
 *   // Narrow only: what it returns is intersected with the requested scopes.
 *   async finalizeScopes(requested, { grantType, userId }: FinalizeScopesContext) {
 *     return grantType === 'client_credentials' || userId === undefined ? requested.filter((s) => s !== 'admin') : requested;
 *   },
 * };
 * ```
 */
export interface FinalizeScopesContext {
  readonly grantType: GrantType;
  readonly client: Client;
  readonly userId: string | undefined;
}

/**
 * A record of an issued access token, keyed by its `jti` (for an opaque token, the SHA-256 of the token, which is
 * also its `jti`).
 *
 * @example
 * ```ts
 * const record: AccessTokenRecord | undefined = await storage.accessTokens.find(claims.jti);
 * if (record) console.log(record.clientId, record.scopes, new Date(record.expiresAt));
 * ```
 */
export interface AccessTokenRecord {
  readonly id: string;
  readonly clientId: string;
  readonly userId: string | undefined;
  readonly scopes: readonly string[];
  readonly expiresAt: number;
  /** The grant (authorization) this token belongs to: a code or refresh token family. */
  readonly familyId: string | undefined;
  /**
   * An opaque access token's claims: what a JWT would carry (`iss`, `sub`, `aud`, `exp`, `iat`, `jti`,
   * `client_id`, `scope` and custom claims), kept here because the token itself carries none. Absent for a JWT.
   * The record of an opaque token is keyed by the token's SHA-256, never by the token.
   */
  readonly claims?: Readonly<Record<string, unknown>> | undefined;
}

/**
 * Access tokens as records, for revocation and introspection.
 *
 * @example
 * ```ts
 * const accessTokens: AccessTokenRepository = storage.accessTokens;
 * await accessTokens.revoke(claims.jti);
 * await accessTokens.isRevoked(claims.jti); // true
 * ```
 */
export interface AccessTokenRepository {
  save(record: AccessTokenRecord): Promise<void>;
  find(id: string): Promise<(AccessTokenRecord & { revoked: boolean }) | undefined>;
  revoke(id: string): Promise<void>;
  isRevoked(id: string): Promise<boolean>;
  /**
   * Revokes every access token of a family (RFC 9700 §4.14.2 reuse, RFC 6749 §4.1.2 code reuse), including one
   * saved into the family afterwards (a rotation racing the reuse detection): the family itself is revoked.
   */
  revokeFamily(familyId: string): Promise<void>;
}

/**
 * A refresh token's stored record. `id` is the token's identifier inside its sealed payload, or the SHA-256 of an
 * opaque token: never the token itself.
 *
 * @example
 * ```ts
 * const record: RefreshTokenRecord = {
 *   id, familyId, clientId: 'app', userId: 'user-42', scopes: ['read'],
 *   expiresAt: Date.now() + 30 * 86400_000, accessTokenId: jti,
 * };
 * await storage.refreshTokens.save(record);
 * ```
 */
export interface RefreshTokenRecord {
  readonly id: string;
  readonly familyId: string;
  readonly clientId: string;
  readonly userId: string | undefined;
  /** The scope of the original grant: kept across rotations (RFC 6749 §6). */
  readonly scopes: readonly string[];
  readonly expiresAt: number;
  /** The access token issued together with this refresh token. */
  readonly accessTokenId: string | undefined;
  /**
   * When the family began: the original authorization, ms since the epoch. Kept across rotations, so that the
   * family ends at `authTime` + the grant's absolute lifetime however often it is rotated. Absent on records
   * saved before grantry stored it: the family's clock then starts at its next rotation.
   */
  readonly authTime?: number | undefined;
  /**
   * RFC 9449 §5: the thumbprint of the DPoP key a public client's refresh token is bound to; the refresh needs a
   * proof with that key. Absent for unbound tokens (and always for confidential clients).
   */
  readonly dpopJkt?: string | undefined;
  /** The resources of the original grant (RFC 8707), kept across rotations; a refresh may narrow to a subset. */
  readonly resources?: readonly string[] | undefined;
}

/**
 * The result of a compare-and-set consumption.
 *
 * @example
 * ```ts
 * const result: ConsumeResult<RefreshTokenRecord> = await storage.refreshTokens.consume(id);
 * if (result.status === 'reused') await storage.refreshTokens.revokeFamily(result.record.familyId); // a replay
 * if (result.status !== 'consumed') throw OAuthError.invalidGrant();
 * ```
 */
export type ConsumeResult<R> =
  | { readonly status: 'consumed'; readonly record: R }
  /** It was consumed before: a replay. The record is returned so the caller can revoke its family. */
  | { readonly status: 'reused'; readonly record: R }
  | { readonly status: 'revoked'; readonly record: R }
  | { readonly status: 'not_found' };

/**
 * What one atomic step stores besides spending a refresh token or a code: the records of the tokens that the
 * response will carry, already signed and sealed (no crypto runs inside the step), and the access token that a
 * rotation replaces, written through the repositories the storage names as `issuedInto`.
 *
 * @example
 * ```ts
 * const next: IssuedTokens = {
 *   accessToken: { id: jti, clientId: 'app', userId: 'user-42', scopes: ['read'], expiresAt, familyId },
 *   refreshToken: { id: newId, familyId, clientId: 'app', userId: 'user-42', scopes: ['read'], expiresAt, accessTokenId: jti },
 *   revokeAccessTokenId: old.accessTokenId,
 * };
 * await storage.refreshTokens.rotate!(old.id, next, { now: Date.now() });
 * ```
 */
export interface IssuedTokens {
  /** The new access token's record. */
  readonly accessToken?: AccessTokenRecord | undefined;
  /** The new refresh token's record (a rotation's successor, or the first token of a code's family). */
  readonly refreshToken?: RefreshTokenRecord | undefined;
  /** An access token to revoke in the same step: the one issued with the refresh token being rotated. */
  readonly revokeAccessTokenId?: string | undefined;
}

/**
 * The repositories an atomic rotation or redemption stores its records through. The grants use the atomic step
 * only when these are the ones the server issues into (its `accessTokens`, the grant's refresh tokens); otherwise
 * they fall back to spending first and saving after.
 *
 * @example
 * ```ts
 * const into: IssuedTokenRepositories | undefined = storage.refreshTokens.issuedInto;
 * into?.accessTokens === storage.accessTokens; // true for grantry's engines
 * ```
 */
export interface IssuedTokenRepositories {
  readonly accessTokens: AccessTokenRepository;
  readonly refreshTokens: RefreshTokenRepository;
}

/**
 * Options of a rotation.
 *
 * @example
 * ```ts
 * const options: RotateOptions = { now: Date.now(), reuseGraceMs: 10_000 }; // a retry within 10 s is not reuse
 * const result = await storage.refreshTokens.rotate!(id, next, options);
 * ```
 */
export interface RotateOptions {
  /** The time of the rotation (ms); stored as the moment the token was spent, for the grace window. */
  readonly now: number;
  /**
   * The refresh reuse grace window in ms (default 0: off). A token spent by a rotation less than this long ago may
   * be rotated again, as long as its current successor is still unused: that successor and its access token are
   * revoked, and the new pair stored and made the successor, in the same atomic step (`status: 'retried'`). A token
   * has thus at most one live successor, the last one stored, however many retries run at once (concurrent retries
   * are serialised on the token). The window counts from the first spend, not from each retry. Otherwise the
   * presentation is reuse (`'reused'`), as without the window.
   */
  readonly reuseGraceMs?: number;
}

/**
 * The result of an atomic rotation: a {@link ConsumeResult}, or a retry within the grace window.
 *
 * @example
 * ```ts
 * const result: RotateResult = await storage.refreshTokens.rotate!(id, next, { now, reuseGraceMs: 10_000 });
 * if (result.status === 'consumed' || result.status === 'retried') return body; // the new pair is stored
 * if (result.status === 'reused') await revokeFamily(result.record.familyId); // nothing was stored
 * ```
 */
export type RotateResult =
  | ConsumeResult<RefreshTokenRecord>
  /** Spent before, within the grace window: the earlier successor (`replacedId`) is revoked, the new pair stored. */
  | { readonly status: 'retried'; readonly record: RefreshTokenRecord; readonly replacedId: string };

/**
 * Refresh tokens, with atomic rotation and family revocation.
 *
 * @example
 * ```ts
 * const refreshTokens: RefreshTokenRepository = storage.refreshTokens;
 * server.enableGrantType(new RefreshTokenGrant(refreshTokens), 'PT1H');
 * // Implementations: consume() must be one atomic compare-and-set (e.g. UPDATE … WHERE consumed = false RETURNING).
 * ```
 */
export interface RefreshTokenRepository {
  save(record: RefreshTokenRecord): Promise<void>;
  find(id: string): Promise<(RefreshTokenRecord & { revoked: boolean; consumed: boolean }) | undefined>;
  /**
   * Atomically marks the token used. Exactly one of any number of concurrent callers sees `consumed`; the others
   * see `reused`. A token in a revoked family answers `revoked`.
   */
  consume(id: string): Promise<ConsumeResult<RefreshTokenRecord>>;
  /**
   * Spends the token and stores `next` in one atomic step: both commit, or neither does (a failure, a crash or a
   * constraint violation leaves the old token unspent and nothing new stored). Only the caller that sees
   * `consumed` (or `retried`, see {@link RotateOptions.reuseGraceMs}) has stored `next`; `reused`, `revoked` and
   * `not_found` store nothing. Concurrency as {@link consume}. Optional for compatibility: without it the refresh
   * grant spends the token with `consume` and then saves the new pair, in two steps.
   *
   * @example
   * ```ts
   * // SQL engines: one transaction that runs UPDATE … SET consumed … RETURNING, then the INSERTs only if it
   * // returned the row; PostgreSQL: one statement of data-modifying CTEs.
   * const result = await storage.refreshTokens.rotate!(old.id, { refreshToken, accessToken, revokeAccessTokenId: old.accessTokenId }, { now });
   * ```
   */
  rotate?(id: string, next: IssuedTokens, options: RotateOptions): Promise<RotateResult>;
  /** Where `rotate` stores the new records; required with `rotate`. */
  readonly issuedInto?: IssuedTokenRepositories;
  revoke(id: string): Promise<void>;
  /**
   * Revokes every refresh token of a family, the newest included, and any saved into it afterwards (a rotation
   * racing the reuse detection): the family itself is revoked, as the storage conformance suite checks.
   */
  revokeFamily(familyId: string): Promise<void>;
}

/**
 * A stored authorization code. `id` is the code's identifier or the SHA-256 of an opaque code.
 *
 * @example
 * ```ts
 * const result = await storage.authCodes.consume(id);
 * if (result.status === 'consumed') {
 *   const code: AuthCodeRecord = result.record;
 *   console.log(code.clientId, code.userId, code.redirectUri, code.codeChallengeMethod);
 * }
 * ```
 */
export interface AuthCodeRecord {
  readonly id: string;
  readonly familyId: string;
  readonly clientId: string;
  readonly userId: string;
  readonly scopes: readonly string[];
  readonly redirectUri: string | undefined;
  readonly codeChallenge: string | undefined;
  readonly codeChallengeMethod: 'S256' | 'plain' | undefined;
  readonly expiresAt: number;
  /** RFC 9449 §10 `dpop_jkt`: the code is redeemed only with a DPoP proof of this key. */
  readonly dpopJkt?: string | undefined;
  /** The resources asked for at the authorization endpoint (RFC 8707); the token request may narrow them. */
  readonly resources?: readonly string[] | undefined;
}

/**
 * Authorization codes, single use by compare-and-set.
 *
 * @example
 * ```ts
 * const authCodes: AuthCodeRepository = storage.authCodes;
 * server.enableGrantType(new AuthorizationCodeGrant(authCodes, { refreshTokens: storage.refreshTokens }), 'PT1H');
 * ```
 */
export interface AuthCodeRepository {
  save(record: AuthCodeRecord): Promise<void>;
  /**
   * Reads a code without spending it. The grant checks client, `redirect_uri` and PKCE against this record first,
   * so that a request that cannot prove it may redeem the code neither spends it nor revokes its tokens; `consume`
   * then still decides single use atomically.
   */
  find(id: string): Promise<(AuthCodeRecord & { consumed: boolean; revoked: boolean }) | undefined>;
  consume(id: string): Promise<ConsumeResult<AuthCodeRecord>>;
  /**
   * Spends the code and stores the tokens issued for it in one atomic step (RFC 6749 §4.1.2 single use): both
   * commit or neither does, so a failure leaves the code redeemable and nothing stored. Only `consumed` stores
   * `tokens`. Optional for compatibility (with `find`): without it the grant consumes, then saves.
   *
   * @example
   * ```ts
   * const code = await storage.authCodes.find!(id); // read, checked and signed for before the atomic step
   * const result = await storage.authCodes.redeem!(id, { accessToken, refreshToken });
   * if (result.status !== 'consumed') throw OAuthError.invalidGrant();
   * ```
   */
  redeem?(id: string, tokens: IssuedTokens): Promise<ConsumeResult<AuthCodeRecord>>;
  /** Where `redeem` stores the tokens; required with `redeem`. */
  readonly issuedInto?: IssuedTokenRepositories;
  revoke(id: string): Promise<void>;
  /**
   * Whether `revoke(id)` was called for the code. The grant marks a replayed code revoked and checks the mark after
   * saving the tokens of the first redemption, so that a replay racing that redemption still revokes its tokens.
   * Optional for compatibility; without it, that narrow race can leave the first redemption's tokens alive.
   */
  isRevoked?(id: string): Promise<boolean>;
}

/**
 * Resource owners.
 *
 * @example
 * ```ts
 * const users: UserRepository = {
 *   getUser: async (id) => directory.findById(id),
 *   // Compare passwords with a slow hash (see hashPassword / verifyPassword), never as plain text.
 *   getUserByCredentials: async (username, password) => {
 *     const row = await directory.findByUsername(username);
 *     return row && (await verifyPassword(password, row.passwordHash)) ? { id: row.id, username } : undefined;
 *   },
 * };
 * server.enableGrantType(new PasswordGrant(users), 'PT1H');
 * ```
 */
export interface UserRepository {
  getUser(id: string): Promise<User | undefined>;
  /** Checks a username and password (RFC 6749 §4.3); `undefined` when they do not match. */
  getUserByCredentials(username: string, password: string, grantType: GrantType, client: Client): Promise<User | undefined>;
}

/**
 * A device authorization (RFC 8628). `id` is the SHA-256 of the device code.
 *
 * @example
 * ```ts
 * const record: DeviceCodeRecord | undefined = await storage.deviceCodes.findByUserCode('WDJBMJHT');
 * if (record?.status === 'pending') console.log(record.clientId, record.scopes);
 * ```
 */
export interface DeviceCodeRecord {
  readonly id: string;
  /** The user code, normalised (upper case, no separator). */
  readonly userCode: string;
  readonly clientId: string;
  readonly scopes: readonly string[];
  readonly expiresAt: number;
  /** Polling interval in seconds (RFC 8628 §3.5 `slow_down` raises it by 5). */
  readonly interval: number;
  readonly lastPolledAt: number | undefined;
  readonly status: 'pending' | 'approved' | 'denied' | 'consumed';
  readonly userId: string | undefined;
  /** The resources asked for at the device authorization endpoint (RFC 8707). */
  readonly resources?: readonly string[] | undefined;
}

/**
 * The outcome of one poll of the token endpoint with a device code.
 *
 * @example
 * ```ts
 * const result: DevicePollResult = await storage.deviceCodes.poll(id, Date.now(), clientId);
 * if (result.status === 'slow_down') throw OAuthError.slowDown();
 * if (result.status === 'pending') throw OAuthError.authorizationPending();
 * ```
 */
export type DevicePollResult =
  | { readonly status: 'not_found' }
  | { readonly status: 'expired' | 'pending' | 'slow_down' | 'denied' | 'consumed'; readonly record: DeviceCodeRecord }
  /** Approved, and now consumed by this poll: exactly one poll sees this. */
  | { readonly status: 'approved'; readonly record: DeviceCodeRecord };

/**
 * Device codes: lookup by user code for the verification page, atomic poll for the token endpoint.
 *
 * @example
 * ```ts
 * const deviceCodes: DeviceCodeRepository = storage.deviceCodes;
 * server.enableGrantType(new DeviceCodeGrant(deviceCodes), 'PT1H');
 * await deviceCodes.decide('WDJBMJHT', { approved: true, userId: 'user-42' }, Date.now()); // the verification page
 * ```
 */
export interface DeviceCodeRepository {
  save(record: DeviceCodeRecord): Promise<void>;
  findByUserCode(userCode: string): Promise<DeviceCodeRecord | undefined>;
  /** Approves or denies a pending code; `false` if it is not pending or has expired. */
  decide(userCode: string, decision: { approved: boolean; userId: string | undefined }, now: number): Promise<boolean>;
  /**
   * Records a poll at `now` atomically and returns what the client should be told (RFC 8628 §3.5). With
   * `clientId`, a code of another client answers `not_found` and is left untouched (not consumed, not slowed).
   */
  poll(id: string, now: number, clientId?: string): Promise<DevicePollResult>;
}
