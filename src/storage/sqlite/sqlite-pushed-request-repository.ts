import type {
  PushedAuthorizationRequestRecord,
  PushedAuthorizationRequestRepository,
} from '../../contracts/pushed-authorization-request-repository.js';
import { toPushedRequest, type Row } from '../sql/rows.js';
import type { SqliteStatements } from './sqlite-statements.js';

/**
 * Pushed authorization requests (RFC 9126) in SQLite; `consume` is one conditional UPDATE.
 *
 * @example
 * ```ts
 * const storage = openSqliteStorage({ filename: 'grantry.db' });
 * await storage.pushedAuthorizationRequests.consume(id); // true once
 * ```
 */
export class SqlitePushedRequestRepository implements PushedAuthorizationRequestRepository {
  constructor(private readonly sql: SqliteStatements) {}
  save(r: PushedAuthorizationRequestRecord): Promise<void> {
    return this.sql.write('INSERT INTO grantry_pushed_requests (id, client_id, params, expires_at) VALUES (?, ?, ?, ?)', [
      r.id,
      r.clientId,
      JSON.stringify(r.params),
      r.expiresAt,
    ]);
  }
  async find(id: string): Promise<(PushedAuthorizationRequestRecord & { consumed: boolean }) | undefined> {
    const row = this.sql.get('SELECT * FROM grantry_pushed_requests WHERE id = ?').get(id) as Row | undefined;
    return row && toPushedRequest(row);
  }
  consume(id: string): Promise<boolean> {
    const statement = this.sql.get('UPDATE grantry_pushed_requests SET consumed = 1 WHERE id = ? AND consumed = 0');
    return this.sql.batch(() => statement.run(id).changes === 1);
  }
}
