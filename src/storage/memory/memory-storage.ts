import { MemoryConsentRepository } from './memory-consent-repository.js';
import { MemoryReplayRepository } from './memory-replay-repository.js';
import { systemClock, type Clock } from '../../contracts/clock.js';
import type { Client, Resource, Scope, User } from '../../contracts/types.js';
import {
  DEFAULT_CLEANUP_BATCH,
  DEFAULT_CLEANUP_MAX_BATCHES,
  type CleanupOptions,
  type CleanupReport,
  type ManagedStorage,
  type MigrationReport,
} from '../managed-storage.js';
import { FAMILY_GRACE_MS } from '../sql/rows.js';
import { PUSHED_REQUEST_KEEP_MS } from '../../contracts/pushed-authorization-request-repository.js';
import { MemoryPushedRequestRepository } from './memory-pushed-request-repository.js';
import { MemoryClientRepository, MemoryResourceRepository, MemoryScopeRepository, MemoryStorageAdmin, MemoryUserRepository } from './memory-repositories.js';
import { MemoryClientRegistrationRepository, MemoryInitialAccessTokenRepository } from './memory-registration-repositories.js';
import {
  MemoryAccessTokenRepository,
  MemoryAuthCodeRepository,
  MemoryDeviceCodeRepository,
  MemoryFamilies,
  MemoryRefreshTokenRepository,
  MemorySessionRepository,
  sweepMap,
} from './memory-token-repositories.js';

/**
 * Seed data for {@link createMemoryStorage}.
 *
 * @example
 * ```ts
 * const seed: MemoryStorageSeed = {
 *   clients: [{ id: 'app', name: 'App', secretHash: await hashClientSecret('secret'), redirectUris: [],
 *     grantTypes: ['password'], scopes: [] }],
 *   scopes: ['read', { id: 'write', description: 'Change your data' }],
 *   users: [{ id: 'u1', username: 'alice', password: 'test-only' }], // plain passwords: tests only
 * };
 * const storage = createMemoryStorage(seed);
 * ```
 */
export interface MemoryStorageSeed {
  clients?: readonly Client[];
  scopes?: readonly (Scope | string)[];
  /** Users with a plain password, for tests and examples only (users made with `admin.createUser` get a `hashPassword` hash). */
  users?: readonly (User & { password: string })[];
  /** Registered resources (RFC 8707). */
  resources?: readonly Resource[];
}

/**
 * Options of {@link createMemoryStorage}.
 *
 * @example
 * ```ts
 * const options: MemoryStorageOptions = { clock: testClock, autoCleanupEvery: false };
 * const storage = createMemoryStorage({}, options);
 * await storage.cleanup(); // sweep yourself when autoCleanupEvery is false
 * ```
 */
export interface MemoryStorageOptions {
  /** The clock that decides what has expired for the automatic sweep (default: the system clock). */
  clock?: Clock;
  /**
   * Sweep expired records after this many saves (default 10 000), so that a long-running process stays bounded;
   * `false` turns the sweep off (then call `cleanup()` yourself).
   */
  autoCleanupEvery?: number | false;
}

/** One automatic sweep in this many walks every record; the others visit the oldest few (see sweepMap's `scan`). */
const FULL_SWEEP_EVERY = 8;

/**
 * The bundle {@link createMemoryStorage} returns; its maps are public for tests.
 *
 * @example
 * ```ts
 * const storage: MemoryStorage = createMemoryStorage({ scopes: ['read'] });
 * const server = new AuthorizationServer({ clients: storage.clients, accessTokens: storage.accessTokens,
 *   scopes: storage.scopes, refreshTokens: storage.refreshTokens, issuer, privateKey, encryptionKey });
 * storage.refreshTokens.records.size; // the maps are public, for tests
 * ```
 */
export class MemoryStorage implements ManagedStorage {
  readonly engine = 'memory';
  readonly clients = new MemoryClientRepository();
  readonly scopes = new MemoryScopeRepository();
  readonly users = new MemoryUserRepository();
  readonly resources = new MemoryResourceRepository();
  readonly families: MemoryFamilies;
  readonly accessTokens: MemoryAccessTokenRepository;
  readonly refreshTokens: MemoryRefreshTokenRepository;
  readonly authCodes: MemoryAuthCodeRepository;
  readonly deviceCodes: MemoryDeviceCodeRepository;
  readonly sessions: MemorySessionRepository;
  readonly replays: MemoryReplayRepository;
  readonly consents = new MemoryConsentRepository();
  readonly pushedAuthorizationRequests: MemoryPushedRequestRepository;
  readonly admin: MemoryStorageAdmin;
  readonly registrations: MemoryClientRegistrationRepository;
  readonly initialAccessTokens = new MemoryInitialAccessTokenRepository();
  readonly #clock: Clock;
  readonly #sweepEvery: number;
  #writes = 0;
  #autoSweeps = 0;

