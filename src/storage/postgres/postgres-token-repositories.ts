import type {
  AccessTokenRecord,
  AccessTokenRepository,
  AuthCodeRecord,
  AuthCodeRepository,
  ConsumeResult,
  DeviceCodeRecord,
  DeviceCodeRepository,
  DevicePollResult,
  IssuedTokenRepositories,
  IssuedTokens,
  RefreshTokenRecord,
  RefreshTokenRepository,
  RotateOptions,
  RotateResult,
} from '../../contracts/repositories.js';
import { pollDeviceCode } from '../device-poll.js';
import { joinResources, joinScopes, plainAuthCode, plainRefreshToken, toAccessToken, toAuthCode, toDeviceCode, toRefreshToken } from '../sql/rows.js';
import { issuedParams, LOCK_PARENT_SQL, REDEEM_SQL, REPLACE_SUCCESSOR_SQL, ROTATE_SQL } from './postgres-atomic-writes.js';
import { hasNul, type PostgresQueries } from './postgres-queries.js';
import { PostgresTokenWriter } from './postgres-token-writer.js';

// Explicit column lists: a prepared statement stays valid when a later migration adds columns.
const AT = 't.id, t.client_id, t.user_id, t.scopes, t.expires_at, t.family_id, t.claims, t.revoked';
const RT = 't.id, t.family_id, t.client_id, t.user_id, t.scopes, t.expires_at, t.access_token_id, t.auth_time, t.dpop_jkt, t.resources, t.consumed, t.revoked';
const CODE = 't.id, t.family_id, t.client_id, t.user_id, t.scopes, t.redirect_uri, t.code_challenge, t.code_challenge_method, t.expires_at, t.dpop_jkt, t.resources, t.consumed, t.revoked';
const DC = 't.id, t.user_code, t.client_id, t.scopes, t.expires_at, t.poll_interval, t.last_polled_at, t.status, t.user_id, t.resources';
const FAMILY_REVOKED = 'EXISTS (SELECT 1 FROM grantry_revoked_families f WHERE f.family_id = t.family_id) AS family_revoked';

/** Marks a family revoked and revokes its tokens, as one statement (a set operation on the family index). */
const revokeFamilySql = (table: string): string =>
  `WITH f AS (INSERT INTO grantry_revoked_families (family_id, revoked_at) VALUES ($1, $2) ON CONFLICT DO NOTHING)
   UPDATE ${table} SET revoked = true WHERE family_id = $1 AND NOT revoked`;

/**
 * Access-token records in PostgreSQL.
 *
 * @example
 * ```ts
 * const storage = openPostgresStorage({ connectionString: process.env.DATABASE_URL! });
 * const server = new AuthorizationServer({ clients: storage.clients, accessTokens: storage.accessTokens,
 *   scopes: storage.scopes, issuer, privateKey, encryptionKey });
 * ```
 */
export class PostgresAccessTokenRepository implements AccessTokenRepository {
  constructor(
    private readonly sql: PostgresQueries,
    private readonly writer = new PostgresTokenWriter(sql),
  ) {}
  save(r: AccessTokenRecord): Promise<void> {
    return this.writer.saveAccess(r);
  }
  async find(id: string): Promise<(AccessTokenRecord & { revoked: boolean }) | undefined> {
    const row = await this.sql.row(`SELECT ${AT}, ${FAMILY_REVOKED} FROM grantry_access_tokens t WHERE t.id = $1`, [id]);
    return row && toAccessToken(row);
  }
  /** Gathered with the saves of the same turn (a rotation's revocation travels with the new tokens). */
  revoke(id: string): Promise<void> {
    return this.writer.revokeAccess(id);
  }
  async isRevoked(id: string): Promise<boolean> {
    return (await this.find(id))?.revoked ?? false;
  }
  async revokeFamily(familyId: string): Promise<void> {
    await this.sql.count(revokeFamilySql('grantry_access_tokens'), [familyId, Date.now()]);
  }
}

/**
 * Refresh tokens in PostgreSQL; `consume` is one conditional `UPDATE ... RETURNING` (one round trip).
 *
 * @example
 * ```ts
 * const storage = openPostgresStorage({ connectionString: process.env.DATABASE_URL! });
 * server.enableGrantType(new RefreshTokenGrant(storage.refreshTokens), 'PT1H'); // consume() is one atomic UPDATE
 * ```
 */
