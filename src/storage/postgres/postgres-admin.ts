import type { Client, GrantType, Scope, User } from '../../contracts/types.js';
import { burnPasswordCheck, hashPassword, verifyPassword } from '../password-hash.js';
import type { ClientRepository, ScopeRepository, UserRepository } from '../../contracts/repositories.js';
import { revokeOwnedSql } from '../sql/revoke-owned-sql.js';
import { CLIENT_COLUMN_NAMES, clientColumns, toClient, toScope, type Row } from '../sql/rows.js';
import { checkClient } from '../check-client.js';
import { DuplicateRecordError, type NewUser, type StorageAdmin } from '../storage-admin.js';
import { hasNul, isUniqueViolation, type PostgresQueries } from './postgres-queries.js';

const CLIENT = CLIENT_COLUMN_NAMES.join(', ');
const INSERT_CLIENT = `INSERT INTO grantry_clients (${CLIENT}, created_at) VALUES (${CLIENT_COLUMN_NAMES.map((_, i) => `$${i + 1}`).join(', ')}, $${CLIENT_COLUMN_NAMES.length + 1})`;
const UPDATE_CLIENT = `UPDATE grantry_clients SET ${CLIENT_COLUMN_NAMES.slice(1).map((c, i) => `${c} = $${i + 2}`).join(', ')} WHERE id = $1`;
const toUser = (row: Row): User => ({ id: String(row.id), username: String(row.username) });

/**
 * Clients remembered for at most `ttlMs` (default 1 s): a busy server saves a round trip per request, a change
 * made through this process's admin is seen at once, and one made by another process (the CLI) within `ttlMs`.
 *
 * @example
 * ```ts
 * // Internal to the PostgreSQL engine (exported with it): tune it with openPostgresStorage({ clientCacheMs }).
 * const cache = new ClientCache(500);
 * cache.set(client);
 * cache.get(client.id); // the client, for 500 ms
 * ```
 */
export class ClientCache {
  readonly #entries = new Map<string, { client: Client; until: number }>();
  constructor(readonly ttlMs = 1000) {}
  get(id: string): Client | undefined {
    const entry = this.#entries.get(id);
    if (entry && entry.until > Date.now()) return entry.client;
    if (entry) this.#entries.delete(id);
    return undefined;
  }
  set(client: Client): void {
    if (this.ttlMs <= 0) return;
    if (this.#entries.size >= 10_000) this.#entries.clear();
    this.#entries.set(client.id, { client, until: Date.now() + this.ttlMs });
  }
  invalidate(id: string): void {
    this.#entries.delete(id);
  }
}

/**
 * Clients from PostgreSQL, through a {@link ClientCache} of at most a second.
 *
 * @example
 * ```ts
 * const storage = openPostgresStorage({ connectionString: process.env.DATABASE_URL! });
 * const client = await storage.clients.getClient('app'); // cached for at most clientCacheMs (default 1 s)
 * ```
 */
export class PostgresClientRepository implements ClientRepository {
  constructor(
    private readonly sql: PostgresQueries,
    private readonly cache = new ClientCache(),
  ) {}
  async getClient(clientId: string): Promise<Client | undefined> {
    const cached = this.cache.get(clientId);
    if (cached) return cached;
    const row = await this.sql.row(`SELECT ${CLIENT} FROM grantry_clients WHERE id = $1`, [clientId]);
    const client = row && toClient(row);
    if (client) this.cache.set(client);
    return client;
  }
}

/**
 * Scopes in PostgreSQL.
 *
 * @example
 * ```ts
 * const storage = openPostgresStorage({ connectionString: process.env.DATABASE_URL! });
 * await storage.scopes.getScopes(['read', 'unknown']); // [{ id: 'read', … }]
 * ```
 */
export class PostgresScopeRepository implements ScopeRepository {
  constructor(private readonly sql: PostgresQueries) {}
  async getScopes(ids: readonly string[]): Promise<Scope[]> {
    // A NUL byte cannot be in a stored id (PostgreSQL text): such an id is simply unknown.
    const known = ids.filter((id) => !hasNul(id));
    if (known.length === 0) return [];
    const rows = await this.sql.rows(
      `SELECT s.id, s.description FROM unnest($1::text[]) WITH ORDINALITY AS i(id, n)
       JOIN grantry_scopes s ON s.id = i.id ORDER BY i.n`,
      [known],
    );
    return rows.map(toScope);
  }
  /** All scopes, ordered by id (for `scopes_supported` in the metadata). */
  async listScopes(): Promise<Scope[]> {
    return (await this.sql.rows('SELECT id, description FROM grantry_scopes ORDER BY id')).map(toScope);
  }
}

/**
 * Users with scrypt password hashes in PostgreSQL.
 *
 * @example
 * ```ts
 * const storage = openPostgresStorage({ connectionString: process.env.DATABASE_URL! });
 * server.enableGrantType(new PasswordGrant(storage.users), 'PT1H'); // scrypt-checked passwords
 * ```
 */
export class PostgresUserRepository implements UserRepository {
  constructor(private readonly sql: PostgresQueries) {}
  async getUser(id: string): Promise<User | undefined> {
    const row = await this.sql.row('SELECT id, username FROM grantry_users WHERE id = $1', [id]);
    return row && toUser(row);
  }
  async getUserByCredentials(username: string, password: string, _grantType: GrantType, _client: Client): Promise<User | undefined> {
    // PostgreSQL text cannot hold NUL, so no stored username has one: answer "no such user" instead of a query error.
    const row = username.includes('\u0000')
      ? undefined
      : await this.sql.row('SELECT id, username, password_hash FROM grantry_users WHERE username = $1', [username]);
    if (!row) {
      await burnPasswordCheck(password);
      return undefined;
    }
    return (await verifyPassword(password, String(row.password_hash))) ? toUser(row) : undefined;
  }
}

/**
 * {@link StorageAdmin} on PostgreSQL.
 *
 * @example
 * ```ts
 * const storage = openPostgresStorage({ connectionString: process.env.DATABASE_URL! });
 * await storage.migrate();
 * await storage.admin.addScope({ id: 'read', description: 'Read your data' });
 * await storage.admin.listUsers(); // ordered by username, never with their hashes
 * ```
 */
export class PostgresStorageAdmin implements StorageAdmin {
  constructor(
    private readonly sql: PostgresQueries,
    private readonly cache = new ClientCache(),
  ) {}

