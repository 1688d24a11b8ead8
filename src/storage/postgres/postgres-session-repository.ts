import type { SessionRecord, SessionRepository } from '../session-repository.js';
import { toSession } from '../sql/rows.js';
import type { PostgresQueries } from './postgres-queries.js';

/**
 * Sessions in PostgreSQL, keyed by the SHA-256 of the session id: every instance on the database sees a sign-in
 * or a sign-out with its next request.
 *
 * @example
 * ```ts
 * const storage = openPostgresStorage({ connectionString: process.env.DATABASE_URL! });
 * await storage.migrate();
 * await storage.sessions.delete(hashedId); // sign-out, seen by every instance
 * ```
 */
export class PostgresSessionRepository implements SessionRepository {
  constructor(private readonly sql: PostgresQueries) {}
  async save(r: SessionRecord): Promise<void> {
    await this.sql.count('INSERT INTO grantry_sessions (id, user_id, username, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)', [
      r.id,
      r.userId,
      r.username ?? null,
      r.createdAt,
      r.expiresAt,
    ]);
  }
  async find(id: string): Promise<SessionRecord | undefined> {
    const row = await this.sql.row('SELECT id, user_id, username, created_at, expires_at FROM grantry_sessions WHERE id = $1', [id]);
    return row && toSession(row);
  }
  async delete(id: string): Promise<void> {
    await this.sql.count('DELETE FROM grantry_sessions WHERE id = $1', [id]);
  }
  async deleteByUser(userId: string): Promise<number> {
    return this.sql.count('DELETE FROM grantry_sessions WHERE user_id = $1', [userId]);
  }
}