export class PostgresRefreshTokenRepository implements RefreshTokenRepository {
  constructor(
    private readonly sql: PostgresQueries,
    private readonly writer = new PostgresTokenWriter(sql),
    private readonly accessTokens: AccessTokenRepository = new PostgresAccessTokenRepository(sql, writer),
  ) {}
  get issuedInto(): IssuedTokenRepositories {
    return { accessTokens: this.accessTokens, refreshTokens: this };
  }
  /** Saved in one statement with the access token it names, when that is saved in the same tick. */
  save(r: RefreshTokenRecord): Promise<void> {
    return this.writer.saveRefresh(r);
  }
  async find(id: string): Promise<(RefreshTokenRecord & { revoked: boolean; consumed: boolean }) | undefined> {
    const row = await this.sql.row(`SELECT ${RT}, ${FAMILY_REVOKED} FROM grantry_refresh_tokens t WHERE t.id = $1`, [id]);
    return row && toRefreshToken(row);
  }
  async consume(id: string): Promise<ConsumeResult<RefreshTokenRecord>> {
    // Under READ COMMITTED a concurrent UPDATE of the row waits for the first and re-checks `NOT consumed` on
    // the committed version: exactly one caller, in any process, gets the row back.
    const row = await this.sql.row(
      `UPDATE grantry_refresh_tokens t SET consumed = true
       WHERE t.id = $1 AND NOT t.consumed AND NOT t.revoked
         AND NOT EXISTS (SELECT 1 FROM grantry_revoked_families f WHERE f.family_id = t.family_id)
       RETURNING ${RT}`,
      [id],
    );
    if (row) return { status: 'consumed', record: plainRefreshToken(toRefreshToken(row)) };
    const found = await this.find(id);
    if (!found) return { status: 'not_found' };
    return { status: found.consumed ? 'reused' : 'revoked', record: plainRefreshToken(found) };
  }
  /** One statement (one round trip) when the token is unspent; a retry within the grace window takes a transaction. */
  async rotate(id: string, next: IssuedTokens, { now, reuseGraceMs = 0 }: RotateOptions): Promise<RotateResult> {
    const row = await this.sql.row(ROTATE_SQL(RT), [id, now, ...issuedParams(next)]);
    if (row) return { status: 'consumed', record: plainRefreshToken(toRefreshToken(row)) };
    const found = await this.find(id);
    if (!found) return { status: 'not_found' };
    const record = plainRefreshToken(found);
    if (!found.consumed) return { status: 'revoked', record };
    if (reuseGraceMs <= 0 || found.revoked) return { status: 'reused', record };
    const replacedId = await this.sql.transaction(async (client) => {
      // The parent's row lock orders concurrent retries; each later statement sees what the one before committed.
      const parent = await this.sql.row(LOCK_PARENT_SQL, [id, now - reuseGraceMs], client);
      if (!parent) return undefined;
      const gone = await this.sql.row(REPLACE_SUCCESSOR_SQL, [id, String(parent.successor_id), ...issuedParams(next)], client);
      return gone && String(gone.id);
    });
    return replacedId === undefined ? { status: 'reused', record } : { status: 'retried', record, replacedId };
  }
  async revoke(id: string): Promise<void> {
    await this.sql.count('UPDATE grantry_refresh_tokens SET revoked = true WHERE id = $1', [id]);
  }
  async revokeFamily(familyId: string): Promise<void> {
    await this.sql.count(revokeFamilySql('grantry_refresh_tokens'), [familyId, Date.now()]);
  }
}

/**
 * Authorization codes in PostgreSQL; `consume` is one conditional `UPDATE ... RETURNING`.
 *
 * @example
 * ```ts
 * const storage = openPostgresStorage({ connectionString: process.env.DATABASE_URL! });
 * server.enableGrantType(new AuthorizationCodeGrant(storage.authCodes, { refreshTokens: storage.refreshTokens }), 'PT1H');
 * ```
 */
