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
import { accessTokenColumns, joinResources, joinScopes, plainAuthCode, refreshTokenColumns, plainRefreshToken, toAccessToken, toAuthCode, toDeviceCode, toRefreshToken, type Row } from '../sql/rows.js';
import type { SqliteStatements } from './sqlite-statements.js';

const FAMILY_REVOKED = 'EXISTS (SELECT 1 FROM grantry_revoked_families f WHERE f.family_id = t.family_id) AS family_revoked';

/** Marks a family revoked (a set operation on its index) so that tokens saved into it later are revoked too. */
function revokeFamilyIn(sql: SqliteStatements, table: string, familyId: string): void {
  sql.db.transaction(() => {
    sql.get('INSERT INTO grantry_revoked_families (family_id, revoked_at) VALUES (?, ?) ON CONFLICT DO NOTHING').run(familyId, Date.now());
    sql.get(`UPDATE ${table} SET revoked = 1 WHERE family_id = ? AND revoked = 0`).run(familyId);
  })();
}

const INSERT_ACCESS = 'INSERT INTO grantry_access_tokens (id, client_id, user_id, scopes, expires_at, family_id, claims) VALUES (?, ?, ?, ?, ?, ?, ?)';
const INSERT_REFRESH = `INSERT INTO grantry_refresh_tokens (id, family_id, client_id, user_id, scopes, expires_at, access_token_id, auth_time, dpop_jkt, resources)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

/** The writes of an atomic step after its spend: run inside the caller's transaction (a savepoint). */
function writeIssued(sql: SqliteStatements, next: IssuedTokens): void {
  if (next.accessToken) sql.get(INSERT_ACCESS).run(...accessTokenColumns(next.accessToken));
  if (next.refreshToken) sql.get(INSERT_REFRESH).run(...refreshTokenColumns(next.refreshToken));
  if (next.revokeAccessTokenId !== undefined) sql.get('UPDATE grantry_access_tokens SET revoked = 1 WHERE id = ?').run(next.revokeAccessTokenId);
}

/**
 * Runs several statements as one unit inside this turn's batch: a nested better-sqlite3 transaction is a
 * SAVEPOINT, so a failing statement rolls back the statements before it too, and the batch's other work stays.
 */
function atomically<T>(sql: SqliteStatements, work: () => T): Promise<T> {
  return sql.batch(() => sql.db.transaction(work)());
}

/**
 * Access-token records in SQLite.
 *
 * @example
 * ```ts
 * const storage = openSqliteStorage({ filename: 'grantry.db' });
 * const server = new AuthorizationServer({ clients: storage.clients, accessTokens: storage.accessTokens,
 *   scopes: storage.scopes, issuer, privateKey, encryptionKey });
 * ```
 */
export class SqliteAccessTokenRepository implements AccessTokenRepository {
  constructor(private readonly sql: SqliteStatements) {}
  async save(r: AccessTokenRecord): Promise<void> {
    return this.sql.write(INSERT_ACCESS, accessTokenColumns(r));
  }
  async find(id: string): Promise<(AccessTokenRecord & { revoked: boolean }) | undefined> {
    const row = this.sql.get(`SELECT t.*, ${FAMILY_REVOKED} FROM grantry_access_tokens t WHERE t.id = ?`).get(id) as Row | undefined;
    return row && toAccessToken(row);
  }
  async revoke(id: string): Promise<void> {
    return this.sql.write('UPDATE grantry_access_tokens SET revoked = 1 WHERE id = ?', [id]);
  }
  async isRevoked(id: string): Promise<boolean> {
    return (await this.find(id))?.revoked ?? false;
  }
  async revokeFamily(familyId: string): Promise<void> {
    revokeFamilyIn(this.sql, 'grantry_access_tokens', familyId);
  }
}

/**
 * Refresh tokens in SQLite; `consume` is one conditional `UPDATE ... RETURNING`.
 *
 * @example
 * ```ts
 * const storage = openSqliteStorage({ filename: 'grantry.db' });
 * server.enableGrantType(new RefreshTokenGrant(storage.refreshTokens), 'PT1H'); // consume() is one atomic UPDATE
 * ```
 */
export class SqliteRefreshTokenRepository implements RefreshTokenRepository {
  constructor(
    private readonly sql: SqliteStatements,
    private readonly accessTokens: AccessTokenRepository = new SqliteAccessTokenRepository(sql),
  ) {}
  get issuedInto(): IssuedTokenRepositories {
    return { accessTokens: this.accessTokens, refreshTokens: this };
  }
  async save(r: RefreshTokenRecord): Promise<void> {
    return this.sql.write(INSERT_REFRESH, refreshTokenColumns(r));
  }
  async find(id: string): Promise<(RefreshTokenRecord & { revoked: boolean; consumed: boolean }) | undefined> {
    return this.#find(id);
  }
  #find(id: string): (RefreshTokenRecord & { revoked: boolean; consumed: boolean }) | undefined {
    const row = this.sql.get(`SELECT t.*, ${FAMILY_REVOKED} FROM grantry_refresh_tokens t WHERE t.id = ?`).get(id) as Row | undefined;
    return row && toRefreshToken(row);
  }
  consume(id: string): Promise<ConsumeResult<RefreshTokenRecord>> {
    return this.sql.batch(() => this.#consume(id));
  }
  #consume(id: string): ConsumeResult<RefreshTokenRecord> {
    // Single use in one statement: of any number of callers in any number of processes, one sees the row.
    const row = this.sql
      .get(
        `UPDATE grantry_refresh_tokens AS t SET consumed = 1
         WHERE t.id = ? AND t.consumed = 0 AND t.revoked = 0
           AND NOT EXISTS (SELECT 1 FROM grantry_revoked_families f WHERE f.family_id = t.family_id)
         RETURNING *`,
      )
      .get(id) as Row | undefined;
    if (row) return { status: 'consumed', record: plainRefreshToken(toRefreshToken(row)) };
    const found = this.#find(id);
    if (!found) return { status: 'not_found' };
    return { status: found.consumed ? 'reused' : 'revoked', record: plainRefreshToken(found) };
  }
  /** One transaction (a savepoint in this turn's batch): the conditional UPDATE, then the INSERTs if it matched. */
  rotate(id: string, next: IssuedTokens, options: RotateOptions): Promise<RotateResult> {
    return atomically(this.sql, () => this.#rotate(id, next, options));
  }
  #rotate(id: string, next: IssuedTokens, { now, reuseGraceMs = 0 }: RotateOptions): RotateResult {
    const row = this.sql
      .get(
        `UPDATE grantry_refresh_tokens AS t SET consumed = 1, spent_at = ?, successor_id = ?
         WHERE t.id = ? AND t.consumed = 0 AND t.revoked = 0
           AND NOT EXISTS (SELECT 1 FROM grantry_revoked_families f WHERE f.family_id = t.family_id)
         RETURNING *`,
      )
      .get(now, next.refreshToken?.id ?? null, id) as Row | undefined;
    if (row) {
      writeIssued(this.sql, next);
      return { status: 'consumed', record: plainRefreshToken(toRefreshToken(row)) };
    }
    const found = this.sql.get(`SELECT t.*, ${FAMILY_REVOKED} FROM grantry_refresh_tokens t WHERE t.id = ?`).get(id) as Row | undefined;
    if (!found) return { status: 'not_found' };
    const record = toRefreshToken(found);
    if (!record.consumed) return { status: 'revoked', record: plainRefreshToken(record) };
    const spentAt = found.spent_at === null || found.spent_at === undefined ? undefined : Number(found.spent_at);
    if (reuseGraceMs > 0 && !record.revoked && spentAt !== undefined && spentAt > now - reuseGraceMs && found.successor_id) {
      // A retry within the grace window: the successor of the first answer, if still unused, gives way.
      const successor = this.sql
        .get('UPDATE grantry_refresh_tokens SET revoked = 1 WHERE id = ? AND consumed = 0 AND revoked = 0 RETURNING id, access_token_id')
        .get(found.successor_id) as Row | undefined;
      if (successor) {
        if (successor.access_token_id) this.sql.get('UPDATE grantry_access_tokens SET revoked = 1 WHERE id = ?').run(successor.access_token_id);
        this.sql.get('UPDATE grantry_refresh_tokens SET successor_id = ? WHERE id = ?').run(next.refreshToken?.id ?? null, id);
        writeIssued(this.sql, next);
        return { status: 'retried', record: plainRefreshToken(record), replacedId: String(successor.id) };
      }
    }
    return { status: 'reused', record: plainRefreshToken(record) };
  }
  async revoke(id: string): Promise<void> {
    return this.sql.write('UPDATE grantry_refresh_tokens SET revoked = 1 WHERE id = ?', [id]);
  }
  async revokeFamily(familyId: string): Promise<void> {
    revokeFamilyIn(this.sql, 'grantry_refresh_tokens', familyId);
  }
}

/**
 * Authorization codes in SQLite; `consume` is one conditional `UPDATE ... RETURNING`.
 *
 * @example
 * ```ts
 * const storage = openSqliteStorage({ filename: 'grantry.db' });
 * server.enableGrantType(new AuthorizationCodeGrant(storage.authCodes, { refreshTokens: storage.refreshTokens }), 'PT1H');
 * ```
 */
export class SqliteAuthCodeRepository implements AuthCodeRepository {
  constructor(
    private readonly sql: SqliteStatements,
    /** Where `redeem` stores the tokens: the same database's token repositories. */
    readonly issuedInto: IssuedTokenRepositories = { accessTokens: new SqliteAccessTokenRepository(sql), refreshTokens: new SqliteRefreshTokenRepository(sql) },
  ) {}
  async save(r: AuthCodeRecord): Promise<void> {
    return this.sql.write(
      `INSERT INTO grantry_auth_codes (id, family_id, client_id, user_id, scopes, redirect_uri, code_challenge,
         code_challenge_method, expires_at, dpop_jkt, resources) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
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
    const row = this.sql.get('SELECT * FROM grantry_auth_codes WHERE id = ?').get(id) as Row | undefined;
    return row && toAuthCode(row);
  }
  consume(id: string): Promise<ConsumeResult<AuthCodeRecord>> {
    return this.sql.batch(() => this.#consume(id));
  }
  /** One transaction (a savepoint in this turn's batch): the conditional UPDATE, then the INSERTs if it matched. */
  redeem(id: string, tokens: IssuedTokens): Promise<ConsumeResult<AuthCodeRecord>> {
    return atomically(this.sql, () => {
      const result = this.#consume(id);
      if (result.status === 'consumed') writeIssued(this.sql, tokens);
      return result;
    });
  }
  #consume(id: string): ConsumeResult<AuthCodeRecord> {
    const row = this.sql
      .get('UPDATE grantry_auth_codes SET consumed = 1 WHERE id = ? AND consumed = 0 AND revoked = 0 RETURNING *')
      .get(id) as Row | undefined;
    if (row) return { status: 'consumed', record: plainAuthCode(toAuthCode(row)) };
    const found = this.sql.get('SELECT * FROM grantry_auth_codes WHERE id = ?').get(id) as Row | undefined;
    if (!found) return { status: 'not_found' };
    const code = toAuthCode(found);
    return { status: code.consumed ? 'reused' : 'revoked', record: plainAuthCode(code) };
  }
  async revoke(id: string): Promise<void> {
    return this.sql.write('UPDATE grantry_auth_codes SET revoked = 1 WHERE id = ?', [id]);
  }
  async isRevoked(id: string): Promise<boolean> {
    const row = this.sql.get('SELECT revoked FROM grantry_auth_codes WHERE id = ?').get(id) as Row | undefined;
    return row !== undefined && Number(row.revoked) === 1;
  }
}

