/**
 * The statements that end what a user or a client was granted, shared by the SQL engines: their refresh-token and
 * code families are marked revoked (so a rotation in flight saves a revoked token), their refresh tokens, access
 * tokens and codes are revoked, approved device codes not yet picked up are denied, a user's sessions end, and remembered consents are forgotten.
 * Run in the transaction that deletes the user or client. Internal (exported with the storage engines).
 *
 * @example
 * ```ts
 * for (const [sql, values] of revokeOwnedSql('user', userId, Date.now(), () => '?')) db.prepare(sql).run(...values);
 * ```
 */
export function revokeOwnedSql(
  owner: 'user' | 'client',
  id: string,
  now: number,
  placeholder: (n: number) => string,
): [sql: string, values: (string | number)[]][] {
  const col = owner === 'user' ? 'user_id' : 'client_id';
  const [p1, p2] = [placeholder(1), placeholder(2)];
  const markFamilies = (table: string): [string, (string | number)[]] => [
    `INSERT INTO grantry_revoked_families (family_id, revoked_at)
     SELECT DISTINCT family_id, CAST(${p1} AS BIGINT) FROM ${table} WHERE ${col} = ${p2} ON CONFLICT DO NOTHING`,
    [now, id],
  ];
  const statements: [string, (string | number)[]][] = [
    markFamilies('grantry_refresh_tokens'),
    markFamilies('grantry_auth_codes'),
    [`UPDATE grantry_refresh_tokens SET revoked = TRUE WHERE ${col} = ${p1}`, [id]],
    [`UPDATE grantry_access_tokens SET revoked = TRUE WHERE ${col} = ${p1}`, [id]],
    [`UPDATE grantry_auth_codes SET revoked = TRUE WHERE ${col} = ${p1}`, [id]],
    [`UPDATE grantry_device_codes SET status = 'denied' WHERE ${col} = ${p1} AND status = 'approved'`, [id]],
  ];
  if (owner === 'user') statements.push([`DELETE FROM grantry_sessions WHERE user_id = ${p1}`, [id]]);
  // What the user said "remember" to is gone with the user or the client; so is the client's opt-out.
  statements.push([`DELETE FROM grantry_consents WHERE ${col} = ${p1}`, [id]]);
  if (owner === 'client') statements.push([`DELETE FROM grantry_consent_opt_outs WHERE client_id = ${p1}`, [id]]);
  // A client that registered itself (RFC 7591): its registration, and with it its registration access token, ends too.
  if (owner === 'client') statements.push([`DELETE FROM grantry_client_registrations WHERE client_id = ${p1}`, [id]]);
  return statements;
}
