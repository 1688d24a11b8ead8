import type { Client, GrantType, Scope, User } from '../../contracts/types.js';
import { burnPasswordCheck, hashPassword, verifyPassword } from '../password-hash.js';
import type { ClientRepository, ScopeRepository, UserRepository } from '../../contracts/repositories.js';
import { revokeOwnedSql } from '../sql/revoke-owned-sql.js';
import { CLIENT_COLUMN_NAMES, clientColumns, toClient, toScope, type Row } from '../sql/rows.js';

const INSERT_CLIENT = `INSERT INTO grantry_clients (${CLIENT_COLUMN_NAMES.join(', ')}, created_at) VALUES (${CLIENT_COLUMN_NAMES.map(() => '?').join(', ')}, ?)`;
const UPDATE_CLIENT = `UPDATE grantry_clients SET ${CLIENT_COLUMN_NAMES.slice(1).map((c) => `${c} = ?`).join(', ')} WHERE id = ?`;
import { checkClient } from '../check-client.js';
import { DuplicateRecordError, type NewUser, type StorageAdmin } from '../storage-admin.js';
import type { SqliteStatements } from './sqlite-statements.js';

const isUniqueViolation = (e: unknown): boolean =>
  typeof e === 'object' && e !== null && 'code' in e && String(e.code).startsWith('SQLITE_CONSTRAINT');

const toUser = (row: Row): User => ({ id: String(row.id), username: String(row.username) });

/**
 * Clients read straight from SQLite on every call: an admin change is seen by the next request.
 *
 * @example
 * ```ts
 * const storage = openSqliteStorage({ filename: 'grantry.db' });
 * const client = await storage.clients.getClient('app'); // read from the file on every call
 * ```
 */
export class SqliteClientRepository implements ClientRepository {
  constructor(private readonly sql: SqliteStatements) {}
  async getClient(clientId: string): Promise<Client | undefined> {
    const row = this.sql.get('SELECT * FROM grantry_clients WHERE id = ?').get(clientId) as Row | undefined;
    return row && toClient(row);
  }
}

/**
 * Scopes in SQLite.
 *
 * @example
 * ```ts
 * const storage = openSqliteStorage({ filename: 'grantry.db' });
 * await storage.scopes.getScopes(['read', 'unknown']); // [{ id: 'read', … }]
 * ```
 */
export class SqliteScopeRepository implements ScopeRepository {
  constructor(private readonly sql: SqliteStatements) {}
  async getScopes(ids: readonly string[]): Promise<Scope[]> {
    if (ids.length === 0) return [];
    // One statement for any number of ids: the list travels as JSON.
    const rows = this.sql
      .get('SELECT s.* FROM grantry_scopes s JOIN json_each(?) j ON j.value = s.id ORDER BY j.key')
      .all(JSON.stringify(ids)) as Row[];
    return rows.map(toScope);
  }
  /** All scopes, ordered by id (for `scopes_supported` in the metadata). */
  async listScopes(): Promise<Scope[]> {
    return (this.sql.get('SELECT * FROM grantry_scopes ORDER BY id').all() as Row[]).map(toScope);
  }
}

/**
 * Users with scrypt password hashes in SQLite.
 *
 * @example
 * ```ts
 * const storage = openSqliteStorage({ filename: 'grantry.db' });
 * server.enableGrantType(new PasswordGrant(storage.users), 'PT1H'); // scrypt-checked passwords
 * ```
 */
export class SqliteUserRepository implements UserRepository {
  constructor(private readonly sql: SqliteStatements) {}
  async getUser(id: string): Promise<User | undefined> {
    const row = this.sql.get('SELECT id, username FROM grantry_users WHERE id = ?').get(id) as Row | undefined;
    return row && toUser(row);
  }
  async getUserByCredentials(username: string, password: string, _grantType: GrantType, _client: Client): Promise<User | undefined> {
    const row = this.sql.get('SELECT * FROM grantry_users WHERE username = ?').get(username) as Row | undefined;
    if (!row) {
      await burnPasswordCheck(password);
      return undefined;
    }
    return (await verifyPassword(password, String(row.password_hash))) ? toUser(row) : undefined;
  }
}

