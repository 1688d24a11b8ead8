import type { ConsentRepository, RememberedConsent } from '../consent-repository.js';
import { joinScopes, toConsent, type Row } from '../sql/rows.js';
import type { SqliteStatements } from './sqlite-statements.js';

/**
 * Remembered consents in SQLite (`grantry_consents`) and the clients that never remember (`grantry_consent_opt_outs`).
 *
 * @example
 * ```ts
 * const storage = openSqliteStorage({ filename: 'grantry.db' });
 * await storage.migrate();
 * await storage.consents.listByUser('user-42'); // what the account page lists
 * ```
 */
export class SqliteConsentRepository implements ConsentRepository {
  constructor(private readonly sql: SqliteStatements) {}
  remember(c: RememberedConsent): Promise<void> {
    return this.sql.write(
      `INSERT INTO grantry_consents (user_id, client_id, scopes, created_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (user_id, client_id) DO UPDATE SET scopes = excluded.scopes, created_at = excluded.created_at`,
      [c.userId, c.clientId, joinScopes(c.scopes), c.createdAt],
    );
  }
  async find(userId: string, clientId: string): Promise<RememberedConsent | undefined> {
    const row = this.sql.get('SELECT * FROM grantry_consents WHERE user_id = ? AND client_id = ?').get(userId, clientId) as Row | undefined;
    return row && toConsent(row);
  }
  async listByUser(userId: string): Promise<RememberedConsent[]> {
    const rows = this.sql.get('SELECT * FROM grantry_consents WHERE user_id = ? ORDER BY client_id').all(userId) as Row[];
    return rows.map(toConsent);
  }
  revoke(userId: string, clientId: string): Promise<boolean> {
    const statement = this.sql.get('DELETE FROM grantry_consents WHERE user_id = ? AND client_id = ?');
    return this.sql.batch(() => statement.run(userId, clientId).changes > 0);
  }
  setRememberAllowed(clientId: string, allowed: boolean): Promise<void> {
    const remove = this.sql.get('DELETE FROM grantry_consent_opt_outs WHERE client_id = ?');
    const add = this.sql.get('INSERT INTO grantry_consent_opt_outs (client_id) VALUES (?) ON CONFLICT DO NOTHING');
    const forget = this.sql.get('DELETE FROM grantry_consents WHERE client_id = ?');
    return this.sql.batch(() => {
      if (allowed) return void remove.run(clientId);
      add.run(clientId);
      forget.run(clientId);
    });
  }
  async rememberAllowed(clientId: string): Promise<boolean> {
    return this.sql.get('SELECT 1 FROM grantry_consent_opt_outs WHERE client_id = ?').get(clientId) === undefined;
  }
}
