import type {
  AccessTokenRecord,
  AccessTokenRepository,
  AuthCodeRecord,
  AuthCodeRepository,
  ConsumeResult,
  DeviceCodeRecord,
  DeviceCodeRepository,
  DevicePollResult,
  RefreshTokenRecord,
  RefreshTokenRepository,
} from '../repositories.js';
import { pollDeviceCode } from '../device-poll.js';
import { joinScopes, plainAuthCode, plainRefreshToken, toAccessToken, toAuthCode, toDeviceCode, toRefreshToken, type Row } from '../sql/rows.js';
import type { SqliteStatements } from './sqlite-statements.js';

const FAMILY_REVOKED = 'EXISTS (SELECT 1 FROM grantry_revoked_families f WHERE f.family_id = t.family_id) AS family_revoked';

/** Marks a family revoked (a set operation on its index) so that tokens saved into it later are revoked too. */
function revokeFamilyIn(sql: SqliteStatements, table: string, familyId: string): void {
  sql.db.transaction(() => {
    sql.get('INSERT INTO grantry_revoked_families (family_id, revoked_at) VALUES (?, ?) ON CONFLICT DO NOTHING').run(familyId, Date.now());
    sql.get(`UPDATE ${table} SET revoked = 1 WHERE family_id = ? AND revoked = 0`).run(familyId);
  })();
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
    return this.sql.write(
      'INSERT INTO grantry_access_tokens (id, client_id, user_id, scopes, expires_at, family_id) VALUES (?, ?, ?, ?, ?, ?)',
      [r.id, r.clientId, r.userId ?? null, joinScopes(r.scopes), r.expiresAt, r.familyId ?? null],
    );
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
  constructor(private readonly sql: SqliteStatements) {}
  async save(r: RefreshTokenRecord): Promise<void> {
    return this.sql.write(
      `INSERT INTO grantry_refresh_tokens (id, family_id, client_id, user_id, scopes, expires_at, access_token_id, auth_time)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      [r.id, r.familyId, r.clientId, r.userId ?? null, joinScopes(r.scopes), r.expiresAt, r.accessTokenId ?? null, r.authTime ?? null],
    );
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
  constructor(private readonly sql: SqliteStatements) {}
  async save(r: AuthCodeRecord): Promise<void> {
    return this.sql.write(
      `INSERT INTO grantry_auth_codes (id, family_id, client_id, user_id, scopes, redirect_uri, code_challenge,
         code_challenge_method, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
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
      `INSERT INTO grantry_device_codes (id, user_code, client_id, scopes, expires_at, poll_interval, last_polled_at, status, user_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [r.id, r.userCode, r.clientId, joinScopes(r.scopes), r.expiresAt, r.interval, r.lastPolledAt ?? null, r.status, r.userId ?? null],
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