export class PostgresAuthCodeRepository implements AuthCodeRepository {
  constructor(
    private readonly sql: PostgresQueries,
    /** Where `redeem` stores the tokens: the same database's token repositories. */
    readonly issuedInto: IssuedTokenRepositories = { accessTokens: new PostgresAccessTokenRepository(sql), refreshTokens: new PostgresRefreshTokenRepository(sql) },
  ) {}
  async save(r: AuthCodeRecord): Promise<void> {
    await this.sql.count(
      `INSERT INTO grantry_auth_codes (id, family_id, client_id, user_id, scopes, redirect_uri, code_challenge,
         code_challenge_method, expires_at, dpop_jkt, resources) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      [
        r.id,
        r.familyId,
        r.clientId,
        r.userId,
        joinScopes(r.scopes),
        r.redirectUri ?? null,
        r.codeChallenge ?? null,
        r.codeChallengeMethod ?? null,
        r.expiresAt,
        r.dpopJkt ?? null,
        joinResources(r.resources),
      ],
    );
  }
  async find(id: string): Promise<(AuthCodeRecord & { consumed: boolean; revoked: boolean }) | undefined> {
    const row = await this.sql.row(`SELECT ${CODE} FROM grantry_auth_codes t WHERE t.id = $1`, [id]);
    return row && toAuthCode(row);
  }
  async consume(id: string): Promise<ConsumeResult<AuthCodeRecord>> {
    const row = await this.sql.row(
      `UPDATE grantry_auth_codes t SET consumed = true WHERE t.id = $1 AND NOT t.consumed AND NOT t.revoked RETURNING ${CODE}`,
      [id],
    );
    return row ? { status: 'consumed', record: plainAuthCode(toAuthCode(row)) } : this.#notConsumed(id);
  }
  /** One statement: the code's spend and the tokens' inserts commit together or not at all. */
  async redeem(id: string, tokens: IssuedTokens): Promise<ConsumeResult<AuthCodeRecord>> {
    const row = await this.sql.row(REDEEM_SQL(CODE), [id, ...issuedParams(tokens)]);
    return row ? { status: 'consumed', record: plainAuthCode(toAuthCode(row)) } : this.#notConsumed(id);
  }
  async #notConsumed(id: string): Promise<ConsumeResult<AuthCodeRecord>> {
    const found = await this.find(id);
    if (!found) return { status: 'not_found' };
    return { status: found.consumed ? 'reused' : 'revoked', record: plainAuthCode(found) };
  }
  async revoke(id: string): Promise<void> {
    await this.sql.count('UPDATE grantry_auth_codes SET revoked = true WHERE id = $1', [id]);
  }
  async isRevoked(id: string): Promise<boolean> {
    const row = await this.sql.row('SELECT revoked FROM grantry_auth_codes WHERE id = $1', [id]);
    return row?.revoked === true;
  }
}

/**
 * Device codes in PostgreSQL; `poll` locks the row (`FOR UPDATE`), `decide` is one conditional `UPDATE`.
 *
 * @example
 * ```ts
 * const storage = openPostgresStorage({ connectionString: process.env.DATABASE_URL! });
 * server.enableGrantType(new DeviceCodeGrant(storage.deviceCodes), 'PT1H');
 * ```
 */
export class PostgresDeviceCodeRepository implements DeviceCodeRepository {
  constructor(private readonly sql: PostgresQueries) {}
  async save(r: DeviceCodeRecord): Promise<void> {
    await this.sql.count(
      `INSERT INTO grantry_device_codes (id, user_code, client_id, scopes, expires_at, poll_interval, last_polled_at, status, user_id, resources)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [r.id, r.userCode, r.clientId, joinScopes(r.scopes), r.expiresAt, r.interval, r.lastPolledAt ?? null, r.status, r.userId ?? null, joinResources(r.resources)],
    );
  }
  async findByUserCode(userCode: string): Promise<DeviceCodeRecord | undefined> {
    const row = await this.sql.row(`SELECT ${DC} FROM grantry_device_codes t WHERE t.user_code = $1`, [userCode]);
    return row && toDeviceCode(row);
  }
  async decide(userCode: string, decision: { approved: boolean; userId: string | undefined }, now: number): Promise<boolean> {
    if (hasNul(userCode)) return false; // typed by a user; PostgreSQL text cannot hold NUL, so no code matches
    const changed = await this.sql.count(
      `UPDATE grantry_device_codes SET status = $1, user_id = $2 WHERE user_code = $3 AND status = 'pending' AND expires_at > $4`,
      [decision.approved ? 'approved' : 'denied', decision.userId ?? null, userCode, now],
    );
    return changed === 1;
  }
  async poll(id: string, now: number, clientId?: string): Promise<DevicePollResult> {
    return this.sql.transaction(async (client) => {
      const row = await this.sql.row(`SELECT ${DC} FROM grantry_device_codes t WHERE t.id = $1 FOR UPDATE`, [id], client);
      if (!row) return { status: 'not_found' } as const;
      const { next, result } = pollDeviceCode(toDeviceCode(row), now, clientId);
      await this.sql.count(
        'UPDATE grantry_device_codes SET last_polled_at = $1, poll_interval = $2, status = $3 WHERE id = $4',
        [next.lastPolledAt ?? null, next.interval, next.status, id],
        client,
      );
      return result;
    });
  }
}