/**
 * {@link StorageAdmin} on SQLite.
 *
 * @example
 * ```ts
 * const storage = openSqliteStorage({ filename: 'grantry.db' });
 * await storage.migrate();
 * await storage.admin.createUser({ username: 'alice', password: 'correct horse battery staple' });
 * await storage.admin.listClients(); // ordered by id
 * ```
 */
export class SqliteStorageAdmin implements StorageAdmin {
  constructor(private readonly sql: SqliteStatements) {}

  async createClient(client: Client): Promise<void> {
    checkClient(client);
    try {
      this.sql
        .get(INSERT_CLIENT)
        .run(...clientColumns(client), Date.now());
    } catch (e) {
      throw isUniqueViolation(e) ? new DuplicateRecordError('client', client.id) : e;
    }
  }
  async updateClient(client: Client): Promise<boolean> {
    checkClient(client);
    const [id, ...rest] = clientColumns(client);
    const result = this.sql
      .get(UPDATE_CLIENT)
      .run(...rest, id);
    return result.changes === 1;
  }
  async getClient(id: string): Promise<Client | undefined> {
    const row = this.sql.get('SELECT * FROM grantry_clients WHERE id = ?').get(id) as Row | undefined;
    return row && toClient(row);
  }
  async listClients(): Promise<Client[]> {
    return (this.sql.get('SELECT * FROM grantry_clients ORDER BY id').all() as Row[]).map(toClient);
  }
  /** Deletes the client and, in the same transaction, revokes its tokens and codes. */
  async deleteClient(id: string): Promise<boolean> {
    return this.#deleteOwner('client', 'DELETE FROM grantry_clients WHERE id = ?', id);
  }

  async createUser(user: NewUser): Promise<User> {
    const id = user.id ?? crypto.randomUUID();
    const passwordHash = await hashPassword(user.password);
    try {
      this.sql
        .get('INSERT INTO grantry_users (id, username, password_hash, created_at) VALUES (?, ?, ?, ?)')
        .run(id, user.username, passwordHash, Date.now());
    } catch (e) {
      throw isUniqueViolation(e) ? new DuplicateRecordError('user', user.username) : e;
    }
    return { id, username: user.username };
  }
  async setUserPassword(id: string, password: string): Promise<boolean> {
    const passwordHash = await hashPassword(password);
    return this.sql.get('UPDATE grantry_users SET password_hash = ? WHERE id = ?').run(passwordHash, id).changes === 1;
  }
  async listUsers(): Promise<User[]> {
    return (this.sql.get('SELECT id, username FROM grantry_users ORDER BY username').all() as Row[]).map(toUser);
  }
  /** Deletes the user and, in the same transaction, revokes their tokens and codes and ends their sessions. */
  async deleteUser(id: string): Promise<boolean> {
    return this.#deleteOwner('user', 'DELETE FROM grantry_users WHERE id = ?', id);
  }
  #deleteOwner(owner: 'user' | 'client', deleteSql: string, id: string): boolean {
    const run = this.sql.db.transaction(() => {
      for (const [sql, values] of revokeOwnedSql(owner, id, Date.now(), () => '?')) this.sql.get(sql).run(...values);
      return this.sql.get(deleteSql).run(id).changes === 1;
    });
    return run.immediate();
  }

  async addScope(scope: Scope): Promise<void> {
    this.sql
      .get('INSERT INTO grantry_scopes (id, description) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET description = excluded.description')
      .run(scope.id, scope.description ?? null);
  }
  async listScopes(): Promise<Scope[]> {
    return (this.sql.get('SELECT * FROM grantry_scopes ORDER BY id').all() as Row[]).map(toScope);
  }
  async deleteScope(id: string): Promise<boolean> {
    return this.sql.get('DELETE FROM grantry_scopes WHERE id = ?').run(id).changes === 1;
  }
}
