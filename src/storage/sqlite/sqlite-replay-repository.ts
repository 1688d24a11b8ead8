import type { ReplayRepository } from '../../contracts/replay-repository.js';
import type { SqliteStatements } from './sqlite-statements.js';

/**
 * {@link ReplayRepository} on SQLite (`grantry_replays`, migration 8): one upsert that inserts the identifier, or
 * takes over an expired row, and changes nothing while a live row holds it; SQLite's write lock makes it atomic.
 *
 * @example
 * ```ts
 * const storage = openSqliteStorage({ filename: 'grantry.db' });
 * await storage.migrate();
 * await storage.replays.useOnce('dpop', jti, Date.now() + 60_000); // true, then false
 * ```
 */
export class SqliteReplayRepository implements ReplayRepository {
  constructor(private readonly sql: SqliteStatements) {}

  useOnce(namespace: string, id: string, expiresAt: number): Promise<boolean> {
    const statement = this.sql.get(
      `INSERT INTO grantry_replays (namespace, id, expires_at) VALUES (?, ?, ?)
       ON CONFLICT (namespace, id) DO UPDATE SET expires_at = excluded.expires_at WHERE grantry_replays.expires_at <= ?`,
    );
    return this.sql.batch(() => statement.run(namespace, id, expiresAt, Date.now()).changes === 1);
  }
}
