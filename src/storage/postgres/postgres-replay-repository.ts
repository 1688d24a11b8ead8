import type { ReplayRepository } from '../../contracts/replay-repository.js';
import type { PostgresQueries } from './postgres-queries.js';

/**
 * {@link ReplayRepository} on PostgreSQL (`grantry_replays`, migration 8): one `INSERT … ON CONFLICT` that inserts
 * the identifier, or takes over an expired row, and changes nothing while a live row holds it. Concurrent callers
 * (other instances included) wait on the row's lock, so exactly one of them succeeds.
 *
 * @example
 * ```ts
 * const storage = await openPostgresStorage({ connectionString: process.env.DATABASE_URL! });
 * await storage.replays.useOnce('dpop', jti, Date.now() + 60_000); // true, then false
 * ```
 */
export class PostgresReplayRepository implements ReplayRepository {
  constructor(private readonly sql: PostgresQueries) {}

  async useOnce(namespace: string, id: string, expiresAt: number): Promise<boolean> {
    const changed = await this.sql.count(
      `INSERT INTO grantry_replays (namespace, id, expires_at) VALUES ($1, $2, $3)
       ON CONFLICT (namespace, id) DO UPDATE SET expires_at = EXCLUDED.expires_at WHERE grantry_replays.expires_at <= $4`,
      [namespace, id, expiresAt, Date.now()],
    );
    return changed === 1;
  }
}