/**
 * Device codes in SQLite; `poll` runs in an immediate transaction, `decide` is one conditional `UPDATE`.
 *
 * @example
 * ```ts
 * const storage = openSqliteStorage({ filename: 'grantry.db' });
 * server.enableGrantType(new DeviceCodeGrant(storage.deviceCodes), 'PT1H');
 * ```
 */
export class SqliteDeviceCodeRepository implements DeviceCodeRepository {
  constructor(private readonly sql: SqliteStatements) {}
  async save(r: DeviceCodeRecord): Promise<void> {
    return this.sql.write(
      `INSERT INTO grantry_device_codes (id, user_code, client_id, scopes, expires_at, poll_interval, last_polled_at, status, user_id, resources)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [r.id, r.userCode, r.clientId, joinScopes(r.scopes), r.expiresAt, r.interval, r.lastPolledAt ?? null, r.status, r.userId ?? null, joinResources(r.resources)],
    );
  }
  async findByUserCode(userCode: string): Promise<DeviceCodeRecord | undefined> {
    const row = this.sql.get('SELECT * FROM grantry_device_codes WHERE user_code = ?').get(userCode) as Row | undefined;
    return row && toDeviceCode(row);
  }
  async decide(userCode: string, decision: { approved: boolean; userId: string | undefined }, now: number): Promise<boolean> {
    const result = this.sql
      .get(`UPDATE grantry_device_codes SET status = ?, user_id = ? WHERE user_code = ? AND status = 'pending' AND expires_at > ?`)
      .run(decision.approved ? 'approved' : 'denied', decision.userId ?? null, userCode, now);
    return result.changes === 1;
  }
  async poll(id: string, now: number, clientId?: string): Promise<DevicePollResult> {
    const poll = this.sql.db.transaction((): DevicePollResult => {
      const row = this.sql.get('SELECT * FROM grantry_device_codes WHERE id = ?').get(id) as Row | undefined;
      if (!row) return { status: 'not_found' };
      const { next, result } = pollDeviceCode(toDeviceCode(row), now, clientId);
      this.sql
        .get('UPDATE grantry_device_codes SET last_polled_at = ?, poll_interval = ?, status = ? WHERE id = ?')
        .run(next.lastPolledAt ?? null, next.interval, next.status, id);
      return result;
    });
    return poll.immediate();
  }
}
