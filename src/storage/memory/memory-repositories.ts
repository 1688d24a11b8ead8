import type { Client, Resource, Scope, User } from '../../contracts/types.js';
import { burnPasswordCheck, hashPassword, verifyPassword } from '../password-hash.js';
import type { ClientRepository, ResourceRepository, ScopeRepository, UserRepository } from '../../contracts/repositories.js';
import { checkClient, checkResource } from '../check-client.js';
import { DuplicateRecordError, type NewUser, type StorageAdmin } from '../storage-admin.js';
import type {
  MemoryAccessTokenRepository,
  MemoryAuthCodeRepository,
  MemoryDeviceCodeRepository,
  MemoryRefreshTokenRepository,
  MemorySessionRepository,
} from './memory-token-repositories.js';
import type { MemoryConsentRepository } from './memory-consent-repository.js';

/**
 * The token and session repositories that {@link MemoryStorageAdmin} revokes in when it deletes a user or client.
 *
 * @example
 * ```ts
 * const storage = createMemoryStorage();
 * const grants: MemoryGrantRecords = storage; // the storage itself has every one of them
 * ```
 */
export interface MemoryGrantRecords {
  readonly accessTokens: MemoryAccessTokenRepository;
  readonly refreshTokens: MemoryRefreshTokenRepository;
  readonly authCodes: MemoryAuthCodeRepository;
  readonly deviceCodes: MemoryDeviceCodeRepository;
  readonly sessions: MemorySessionRepository;
  readonly consents: MemoryConsentRepository;
  /** Registrations of clients that registered themselves (RFC 7591): deleting the client ends its registration. */
  readonly registrations?: { readonly records: Map<string, unknown> };
}

/** Revokes every token and code, and denies every approved device code, that `owned` selects. */
function revokeOwned(grants: MemoryGrantRecords, owned: (r: { clientId: string; userId: string | undefined }) => boolean): void {
  for (const r of grants.refreshTokens.records.values()) {
    if (!owned(r)) continue;
    r.revoked = true;
    // The family too: a rotation in flight saves its new token into a revoked family, so that one is revoked too.
    grants.refreshTokens.families.revoke(r.familyId);
  }
  for (const r of grants.accessTokens.records.values()) if (owned(r)) r.revoked = true;
  for (const r of grants.authCodes.records.values()) {
    if (!owned(r)) continue;
    r.revoked = true;
    grants.accessTokens.families.revoke(r.familyId);
  }
  for (const [id, r] of grants.deviceCodes.records) {
    if (r.status === 'approved' && owned(r)) grants.deviceCodes.records.set(id, { ...r, status: 'denied' });
  }
}

/**
 * A user as the memory storage holds it: a `passwordHash` from `hashPassword`, or a plain `password` for tests and examples.
 *
 * @example
 * ```ts
 * storage.users.users.set('u1', { id: 'u1', username: 'alice', password: 'test-only' } satisfies MemoryUser);
 * ```
 */
export type MemoryUser = User & { password?: string; passwordHash?: string };

/**
 * Clients held in a `Map`.
 *
 * @example
 * ```ts
 * const storage = createMemoryStorage();
 * storage.clients.clients.set('app', { id: 'app', name: 'App', redirectUris: [], grantTypes: ['client_credentials'], scopes: [],
 *   secretHash: await hashClientSecret('secret') });
 * await storage.clients.getClient('app'); // the client
 * ```
 */
export class MemoryClientRepository implements ClientRepository {
  readonly clients = new Map<string, Client>();
  async getClient(clientId: string): Promise<Client | undefined> {
    return this.clients.get(clientId);
  }
}

/**
 * Scopes held in a `Map`.
 *
 * @example
 * ```ts
 * const storage = createMemoryStorage({ scopes: ['read', 'write'] });
 * await storage.scopes.getScopes(['read', 'admin']); // [{ id: 'read' }]: unknown ids are left out
 * ```
 */
export class MemoryScopeRepository implements ScopeRepository {
  readonly scopes = new Map<string, Scope>();
  async getScopes(ids: readonly string[]): Promise<Scope[]> {
    return ids.flatMap((id) => this.scopes.get(id) ?? []);
  }
  /** All scopes, ordered by id (for `scopes_supported` in the metadata). */
  async listScopes(): Promise<Scope[]> {
    return [...this.scopes.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
  }
}

/**
 * Resources (RFC 8707) held in a `Map`.
 *
 * @example
 * ```ts
 * const storage = createMemoryStorage({ resources: [{ id: 'https://api.example.test', scopes: ['read'] }] });
 * await storage.resources.getResource('https://api.example.test'); // the resource
 * ```
 */
export class MemoryResourceRepository implements ResourceRepository {
  readonly resources = new Map<string, Resource>();
  async getResource(id: string): Promise<Resource | undefined> {
    return this.resources.get(id);
  }
  async listResources(): Promise<Resource[]> {
    return [...this.resources.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
  }
}

/** Equality of two strings in time that depends only on their lengths. */
function constantTimeEqual(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i % (b.length || 1));
  return diff === 0;
}

const publicUser = (u: MemoryUser): User => ({ id: u.id, ...(u.username === undefined ? {} : { username: u.username }) });

/**
 * Users held in a `Map`: `hashPassword` hashes for users made through the admin, plain passwords only from a test seed.
 *
 * @example
 * ```ts
 * const storage = createMemoryStorage();
 * await storage.admin.createUser({ username: 'alice', password: 'correct horse battery staple' });
 * await storage.users.getUserByCredentials('alice', 'correct horse battery staple'); // { id, username }
 * ```
 */
export class MemoryUserRepository implements UserRepository {
  readonly users = new Map<string, MemoryUser>();
  async getUser(id: string): Promise<User | undefined> {
    const u = this.users.get(id);
    return u && publicUser(u);
  }
  async getUserByCredentials(username: string, password: string): Promise<User | undefined> {
    for (const u of this.users.values()) {
      if (u.username !== username) continue;
      if (u.passwordHash !== undefined) return (await verifyPassword(password, u.passwordHash)) ? publicUser(u) : undefined;
      return u.password !== undefined && constantTimeEqual(password, u.password) ? publicUser(u) : undefined;
    }
    await burnPasswordCheck(password);
    return undefined;
  }
}

/**
 * {@link StorageAdmin} over the memory repositories.
 *
 * @example
 * ```ts
 * const storage = createMemoryStorage();
 * await storage.admin.addScope({ id: 'read' });
 * await storage.admin.createClient({ id: 'app', name: 'App', secretHash: await hashClientSecret(secret),
 *   redirectUris: ['https://app.example/cb'], grantTypes: ['authorization_code'], scopes: ['read'] });
 * ```
 */
export class MemoryStorageAdmin implements StorageAdmin {
  constructor(
    private readonly clients: MemoryClientRepository,
    private readonly users: MemoryUserRepository,
    private readonly scopes: MemoryScopeRepository,
    private readonly grants?: MemoryGrantRecords,
    private readonly resources: MemoryResourceRepository = new MemoryResourceRepository(),
  ) {}

