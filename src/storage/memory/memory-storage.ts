import type { Client, Scope, User } from '../../core/types.js';
import type {
  AccessTokenRecord,
  AccessTokenRepository,
  AuthCodeRecord,
  AuthCodeRepository,
  ClientRepository,
  ConsumeResult,
  DeviceCodeRecord,
  DeviceCodeRepository,
  DevicePollResult,
  RefreshTokenRecord,
  RefreshTokenRepository,
  ScopeRepository,
  Storage,
  UserRepository,
} from '../repositories.js';

/** Seed data for {@link createMemoryStorage}. */
export interface MemoryStorageSeed {
  clients?: readonly Client[];
  scopes?: readonly (Scope | string)[];
  /** Users with a plain password, for tests and examples only. */
  users?: readonly (User & { password: string })[];
}

/** Clients held in a `Map`. */
export class MemoryClientRepository implements ClientRepository {
  readonly clients = new Map<string, Client>();
  async getClient(clientId: string): Promise<Client | undefined> {
    return this.clients.get(clientId);
  }
}

/** Scopes held in a `Map`. */
export class MemoryScopeRepository implements ScopeRepository {
  readonly scopes = new Map<string, Scope>();
  async getScopes(ids: readonly string[]): Promise<Scope[]> {
    return ids.flatMap((id) => this.scopes.get(id) ?? []);
  }
}

