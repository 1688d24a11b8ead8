import type {
  PushedAuthorizationRequestRecord,
  PushedAuthorizationRequestRepository,
} from '../../contracts/pushed-authorization-request-repository.js';
import { toPushedRequest } from '../sql/rows.js';
import { hasNul, type PostgresQueries } from './postgres-queries.js';

/**
 * Pushed authorization requests (RFC 9126) in PostgreSQL; `consume` is one conditional UPDATE, so two instances
 * racing on one `request_uri` cannot both use it.
 *
 * @example
 * ```ts
 * const storage = openPostgresStorage({ connectionString: process.env.DATABASE_URL! });
 * await storage.pushedAuthorizationRequests.consume(id); // true once, across instances
 * ```
 */
export class PostgresPushedRequestRepository implements PushedAuthorizationRequestRepository {
  constructor(private readonly sql: PostgresQueries) {}
  async save(r: PushedAuthorizationRequestRecord): Promise<void> {
    await this.sql.count('INSERT INTO grantry_pushed_requests (id, client_id, params, expires_at) VALUES ($1, $2, $3, $4)', [
      r.id,
      r.clientId,
      JSON.stringify(r.params),
      r.expiresAt,
    ]);
  }
  async find(id: string): Promise<(PushedAuthorizationRequestRecord & { consumed: boolean }) | undefined> {
    if (hasNul(id)) return undefined;
    const row = await this.sql.row('SELECT id, client_id, params, expires_at, consumed FROM grantry_pushed_requests WHERE id = $1', [id]);
    return row && toPushedRequest(row);
  }
  async consume(id: string): Promise<boolean> {
    if (hasNul(id)) return false;
    return (await this.sql.count('UPDATE grantry_pushed_requests SET consumed = true WHERE id = $1 AND NOT consumed', [id])) === 1;
  }
}