  async createClient(client: Client): Promise<void> {
    checkClient(client);
    try {
      await this.sql.count(
        INSERT_CLIENT,
        [...clientColumns(client), Date.now()],
      );
    } catch (e) {
      throw isUniqueViolation(e) ? new DuplicateRecordError('client', client.id) : e;
    }
  }
  async updateClient(client: Client): Promise<boolean> {
    checkClient(client);
    this.cache.invalidate(client.id);
    const changed = await this.sql.count(
      UPDATE_CLIENT,
      clientColumns(client),
    );
    return changed === 1;
  }
  async getClient(id: string): Promise<Client | undefined> {
    const row = await this.sql.row(`SELECT ${CLIENT} FROM grantry_clients WHERE id = $1`, [id]);
    return row && toClient(row);
  }
  async listClients(): Promise<Client[]> {
    return (await this.sql.rows(`SELECT ${CLIENT} FROM grantry_clients ORDER BY id`)).map(toClient);
  }
  /** Deletes the client and, in the same transaction, revokes its tokens and codes. */
  async deleteClient(id: string): Promise<boolean> {
    this.cache.invalidate(id);
    return this.#deleteOwner('client', 'DELETE FROM grantry_clients WHERE id = $1', id);
  }

  async createUser(user: NewUser): Promise<User> {
    const id = user.id ?? crypto.randomUUID();
    const passwordHash = await hashPassword(user.password);
    try {
      await this.sql.count('INSERT INTO grantry_users (id, username, password_hash, created_at) VALUES ($1, $2, $3, $4)', [
        id,
        user.username,
        passwordHash,
        Date.now(),
      ]);
    } catch (e) {
      throw isUniqueViolation(e) ? new DuplicateRecordError('user', user.username) : e;
    }
    return { id, username: user.username };
  }
  async setUserPassword(id: string, password: string): Promise<boolean> {
    const passwordHash = await hashPassword(password);
    return (await this.sql.count('UPDATE grantry_users SET password_hash = $1 WHERE id = $2', [passwordHash, id])) === 1;
  }
  async listUsers(): Promise<User[]> {
    return (await this.sql.rows('SELECT id, username FROM grantry_users ORDER BY username')).map(toUser);
  }
  /** Deletes the user and, in the same transaction, revokes their tokens and codes and ends their sessions. */
  async deleteUser(id: string): Promise<boolean> {
    return this.#deleteOwner('user', 'DELETE FROM grantry_users WHERE id = $1', id);
  }
  async #deleteOwner(owner: 'user' | 'client', deleteSql: string, id: string): Promise<boolean> {
    if (hasNul(id)) return false; // PostgreSQL text cannot hold NUL: no such record
    return this.sql.transaction(async (client) => {
      for (const [text, values] of revokeOwnedSql(owner, id, Date.now(), (n) => `$${n}`)) await this.sql.count(text, values, client);
      return (await this.sql.count(deleteSql, [id], client)) === 1;
    });
  }

  async addScope(scope: Scope): Promise<void> {
    await this.sql.count(
      'INSERT INTO grantry_scopes (id, description) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET description = excluded.description',
      [scope.id, scope.description ?? null],
    );
  }
  async listScopes(): Promise<Scope[]> {
    return (await this.sql.rows('SELECT id, description FROM grantry_scopes ORDER BY id')).map(toScope);
  }
  async deleteScope(id: string): Promise<boolean> {
    return (await this.sql.count('DELETE FROM grantry_scopes WHERE id = $1', [id])) === 1;
  }
}