/** Access-token records held in a `Map`. */
export class MemoryAccessTokenRepository implements AccessTokenRepository {
  readonly #records = new Map<string, AccessTokenRecord & { revoked: boolean }>();
  readonly #families = new Map<string, Set<string>>();
  async save(record: AccessTokenRecord): Promise<void> {
    this.#records.set(record.id, { ...record, revoked: false });
    if (record.familyId !== undefined) familyOf(this.#families, record.familyId).add(record.id);
  }
  async find(id: string): Promise<(AccessTokenRecord & { revoked: boolean }) | undefined> {
    const r = this.#records.get(id);
    return r && { ...r };
  }
  async revoke(id: string): Promise<void> {
    const r = this.#records.get(id);
    if (r) r.revoked = true;
  }
  async isRevoked(id: string): Promise<boolean> {
    return this.#records.get(id)?.revoked ?? false;
  }
  async revokeFamily(familyId: string): Promise<void> {
    for (const id of this.#families.get(familyId) ?? []) await this.revoke(id);
  }
}

type RefreshRow = RefreshTokenRecord & { revoked: boolean; consumed: boolean };

/** Refresh-token records; `consume` is atomic because it runs to completion without awaiting. */
export class MemoryRefreshTokenRepository implements RefreshTokenRepository {
  readonly #records = new Map<string, RefreshRow>();
  readonly #families = new Map<string, Set<string>>();
  async save(record: RefreshTokenRecord): Promise<void> {
    this.#records.set(record.id, { ...record, revoked: false, consumed: false });
    familyOf(this.#families, record.familyId).add(record.id);
  }
  async find(id: string): Promise<RefreshRow | undefined> {
    const r = this.#records.get(id);
    return r && { ...r };
  }
  async consume(id: string): Promise<ConsumeResult<RefreshTokenRecord>> {
    const r = this.#records.get(id);
    if (!r) return { status: 'not_found' };
    if (r.revoked) return { status: r.consumed ? 'reused' : 'revoked', record: r };
    if (r.consumed) return { status: 'reused', record: r };
    r.consumed = true;
    return { status: 'consumed', record: r };
  }
  async revoke(id: string): Promise<void> {
    const r = this.#records.get(id);
    if (r) r.revoked = true;
  }
  async revokeFamily(familyId: string): Promise<void> {
    for (const id of this.#families.get(familyId) ?? []) await this.revoke(id);
  }
}

/** Authorization codes; `consume` is atomic. */
export class MemoryAuthCodeRepository implements AuthCodeRepository {
  readonly #records = new Map<string, AuthCodeRecord & { consumed: boolean; revoked: boolean }>();
  async save(record: AuthCodeRecord): Promise<void> {
    this.#records.set(record.id, { ...record, consumed: false, revoked: false });
  }
  async consume(id: string): Promise<ConsumeResult<AuthCodeRecord>> {
    const r = this.#records.get(id);
    if (!r) return { status: 'not_found' };
    if (r.consumed) return { status: 'reused', record: r };
    if (r.revoked) return { status: 'revoked', record: r };
    r.consumed = true;
    return { status: 'consumed', record: r };
  }
  async revoke(id: string): Promise<void> {
    const r = this.#records.get(id);
    if (r) r.revoked = true;
  }
  async isRevoked(id: string): Promise<boolean> {
    return this.#records.get(id)?.revoked ?? false;
  }
}

/** Users with plain passwords: for tests and examples, never production. */
export class MemoryUserRepository implements UserRepository {
  readonly users = new Map<string, User & { password: string }>();
  async getUser(id: string): Promise<User | undefined> {
    const u = this.users.get(id);
    return u && { id: u.id, ...(u.username === undefined ? {} : { username: u.username }) };
  }
  async getUserByCredentials(username: string, password: string): Promise<User | undefined> {
    for (const u of this.users.values()) {
      if (u.username === username && u.password === password) return this.getUser(u.id);
    }
    return undefined;
  }
}

/** Device codes; `poll` and `decide` are atomic. */
export class MemoryDeviceCodeRepository implements DeviceCodeRepository {
  readonly #records = new Map<string, DeviceCodeRecord>();
  readonly #byUserCode = new Map<string, string>();
  async save(record: DeviceCodeRecord): Promise<void> {
    this.#records.set(record.id, record);
    this.#byUserCode.set(record.userCode, record.id);
  }
  async findByUserCode(userCode: string): Promise<DeviceCodeRecord | undefined> {
    const id = this.#byUserCode.get(userCode);
    return id === undefined ? undefined : this.#records.get(id);
  }
  async decide(userCode: string, decision: { approved: boolean; userId: string | undefined }, now: number): Promise<boolean> {
    const r = await this.findByUserCode(userCode);
    if (!r || r.status !== 'pending' || r.expiresAt <= now) return false;
    this.#records.set(r.id, { ...r, status: decision.approved ? 'approved' : 'denied', userId: decision.userId });
    return true;
  }
  async poll(id: string, now: number): Promise<DevicePollResult> {
    const r = this.#records.get(id);
    if (!r) return { status: 'not_found' };
    const tooSoon = r.lastPolledAt !== undefined && now - r.lastPolledAt < r.interval * 1000;
    const next: DeviceCodeRecord = {
      ...r,
      lastPolledAt: now,
      interval: tooSoon && r.status === 'pending' ? r.interval + 5 : r.interval,
      status: r.status === 'approved' && r.expiresAt > now ? 'consumed' : r.status,
    };
    this.#records.set(id, next);
    if (r.expiresAt <= now && r.status !== 'consumed') return { status: 'expired', record: next };
    if (r.status === 'pending') return { status: tooSoon ? 'slow_down' : 'pending', record: next };
    return { status: r.status, record: next };
  }
}

/**
 * In-memory storage for every repository: for tests, examples and single-process servers that may lose their
 * state on restart.
 *
 * @example
 * ```ts
 * const storage = createMemoryStorage({
 *   clients: [{ id: 'app', name: 'App', secretHash: await hashClientSecret('secret'), redirectUris: [],
 *               grantTypes: ['client_credentials'], scopes: [] }],
 *   scopes: ['read', 'write'],
 * });
 * ```
 */
export function createMemoryStorage(seed: MemoryStorageSeed = {}): Storage & {
  clients: MemoryClientRepository;
  scopes: MemoryScopeRepository;
  users: MemoryUserRepository;
} {
  const clients = new MemoryClientRepository();
  for (const c of seed.clients ?? []) clients.clients.set(c.id, c);
  const scopes = new MemoryScopeRepository();
  for (const s of seed.scopes ?? []) {
    const scope = typeof s === 'string' ? { id: s } : s;
    scopes.scopes.set(scope.id, scope);
  }
  const users = new MemoryUserRepository();
  for (const u of seed.users ?? []) users.users.set(u.id, u);
  return {
    clients,
    scopes,
    users,
    accessTokens: new MemoryAccessTokenRepository(),
    refreshTokens: new MemoryRefreshTokenRepository(),
    authCodes: new MemoryAuthCodeRepository(),
    deviceCodes: new MemoryDeviceCodeRepository(),
  };
}

function familyOf(families: Map<string, Set<string>>, familyId: string): Set<string> {
  let set = families.get(familyId);
  if (!set) families.set(familyId, (set = new Set()));
  return set;
}
