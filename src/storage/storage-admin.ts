import type { Client, Resource, Scope, User } from '../contracts/types.js';

/**
 * A new user: the password is hashed with scrypt before it is stored, never kept as given.
 *
 * @example
 * ```ts
 * const user = await storage.admin.createUser({ username: 'alice', password: 'correct horse battery staple' } satisfies NewUser);
 * user.id; // a random UUID
 * ```
 */
export interface NewUser {
  /** Defaults to a random UUID. */
  readonly id?: string;
  readonly username: string;
  readonly password: string;
}

/**
 * Administration of the records a running server reads: clients, users and scopes. Every engine (memory, SQLite,
 * PostgreSQL) implements it on the same store its repositories read, and no engine caches clients, so a running
 * server sees a change with its next request.
 *
 * Client secrets are stored only as the hash from `hashClientSecret`; user passwords only as scrypt hashes.
 *
 * @example
 * ```ts
 * const storage = openSqliteStorage({ filename: 'grantry.db' });
 * await storage.migrate();
 * const secret = await generateClientSecret();
 * await storage.admin.createClient({ id: 'app', name: 'App', secretHash: await hashClientSecret(secret),
 *   redirectUris: ['https://app.example/cb'], grantTypes: ['authorization_code', 'refresh_token'], scopes: [] });
 * await storage.admin.createUser({ username: 'alice', password: 'correct horse battery staple' });
 * await storage.admin.addScope({ id: 'read', description: 'Read your data' });
 * ```
 */
export interface StorageAdmin {
  /** Adds a client; throws {@link DuplicateRecordError} when the id is taken. */
  createClient(client: Client): Promise<void>;
  /** Replaces a client's record; `false` when there is no such client. */
  updateClient(client: Client): Promise<boolean>;
  getClient(id: string): Promise<Client | undefined>;
  /** All clients, ordered by id. */
  listClients(): Promise<Client[]>;
  /** `false` when there was no such client. */
  deleteClient(id: string): Promise<boolean>;

  /** Adds a user with an scrypt password hash; throws {@link DuplicateRecordError} when the id or username is taken. */
  createUser(user: NewUser): Promise<User>;
  /** Replaces a user's password hash; `false` when there is no such user. */
  setUserPassword(id: string, password: string): Promise<boolean>;
  /** All users (never their hashes), ordered by username. */
  listUsers(): Promise<User[]>;
  /** `false` when there was no such user. */
  deleteUser(id: string): Promise<boolean>;

  /** Adds a scope, or updates its description. */
  addScope(scope: Scope): Promise<void>;
  /** All scopes, ordered by id. */
  listScopes(): Promise<Scope[]>;
  /** `false` when there was no such scope. */
  deleteScope(id: string): Promise<boolean>;

  /**
   * Registers a resource (RFC 8707); throws {@link DuplicateRecordError} when the identifier is taken, and a
   * `TypeError` for an identifier that is not an absolute URI without a fragment.
   */
  createResource(resource: Resource): Promise<void>;
  /** Replaces a resource's record; `false` when there is no such resource. */
  updateResource(resource: Resource): Promise<boolean>;
  getResource(id: string): Promise<Resource | undefined>;
  /** All resources, ordered by identifier. */
  listResources(): Promise<Resource[]>;
  /** `false` when there was no such resource. Clients that list it keep the identifier, which then matches nothing. */
  deleteResource(id: string): Promise<boolean>;
}

/**
 * Thrown by {@link StorageAdmin} when a record with the same id (or username) exists.
 *
 * @example
 * ```ts
 * try { await admin.createClient(client); }
 * catch (e) { if (e instanceof DuplicateRecordError) console.error(`client ${client.id} exists`); else throw e; }
 * ```
 */
export class DuplicateRecordError extends Error {
  readonly code = 'duplicate_record';
  constructor(
    readonly kind: 'client' | 'user' | 'resource',
    readonly key: string,
  ) {
    super(`grantry: a ${kind} ${JSON.stringify(key)} exists already`);
    this.name = 'DuplicateRecordError';
  }
}
