import type { AccessTokenRecord, RefreshTokenRecord } from '../repositories.js';
import { joinScopes } from '../sql/rows.js';
import type { PostgresQueries, SqlParam } from './postgres-queries.js';

interface Pending<R> {
  readonly record: R;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

const INSERT_ACCESS = 'INSERT INTO grantry_access_tokens (id, client_id, user_id, scopes, expires_at, family_id) VALUES ($1, $2, $3, $4, $5, $6)';
const INSERT_REFRESH = `INSERT INTO grantry_refresh_tokens (id, family_id, client_id, user_id, scopes, expires_at, access_token_id)
  VALUES ($1, $2, $3, $4, $5, $6, $7)`;
// One statement (one round trip, one transaction) for a token response's access and refresh token.
const INSERT_PAIR = `WITH a AS (INSERT INTO grantry_access_tokens (id, client_id, user_id, scopes, expires_at, family_id)
    VALUES ($1, $2, $3, $4, $5, $6))
  INSERT INTO grantry_refresh_tokens (id, family_id, client_id, user_id, scopes, expires_at, access_token_id)
  VALUES ($7, $8, $9, $10, $11, $12, $13)`;

const accessParams = (r: AccessTokenRecord): SqlParam[] => [r.id, r.clientId, r.userId ?? null, joinScopes(r.scopes), r.expiresAt, r.familyId ?? null];
const refreshParams = (r: RefreshTokenRecord): SqlParam[] => [
  r.id,
  r.familyId,
  r.clientId,
  r.userId ?? null,
  joinScopes(r.scopes),
  r.expiresAt,
  r.accessTokenId ?? null,
];

/**
 * Saves access and refresh tokens. A refresh token saved in the same tick as the access token it names (as every
 * token response does) goes in one statement with it; anything else goes alone.
 *
 * @example
 * ```ts
 * await Promise.all([writer.saveAccess(at), writer.saveRefresh(rt)]); // one round trip
 * ```
 */
export class PostgresTokenWriter {
  #access: Pending<AccessTokenRecord>[] = [];
  #refresh: Pending<RefreshTokenRecord>[] = [];
  #scheduled = false;
  constructor(private readonly sql: PostgresQueries) {}

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
    queueMicrotask(() => this.#flush());
  }

  #flush(): void {
    this.#scheduled = false;
    const access = new Map(this.#access.map((p) => [p.record.id, p]));
    const refresh = this.#refresh;
    this.#access = [];
    this.#refresh = [];
    for (const rt of refresh) {
      const at = rt.record.accessTokenId === undefined ? undefined : access.get(rt.record.accessTokenId);
      if (at) {
        access.delete(at.record.id);
        settle(this.sql.count(INSERT_PAIR, [...accessParams(at.record), ...refreshParams(rt.record)]), at, rt);
      } else {
        settle(this.sql.count(INSERT_REFRESH, refreshParams(rt.record)), rt);
      }
    }
    for (const at of access.values()) settle(this.sql.count(INSERT_ACCESS, accessParams(at.record)), at);
  }
}

function settle(done: Promise<unknown>, ...pending: Pending<unknown>[]): void {
  done.then(
    () => pending.forEach((p) => p.resolve()),
    (error: unknown) => pending.forEach((p) => p.reject(error)),
  );
}
