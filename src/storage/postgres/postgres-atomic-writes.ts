import type { IssuedTokens } from '../../contracts/repositories.js';
import { accessTokenColumns, refreshTokenColumns } from '../sql/rows.js';
import type { SqlParam } from './postgres-queries.js';

/**
 * The statements that spend a refresh token or a code and store the tokens issued for it in one step. Each is one
 * statement of data-modifying CTEs: the spend (`UPDATE … RETURNING`) feeds the `INSERT … SELECT … FROM spent`, so
 * the tokens are stored only if this caller spent the token, and a failing insert (a constraint violation) aborts
 * the statement, spend included. One round trip, one implicit transaction.
 */

const FAMILY_LIVE = 'NOT EXISTS (SELECT 1 FROM grantry_revoked_families f WHERE f.family_id = t.family_id)';

/**
 * The CTEs that store `IssuedTokens` for each row of `source`, with parameters `$base` … `$base+17` (the access
 * token's claims last, `$base+17`, so that the numbers before it stay those of the statements that use them).
 */
function issuedCtes(source: string, base: number): string {
  const p = (i: number): string => `$${base + i}`;
  return `old_at AS (UPDATE grantry_access_tokens SET revoked = true WHERE id = ${p(16)}::text AND EXISTS (SELECT 1 FROM ${source})),
  new_at AS (INSERT INTO grantry_access_tokens (id, client_id, user_id, scopes, expires_at, family_id, claims)
    SELECT ${p(0)}::text, ${p(1)}::text, ${p(2)}::text, ${p(3)}::text, ${p(4)}::bigint, ${p(5)}::text, ${p(17)}::text FROM ${source} WHERE ${p(0)}::text IS NOT NULL),
  new_rt AS (INSERT INTO grantry_refresh_tokens (id, family_id, client_id, user_id, scopes, expires_at, access_token_id, auth_time, dpop_jkt, resources)
    SELECT ${p(6)}::text, ${p(7)}::text, ${p(8)}::text, ${p(9)}::text, ${p(10)}::text, ${p(11)}::bigint, ${p(12)}::text, ${p(13)}::bigint, ${p(14)}::text, ${p(15)}::text FROM ${source} WHERE ${p(6)}::text IS NOT NULL)`;
}

const none = (n: number): null[] => Array.from({ length: n }, () => null);

/** The 18 parameters of {@link issuedCtes}. */
export function issuedParams(next: IssuedTokens): SqlParam[] {
  const access = next.accessToken ? accessTokenColumns(next.accessToken) : none(7);
  return [
    ...access.slice(0, 6),
    ...(next.refreshToken ? refreshTokenColumns(next.refreshToken) : none(10)),
    next.revokeAccessTokenId ?? null,
    access[6] ?? null,
  ];
}

/**
 * Rotation: `$1` id, `$2` now, then {@link issuedParams}. Returns the spent row, or none (reused, revoked, unknown).
 * Under READ COMMITTED a concurrent spend of the row waits for the first and re-checks `NOT consumed` on the
 * committed version: exactly one caller gets the row, and only its tokens are stored.
 */
export const ROTATE_SQL = (columns: string): string => `WITH spent AS (
    UPDATE grantry_refresh_tokens t SET consumed = true, spent_at = $2, successor_id = $9
    WHERE t.id = $1 AND NOT t.consumed AND NOT t.revoked AND ${FAMILY_LIVE}
    RETURNING ${columns}),
  ${issuedCtes('spent', 3)}
  SELECT * FROM spent`;

/**
 * The parent of a retry within the grace window, locked (`$1` id, `$2` the earliest spend that is still within
 * the window): concurrent retries of one token wait here for each other, so each sees the successor stored by
 * the one before. Runs in a transaction with {@link REPLACE_SUCCESSOR_SQL}.
 */
export const LOCK_PARENT_SQL = `SELECT t.successor_id FROM grantry_refresh_tokens t
  WHERE t.id = $1 AND t.consumed AND NOT t.revoked AND t.spent_at > $2 AND t.successor_id IS NOT NULL AND ${FAMILY_LIVE}
  FOR UPDATE OF t`;

/**
 * A retry within the grace window (`$1` the parent's id, `$2` the successor's id, then {@link issuedParams}): the
 * successor, if still unused, is revoked with its access token, and the new pair stored and made the successor.
 * A successor spent meanwhile (its row lock is waited for and re-checked) matches nothing: nothing is stored.
 */
export const REPLACE_SUCCESSOR_SQL = `WITH gone AS (
    UPDATE grantry_refresh_tokens SET revoked = true WHERE id = $2 AND NOT consumed AND NOT revoked RETURNING id, access_token_id),
  gone_at AS (UPDATE grantry_access_tokens a SET revoked = true FROM gone WHERE a.id = gone.access_token_id),
  moved AS (UPDATE grantry_refresh_tokens t SET successor_id = $9 FROM gone WHERE t.id = $1),
  ${issuedCtes('gone', 3)}
  SELECT id FROM gone`;

/** Redemption: `$1` id, then {@link issuedParams}. Returns the spent code, or none. */
export const REDEEM_SQL = (columns: string): string => `WITH spent AS (
    UPDATE grantry_auth_codes t SET consumed = true WHERE t.id = $1 AND NOT t.consumed AND NOT t.revoked RETURNING ${columns}),
  ${issuedCtes('spent', 2)}
  SELECT * FROM spent`;
