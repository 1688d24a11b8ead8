import type { ConsentRepository, RememberedConsent } from '../consent-repository.js';
import { joinScopes, toConsent } from '../sql/rows.js';
import type { PostgresQueries } from './postgres-queries.js';

/**
 * Remembered consents in PostgreSQL (`grantry_consents`) and the clients that never remember
 * (`grantry_consent_opt_outs`): every instance sees a revocation with its next request.
 *
 * @example
 * ```ts
 * const storage = openPostgresStorage({ connectionString: process.env.DATABASE_URL! });
 * await storage.migrate();
 * await storage.consents.revoke('user-42', 'app');
 * ```
 */
export class PostgresConsentRepository implements ConsentRepository {
  constructor(private readonly sql: PostgresQueries) {}
  async remember(c: RememberedConsent): Promise<void> {
    await this.sql.count(
      `INSERT INTO grantry_consents (user_id, client_id, scopes, created_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (user_id, client_id) DO UPDATE SET scopes = excluded.scopes, created_at = excluded.created_at`,
      [c.userId, c.clientId, joinScopes(c.scopes), c.createdAt],
    );
  }
  async find(userId: string, clientId: string): Promise<RememberedConsent | undefined> {
    const row = await this.sql.row('SELECT * FROM grantry_consents WHERE user_id = $1 AND client_id = $2', [userId, clientId]);
    return row && toConsent(row);
  }
  async listByUser(userId: string): Promise<RememberedConsent[]> {
    return (await this.sql.rows('SELECT * FROM grantry_consents WHERE user_id = $1 ORDER BY client_id', [userId])).map(toConsent);
  }
  async revoke(userId: string, clientId: string): Promise<boolean> {
    return (await this.sql.count('DELETE FROM grantry_consents WHERE user_id = $1 AND client_id = $2', [userId, clientId])) > 0;
  }
  async setRememberAllowed(clientId: string, allowed: boolean): Promise<void> {
    if (allowed) {
      await this.sql.count('DELETE FROM grantry_consent_opt_outs WHERE client_id = $1', [clientId]);
      return;
    }
    // One statement, so that no consent is remembered between the two changes.
    await this.sql.count(
      `WITH opt_out AS (INSERT INTO grantry_consent_opt_outs (client_id) VALUES ($1) ON CONFLICT DO NOTHING)
       DELETE FROM grantry_consents WHERE client_id = $1`,
      [clientId],
    );
  }
  async rememberAllowed(clientId: string): Promise<boolean> {
    return (await this.sql.row('SELECT 1 AS one FROM grantry_consent_opt_outs WHERE client_id = $1', [clientId])) === undefined;
  }
}
