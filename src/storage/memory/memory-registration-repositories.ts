import type {
  ClientRegistration,
  ClientRegistrationRepository,
  InitialAccessTokenRecord,
  InitialAccessTokenRepository,
} from '../../contracts/client-registration-repository.js';
import type { Client } from '../../contracts/types.js';
import { checkClient } from '../check-client.js';
import { DuplicateRecordError, type StorageAdmin } from '../storage-admin.js';
import type { MemoryClientRepository } from './memory-repositories.js';

/**
 * Clients that registered themselves (RFC 7591), in a `Map` beside the memory clients: `register` and `update`
 * write both in one synchronous step; `delete` goes through the admin, which revokes what the client was granted.
 *
 * @example
 * ```ts
 * const storage = createMemoryStorage();
 * const server = new AuthorizationServer({ ...options, registration: { mode: 'open', clients: storage.registrations } });
 * storage.registrations.records.size; // registrations so far
 * ```
 */
export class MemoryClientRegistrationRepository implements ClientRegistrationRepository {
  readonly records = new Map<string, ClientRegistration>();

  constructor(
    private readonly clients: MemoryClientRepository,
    private readonly admin: Pick<StorageAdmin, 'deleteClient'>,
  ) {}

  async register(client: Client, registration: ClientRegistration): Promise<void> {
    checkClient(client);
    if (this.clients.clients.has(client.id)) throw new DuplicateRecordError('client', client.id);
    this.clients.clients.set(client.id, { ...client, origin: 'registration' });
    this.records.set(client.id, registration);
  }

  async find(clientId: string): Promise<ClientRegistration | undefined> {
    return this.records.get(clientId);
  }

  async update(client: Client, registration: ClientRegistration): Promise<boolean> {
    checkClient(client);
    if (!this.records.has(client.id) || !this.clients.clients.has(client.id)) return false;
    this.clients.clients.set(client.id, { ...client, origin: 'registration' });
    this.records.set(client.id, registration);
    return true;
  }

  async delete(clientId: string): Promise<boolean> {
    if (!this.records.has(clientId)) return false;
    // The admin's delete revokes the client's tokens and codes, and drops this registration too.
    return this.admin.deleteClient(clientId);
  }
}

/**
 * Initial access tokens in a `Map`; `use` decrements in one synchronous step, so concurrent registrations cannot
 * spend one use twice.
 *
 * @example
 * ```ts
 * const storage = createMemoryStorage();
 * await storage.initialAccessTokens.save({ id: await sha256(token), createdAt: Date.now(), usesLeft: 1 });
 * ```
 */
export class MemoryInitialAccessTokenRepository implements InitialAccessTokenRepository {
  readonly records = new Map<string, InitialAccessTokenRecord>();

  async save(record: InitialAccessTokenRecord): Promise<void> {
    this.records.set(record.id, { ...record });
  }

  async use(id: string, now: number): Promise<boolean> {
    const record = this.records.get(id);
    if (!record) return false;
    if (record.expiresAt !== undefined && record.expiresAt <= now) return false;
    if (record.usesLeft !== undefined) {
      if (record.usesLeft <= 0) return false;
      this.records.set(id, { ...record, usesLeft: record.usesLeft - 1 });
    }
    return true;
  }

  async list(): Promise<InitialAccessTokenRecord[]> {
    return [...this.records.values()].sort((a, b) => a.createdAt - b.createdAt);
  }

  async delete(id: string): Promise<boolean> {
    return this.records.delete(id);
  }
}
