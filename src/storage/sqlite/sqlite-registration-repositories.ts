import type {
  ClientRegistration,
  ClientRegistrationRepository,
  InitialAccessTokenRecord,
  InitialAccessTokenRepository,
} from '../../contracts/client-registration-repository.js';
import type { Client } from '../../contracts/types.js';
import { checkClient } from '../check-client.js';
import { clientColumns, toClientRegistration, toInitialAccessToken, type Row, insertClientSql, updateClientSql } from '../sql/rows.js';
import { DuplicateRecordError, type StorageAdmin } from '../storage-admin.js';
import type { SqliteStatements } from './sqlite-statements.js';

const isUniqueViolation = (e: unknown): boolean =>
  typeof e === 'object' && e !== null && 'code' in e && String(e.code).startsWith('SQLITE_CONSTRAINT');

/**
 * Clients that registered themselves (RFC 7591) in SQLite: the client row (`origin = 'registration'`) and its
 * `grantry_client_registrations` row are written in one transaction.
 *
 * @example
 * ```ts
 * const storage = openSqliteStorage({ filename: 'grantry.db' });
 * await storage.migrate();
 * await storage.registrations.find(clientId); // { clientId, accessTokenHash, metadata, issuedAt }
 * ```
 */
export class SqliteClientRegistrationRepository implements ClientRegistrationRepository {
  constructor(
    private readonly sql: SqliteStatements,
    private readonly admin: Pick<StorageAdmin, 'deleteClient'>,
  ) {}

  async register(client: Client, r: ClientRegistration): Promise<void> {
    checkClient(client);
    const run = this.sql.db.transaction(() => {
      this.sql
        .get(insertClientSql(() => '?', ['created_at', 'origin']))
        .run(...clientColumns(client), r.issuedAt, 'registration');
      this.sql
        .get('INSERT INTO grantry_client_registrations (client_id, access_token_hash, metadata, issued_at) VALUES (?, ?, ?, ?)')
        .run(client.id, r.accessTokenHash, JSON.stringify(r.metadata), r.issuedAt);
    });
    try {
      run.immediate();
    } catch (e) {
      throw isUniqueViolation(e) ? new DuplicateRecordError('client', client.id) : e;
    }
  }

  async find(clientId: string): Promise<ClientRegistration | undefined> {
    const row = this.sql.get('SELECT * FROM grantry_client_registrations WHERE client_id = ?').get(clientId) as Row | undefined;
    return row && toClientRegistration(row);
  }

  async update(client: Client, r: ClientRegistration): Promise<boolean> {
    checkClient(client);
    const [id, ...rest] = clientColumns(client);
    const run = this.sql.db.transaction(() => {
      const changed = this.sql
        .get(updateClientSql(() => '?', " AND origin = 'registration'"))
        .run(...rest, id).changes;
      if (changed !== 1) return false;
      return (
        this.sql
          .get('UPDATE grantry_client_registrations SET access_token_hash = ?, metadata = ? WHERE client_id = ?')
          .run(r.accessTokenHash, JSON.stringify(r.metadata), id).changes === 1
      );
    });
    return run.immediate();
  }

  async delete(clientId: string): Promise<boolean> {
    if (!(await this.find(clientId))) return false;
    // The admin deletes the client, its registration and its grants in one transaction.
    return this.admin.deleteClient(clientId);
  }
}

/**
 * Initial access tokens in SQLite (`grantry_initial_access_tokens`); `use` is one `UPDATE … WHERE` uses are left.
 *
 * @example
 * ```ts
 * const storage = openSqliteStorage({ filename: 'grantry.db' });
 * await storage.initialAccessTokens.list(); // oldest first, hashes only
 * ```
 */
export class SqliteInitialAccessTokenRepository implements InitialAccessTokenRepository {
  constructor(private readonly sql: SqliteStatements) {}

  save(r: InitialAccessTokenRecord): Promise<void> {
    return this.sql.write(
      'INSERT INTO grantry_initial_access_tokens (id, description, created_at, expires_at, uses_left) VALUES (?, ?, ?, ?, ?)',
      [r.id, r.description ?? null, r.createdAt, r.expiresAt ?? null, r.usesLeft ?? null],
    );
  }

  use(id: string, now: number): Promise<boolean> {
    const statement = this.sql.get(
      `UPDATE grantry_initial_access_tokens SET uses_left = uses_left - 1
       WHERE id = ? AND (expires_at IS NULL OR expires_at > ?) AND (uses_left IS NULL OR uses_left > 0)`,
    );
    return this.sql.batch(() => statement.run(id, now).changes === 1);
  }

  async list(): Promise<InitialAccessTokenRecord[]> {
    return (this.sql.get('SELECT * FROM grantry_initial_access_tokens ORDER BY created_at, id').all() as Row[]).map(toInitialAccessToken);
  }

  delete(id: string): Promise<boolean> {
    const statement = this.sql.get('DELETE FROM grantry_initial_access_tokens WHERE id = ?');
    return this.sql.batch(() => statement.run(id).changes === 1);
  }
}