  constructor(options: MemoryStorageOptions = {}) {
    this.#clock = options.clock ?? systemClock;
    this.families = new MemoryFamilies(this.#clock);
    const every = options.autoCleanupEvery ?? 10_000;
    this.#sweepEvery = every === false ? Infinity : Math.max(1, every);
    const onWrite = (): void => {
      if (++this.#writes < this.#sweepEvery) return;
      this.#writes = 0;
      // Most automatic sweeps are bounded (the oldest records, a few per write, however many the maps hold); every
      // FULL_SWEEP_EVERY-th walks every record, for expired ones saved behind longer-lived ones.
      const full = ++this.#autoSweeps % FULL_SWEEP_EVERY === 0;
      this.#sweep({ now: this.#clock.now(), batchSize: Number.MAX_SAFE_INTEGER, maxBatches: 1 }, full ? undefined : 4 * this.#sweepEvery);
    };
    this.accessTokens = new MemoryAccessTokenRepository(this.families, onWrite);
    this.refreshTokens = new MemoryRefreshTokenRepository(this.families, onWrite, this.accessTokens);
    this.authCodes = new MemoryAuthCodeRepository(onWrite, { refreshTokens: this.refreshTokens, accessTokens: this.accessTokens });
    this.deviceCodes = new MemoryDeviceCodeRepository(onWrite);
    this.sessions = new MemorySessionRepository(onWrite);
    this.replays = new MemoryReplayRepository(() => this.#clock.now(), onWrite);
    this.pushedAuthorizationRequests = new MemoryPushedRequestRepository(onWrite);
    this.admin = new MemoryStorageAdmin(this.clients, this.users, this.scopes, this, this.resources);
    this.registrations = new MemoryClientRegistrationRepository(this.clients, this.admin);
  }

  /** Nothing to migrate in memory. */
  async migrate(): Promise<MigrationReport> {
    return { applied: [], version: 1 };
  }

  async cleanup(options: CleanupOptions = {}): Promise<CleanupReport> {
    return this.#sweep(options);
  }

  /** Nothing to close in memory. */
  async close(): Promise<void> {}

  #sweep(options: CleanupOptions, scan?: number): CleanupReport {
    const now = options.now ?? this.#clock.now();
    const limit = (options.batchSize ?? DEFAULT_CLEANUP_BATCH) * (options.maxBatches ?? DEFAULT_CLEANUP_MAX_BATCHES);
    const deviceCodes = sweepMap(this.deviceCodes.records, now, limit, (r) => this.deviceCodes.byUserCode.delete(r.userCode), scan);
    const report = {
      accessTokens: sweepMap(this.accessTokens.records, now, limit, undefined, scan),
      refreshTokens: sweepMap(this.refreshTokens.records, now, limit, undefined, scan),
      authCodes: sweepMap(this.authCodes.records, now, limit, undefined, scan),
      deviceCodes,
      sessions: sweepMap(this.sessions.records, now, limit, undefined, scan),
      replays: sweepMap(this.replays.records, now, limit, undefined, scan),
      pushedAuthorizationRequests: sweepMap(this.pushedAuthorizationRequests.records, now - PUSHED_REQUEST_KEEP_MS, limit, undefined, scan),
      families: 0,
    };
    const complete = Object.values(report).every((n) => n < limit);
    // A revoked family is forgotten once no token of it is left (and a grace period has passed). The records are
    // walked for their families only when some revoked family is past its grace period.
    let due = false;
    for (const revokedAt of this.families.revoked.values()) if (revokedAt <= now - FAMILY_GRACE_MS) due = true;
    if (!due) return { ...report, complete };
    const live = new Set<string>();
    for (const map of [this.accessTokens.records, this.refreshTokens.records, this.authCodes.records]) {
      for (const r of map.values()) if (r.familyId !== undefined) live.add(r.familyId);
    }
    for (const [familyId, revokedAt] of this.families.revoked) {
      if (report.families >= limit) break;
      if (live.has(familyId) || revokedAt > now - FAMILY_GRACE_MS) continue;
      this.families.revoked.delete(familyId);
      report.families++;
    }
    return { ...report, complete: complete && report.families < limit };
  }
}

/**
 * In-memory storage for every repository: for tests, examples and single-process servers that may lose their
 * state on restart. Expired records are swept every `autoCleanupEvery` saves, so memory stays bounded.
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
export function createMemoryStorage(seed: MemoryStorageSeed = {}, options: MemoryStorageOptions = {}): MemoryStorage {
  const storage = new MemoryStorage(options);
  for (const c of seed.clients ?? []) storage.clients.clients.set(c.id, c);
  for (const s of seed.scopes ?? []) {
    const scope = typeof s === 'string' ? { id: s } : s;
    storage.scopes.scopes.set(scope.id, scope);
  }
  for (const u of seed.users ?? []) storage.users.users.set(u.id, u);
  for (const r of seed.resources ?? []) storage.resources.resources.set(r.id, r);
  return storage;
}
