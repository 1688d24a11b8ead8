import type { AccessTokenRecord, RefreshTokenRecord } from '../../contracts/repositories.js';
import { accessTokenColumns, refreshTokenColumns } from '../sql/rows.js';
import type { PostgresQueries } from './postgres-queries.js';

interface Pending<R> {
  readonly record: R;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

const INSERT_ACCESS = 'INSERT INTO grantry_access_tokens (id, client_id, user_id, scopes, expires_at, family_id, claims) VALUES ($1, $2, $3, $4, $5, $6, $7)';
const INSERT_REFRESH = `INSERT INTO grantry_refresh_tokens (id, family_id, client_id, user_id, scopes, expires_at, access_token_id, auth_time, dpop_jkt, resources)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`;
// One statement (one round trip, one transaction) for a token response's access and refresh token.
const INSERT_PAIR = `WITH a AS (INSERT INTO grantry_access_tokens (id, client_id, user_id, scopes, expires_at, family_id, claims)
    VALUES ($1, $2, $3, $4, $5, $6, $7))
  INSERT INTO grantry_refresh_tokens (id, family_id, client_id, user_id, scopes, expires_at, access_token_id, auth_time, dpop_jkt, resources)
  VALUES ($8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`;
// The same, with the revocation of the access token a rotation replaces (RFC 9700 §4.14.2 rotation).
const INSERT_PAIR_REVOKE = `WITH r AS (UPDATE grantry_access_tokens SET revoked = true WHERE id = $18),
  a AS (INSERT INTO grantry_access_tokens (id, client_id, user_id, scopes, expires_at, family_id, claims)
    VALUES ($1, $2, $3, $4, $5, $6, $7))
  INSERT INTO grantry_refresh_tokens (id, family_id, client_id, user_id, scopes, expires_at, access_token_id, auth_time, dpop_jkt, resources)
  VALUES ($8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`;
const REVOKE_ACCESS = 'UPDATE grantry_access_tokens SET revoked = true WHERE id = ANY($1::text[])';


/**
 * Saves access and refresh tokens and revokes access tokens, gathering what one turn of the event loop asks for:
 * a refresh token and the access token it names (every token response) go in one statement, together with one
 * pending access-token revocation (a rotation revokes the old access token); remaining revocations go in one
 * statement; anything else alone. Every promise settles after its statement has committed.
 *
 * @example
 * ```ts
 * await Promise.all([writer.revokeAccess(oldJti), writer.saveAccess(at), writer.saveRefresh(rt)]); // one round trip
 * ```
 */
export class PostgresTokenWriter {
  #access: Pending<AccessTokenRecord>[] = [];
  #refresh: Pending<RefreshTokenRecord>[] = [];
  #revoke: Pending<string>[] = [];
  #scheduled = false;
  constructor(private readonly sql: PostgresQueries) {}

  revokeAccess(id: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#revoke.push({ record: id, resolve, reject });
      this.#schedule();
    });
  }

  saveAccess(record: AccessTokenRecord): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#access.push({ record, resolve, reject });
      this.#schedule();
    });
  }

  saveRefresh(record: RefreshTokenRecord): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#refresh.push({ record, resolve, reject });
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => this.#flush());
  }

  #flush(): void {
    this.#scheduled = false;
    const access = new Map(this.#access.map((p) => [p.record.id, p]));
    const refresh = this.#refresh;
    const revoke = this.#revoke;
    this.#access = [];
    this.#refresh = [];
    this.#revoke = [];
    for (const rt of refresh) {
      const at = rt.record.accessTokenId === undefined ? undefined : access.get(rt.record.accessTokenId);
      if (!at) {
        settle(this.sql.count(INSERT_REFRESH, refreshTokenColumns(rt.record)), rt);
        continue;
      }
      access.delete(at.record.id);
      const params = [...accessTokenColumns(at.record), ...refreshTokenColumns(rt.record)];
      const old = revoke.pop();
      if (old) settle(this.sql.count(INSERT_PAIR_REVOKE, [...params, old.record]), at, rt, old);
      else settle(this.sql.count(INSERT_PAIR, params), at, rt);
    }
    for (const at of access.values()) settle(this.sql.count(INSERT_ACCESS, accessTokenColumns(at.record)), at);
    if (revoke.length > 0) settle(this.sql.count(REVOKE_ACCESS, [revoke.map((p) => p.record)]), ...revoke);
  }
}

function settle(done: Promise<unknown>, ...pending: Pending<unknown>[]): void {
  done.then(
    () => pending.forEach((p) => p.resolve()),
    (error: unknown) => pending.forEach((p) => p.reject(error)),
  );
}
