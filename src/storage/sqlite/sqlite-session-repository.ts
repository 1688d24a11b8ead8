import type { SessionRecord, SessionRepository } from '../session-repository.js';
import { toSession, type Row } from '../sql/rows.js';
import type { SqliteStatements } from './sqlite-statements.js';

/**
 * Sessions in SQLite, keyed by the SHA-256 of the session id.
 *
 * @example
 * ```ts
 * const storage = openSqliteStorage({ filename: 'grantry.db' });
 * await storage.migrate();
 * await storage.sessions.find(hashedId); // the session, until sign-out, user deletion or clean-up
 * ```
 */
export class SqliteSessionRepository implements SessionRepository {
  constructor(private readonly sql: SqliteStatements) {}
  save(r: SessionRecord): Promise<void> {
    return this.sql.write('INSERT INTO grantry_sessions (id, user_id, username, created_at, expires_at) VALUES (?, ?, ?, ?, ?)', [
      r.id,
      r.userId,
      r.username ?? null,
      r.createdAt,
      r.expiresAt,
    ]);
  }
  async find(id: string): Promise<SessionRecord | undefined> {
    const row = this.sql.get('SELECT * FROM grantry_sessions WHERE id = ?').get(id) as Row | undefined;
    return row && toSession(row);
  }
  delete(id: string): Promise<void> {
    return this.sql.write('DELETE FROM grantry_sessions WHERE id = ?', [id]);
  }
  deleteByUser(userId: string): Promise<number> {
    const statement = this.sql.get('DELETE FROM grantry_sessions WHERE user_id = ?');
    return this.sql.batch(() => statement.run(userId).changes);
  }
}