  /** The operator's clients: any `origin` given is dropped (only registration creates a `registration` client). */
  async createClient(client: Client): Promise<void> {
    checkClient(client);
    if (this.clients.clients.has(client.id)) throw new DuplicateRecordError('client', client.id);
    const { origin: _, ...record } = client;
    this.clients.clients.set(client.id, record);
  }
  /** Replaces the record; the client keeps the origin it was created with. */
  async updateClient(client: Client): Promise<boolean> {
    checkClient(client);
    const current = this.clients.clients.get(client.id);
    if (!current) return false;
    const { origin: _, ...record } = client;
    this.clients.clients.set(client.id, current.origin === undefined ? record : { ...record, origin: current.origin });
    return true;
  }
  async getClient(id: string): Promise<Client | undefined> {
    return this.clients.clients.get(id);
  }
  async listClients(): Promise<Client[]> {
    return [...this.clients.clients.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
  }
  /** Deletes the client and revokes its tokens and codes: a client re-created with the id starts afresh. */
  async deleteClient(id: string): Promise<boolean> {
    if (this.grants) {
      revokeOwned(this.grants, (r) => r.clientId === id);
      this.grants.consents.deleteWhere((c) => c.clientId === id);
      this.grants.consents.optedOut.delete(id);
      this.grants.registrations?.records.delete(id);
    }
    return this.clients.clients.delete(id);
  }

  async createUser(user: NewUser): Promise<User> {
    const id = user.id ?? crypto.randomUUID();
    const taken = [...this.users.users.values()].some((u) => u.id === id || u.username === user.username);
    if (taken) throw new DuplicateRecordError('user', user.username);
    const passwordHash = await hashPassword(user.password);
    // Checked again after the await: another createUser may have run meanwhile.
    if (this.users.users.has(id) || [...this.users.users.values()].some((u) => u.username === user.username)) {
      throw new DuplicateRecordError('user', user.username);
    }
    this.users.users.set(id, { id, username: user.username, passwordHash });
    return { id, username: user.username };
  }
  async setUserPassword(id: string, password: string): Promise<boolean> {
    const u = this.users.users.get(id);
    if (!u) return false;
    this.users.users.set(id, { ...publicUser(u), passwordHash: await hashPassword(password) });
    return true;
  }
  async listUsers(): Promise<User[]> {
    return [...this.users.users.values()].map(publicUser).sort((a, b) => ((a.username ?? '') < (b.username ?? '') ? -1 : 1));
  }
  /** Deletes the user, revokes their tokens and codes, and ends their sessions. */
  async deleteUser(id: string): Promise<boolean> {
    if (this.grants) {
      revokeOwned(this.grants, (r) => r.userId === id);
      await this.grants.sessions.deleteByUser(id);
      this.grants.consents.deleteWhere((c) => c.userId === id);
    }
    return this.users.users.delete(id);
  }

  async addScope(scope: Scope): Promise<void> {
    this.scopes.scopes.set(scope.id, { ...scope });
  }
  async listScopes(): Promise<Scope[]> {
    return this.scopes.listScopes();
  }
  async deleteScope(id: string): Promise<boolean> {
    return this.scopes.scopes.delete(id);
  }

  async createResource(resource: Resource): Promise<void> {
    checkResource(resource);
    if (this.resources.resources.has(resource.id)) throw new DuplicateRecordError('resource', resource.id);
    this.resources.resources.set(resource.id, copyResource(resource));
  }
  async updateResource(resource: Resource): Promise<boolean> {
    checkResource(resource);
    if (!this.resources.resources.has(resource.id)) return false;
    this.resources.resources.set(resource.id, copyResource(resource));
    return true;
  }
  async getResource(id: string): Promise<Resource | undefined> {
    return this.resources.getResource(id);
  }
  async listResources(): Promise<Resource[]> {
    return this.resources.listResources();
  }
  async deleteResource(id: string): Promise<boolean> {
    return this.resources.resources.delete(id);
  }
}

/** A stored copy without undefined members, as the SQL engines read it back. */
function copyResource(r: Resource): Resource {
  return Object.fromEntries(Object.entries({ ...r, scopes: [...r.scopes] }).filter(([, v]) => v !== undefined)) as unknown as Resource;
}
