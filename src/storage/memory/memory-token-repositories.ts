import type {
  AccessTokenRecord,
  AccessTokenRepository,
  AuthCodeRecord,
  AuthCodeRepository,
  ConsumeResult,
  DeviceCodeRecord,
  DeviceCodeRepository,
  DevicePollResult,
  IssuedTokenRepositories,
  IssuedTokens,
  RefreshTokenRecord,
  RefreshTokenRepository,
  RotateOptions,
  RotateResult,
} from '../../contracts/repositories.js';
import { systemClock, type Clock } from '../../contracts/clock.js';
import type { SessionRecord, SessionRepository } from '../session-repository.js';
import { pollDeviceCode } from '../device-poll.js';

/**
 * Revoked families, shared by the access- and refresh-token repositories: a family is revoked as a whole, and a
 * token saved into it later (a rotation racing with reuse detection) is revoked too.
 *
 * @example
 * ```ts
 * // Internal to the memory storage (exported with it): one instance is shared by its token repositories.
 * const storage = createMemoryStorage();
 * await storage.refreshTokens.revokeFamily(familyId);
 * storage.families.isRevoked(familyId); // true: access tokens of the family are revoked too
 * ```
 */
export class MemoryFamilies {
  /** Family id → when it was revoked (ms, by the storage's clock). */
  readonly revoked = new Map<string, number>();
  constructor(private readonly clock: Clock = systemClock) {}
  revoke(familyId: string): void {
    if (!this.revoked.has(familyId)) this.revoked.set(familyId, this.clock.now());
  }
  isRevoked(familyId: string | undefined): boolean {
    return familyId !== undefined && this.revoked.has(familyId);
  }
}

/**
 * Called on every save, so the storage can sweep expired records now and then.
 *
 * @example
 * ```ts
 * // Internal to the memory storage (exported with it): how its repositories tell it that a record was saved.
 * const onWrite: OnWrite = () => void writes++;
 * const accessTokens = new MemoryAccessTokenRepository(new MemoryFamilies(), onWrite);
 * ```
 */
export type OnWrite = () => void;

/**
 * A record with an expiry that a sweep may delete, at most `limit` of them; returns how many went. With `scan`, the
 * bounded sweep of the automatic cleanup: at most `scan` records visited, oldest first.
 *
 * @example
 * ```ts
 * // Internal to the memory storage (exported with it); `storage.cleanup()` is the public way to sweep.
 * const removed = sweepMap(storage.accessTokens.records, Date.now(), 1000); // expired records deleted, at most 1000
 * ```
 */
export function sweepMap<R extends { expiresAt: number }>(map: Map<string, R>, now: number, limit: number, onDelete?: (r: R) => void, scan?: number): number {
  if (scan !== undefined) return sweepOldest(map, now, limit, scan, onDelete);
  let deleted = 0;
  for (const [id, r] of map) {
    if (deleted >= limit) break;
    if (r.expiresAt > now) continue;
    map.delete(id);
    onDelete?.(r);
    deleted++;
  }
  return deleted;
}

/** A run of live records this long at the front of a map ends a bounded sweep: what follows is younger still. */
const LIVE_RUN = 32;

/**
 * The bounded sweep of the automatic cleanup: it visits at most `scan` records from the oldest, deletes the
 * expired ones and stops after {@link LIVE_RUN} live records in a row. Records of one kind mostly share a lifetime,
 * so the expired ones are at the front; the cost follows the writes, not the size of the map (a full walk every few
 * thousand writes cost the refresh grant 7% of its time at 100,000 records). Expired records behind long-lived ones
 * are left to the storage's periodic full sweep.
 */
function sweepOldest<R extends { expiresAt: number }>(map: Map<string, R>, now: number, limit: number, scan: number, onDelete?: (r: R) => void): number {
  let deleted = 0;
  let visited = 0;
  let liveRun = 0;
  for (const [id, r] of map) {
    if (deleted >= limit || visited++ >= scan || liveRun >= LIVE_RUN) break;
    if (r.expiresAt > now) {
      liveRun++;
      continue;
    }
    liveRun = 0;
    map.delete(id);
    onDelete?.(r);
    deleted++;
  }
  return deleted;
}

/**
 * Access-token records held in a `Map`.
 *
 * @example
 * ```ts
 * const storage = createMemoryStorage();
 * await storage.accessTokens.revoke(jti);
 * (await storage.accessTokens.find(jti))?.revoked; // true
 * ```
 */
export class MemoryAccessTokenRepository implements AccessTokenRepository {
  readonly records = new Map<string, AccessTokenRecord & { revoked: boolean }>();
  constructor(
    readonly families = new MemoryFamilies(),
    private readonly onWrite: OnWrite = () => undefined,
  ) {}
  async save(record: AccessTokenRecord): Promise<void> {
    // Literal members first, then the spread: V8 copies `{ ...record, revoked }` through a slow path (~3 µs a record).
    const row = { revoked: false, ...record };
    row.revoked = false;
    this.records.set(record.id, row);
    this.onWrite();
  }
  async find(id: string): Promise<(AccessTokenRecord & { revoked: boolean }) | undefined> {
    const r = this.records.get(id);
    if (!r) return undefined;
    const found = { ...r };
    found.revoked = r.revoked || this.families.isRevoked(r.familyId);
    return found;
  }
  async revoke(id: string): Promise<void> {
    const r = this.records.get(id);
    if (r) r.revoked = true;
  }
  async isRevoked(id: string): Promise<boolean> {
    return (await this.find(id))?.revoked ?? false;
  }
  async revokeFamily(familyId: string): Promise<void> {
    this.families.revoke(familyId);
  }
}

/** A stored refresh token; `spentAt` and `successor` are set by a rotation, for the reuse grace window. */
type RefreshRow = RefreshTokenRecord & { revoked: boolean; consumed: boolean; spentAt?: number | undefined; successor?: string | undefined };

const plainRefresh = ({ revoked: _r, consumed: _c, spentAt: _s, successor: _n, ...record }: RefreshRow): RefreshTokenRecord => record;

/**
 * Refresh-token records; `consume` and `rotate` are atomic because they run to completion without awaiting.
 *
 * @example
 * ```ts
 * const storage = createMemoryStorage();
 * server.enableGrantType(new RefreshTokenGrant(storage.refreshTokens), 'PT1H');
 * (await storage.refreshTokens.consume(id)).status; // 'consumed' once, then 'reused'
 * ```
 */
export class MemoryRefreshTokenRepository implements RefreshTokenRepository {
  readonly records = new Map<string, RefreshRow>();
  constructor(
    readonly families = new MemoryFamilies(),
    private readonly onWrite: OnWrite = () => undefined,
    /** Where `rotate` stores access-token records: the storage's own access-token repository. */
    readonly accessTokens = new MemoryAccessTokenRepository(families, onWrite),
  ) {}
  get issuedInto(): IssuedTokenRepositories {
    return { accessTokens: this.accessTokens, refreshTokens: this };
  }
  async save(record: RefreshTokenRecord): Promise<void> {
    // Every member a rotation sets is there from the start: setting them later would change the row's shape.
    const row: RefreshRow = { revoked: false, consumed: false, spentAt: undefined, successor: undefined, ...record };
    row.revoked = false;
    row.consumed = false;
    row.spentAt = undefined;
    row.successor = undefined;
    this.records.set(record.id, row);
    this.onWrite();
  }
  async find(id: string): Promise<(RefreshTokenRecord & { revoked: boolean; consumed: boolean }) | undefined> {
    const r = this.records.get(id);
    return r && { consumed: r.consumed, revoked: r.revoked || this.families.isRevoked(r.familyId), ...plainRefresh(r) };
  }
  async consume(id: string): Promise<ConsumeResult<RefreshTokenRecord>> {
    const r = this.records.get(id);
    if (!r) return { status: 'not_found' };
    if (r.consumed) return { status: 'reused', record: plainRefresh(r) };
    if (r.revoked || this.families.isRevoked(r.familyId)) return { status: 'revoked', record: plainRefresh(r) };
    r.consumed = true;
    return { status: 'consumed', record: plainRefresh(r) };
  }
  async rotate(id: string, next: IssuedTokens, options: RotateOptions): Promise<RotateResult> {
    // One synchronous step: every check runs before the first change, and nothing below can fail half-way.
    const r = this.records.get(id);
    if (!r) return { status: 'not_found' };
    const familyRevoked = r.revoked || this.families.isRevoked(r.familyId);
    if (!r.consumed) {
      if (familyRevoked) return { status: 'revoked', record: plainRefresh(r) };
      storeIssued(next, this, this.accessTokens);
      r.consumed = true;
      r.spentAt = options.now;
      r.successor = next.refreshToken?.id;
      return { status: 'consumed', record: plainRefresh(r) };
    }
    const successor = r.successor === undefined ? undefined : this.records.get(r.successor);
    const grace = options.reuseGraceMs ?? 0;
    const withinGrace = grace > 0 && r.spentAt !== undefined && r.spentAt > options.now - grace;
    if (!withinGrace || familyRevoked || !successor || successor.consumed || successor.revoked) return { status: 'reused', record: plainRefresh(r) };
    // A retry within the grace window: the successor of the first answer gives way to the new one.
    storeIssued(next, this, this.accessTokens);
    successor.revoked = true;
    const access = successor.accessTokenId === undefined ? undefined : this.accessTokens.records.get(successor.accessTokenId);
    if (access) access.revoked = true;
    r.successor = next.refreshToken?.id;
    return { status: 'retried', record: plainRefresh(r), replacedId: successor.id };
  }
  async revoke(id: string): Promise<void> {
    const r = this.records.get(id);
    if (r) r.revoked = true;
  }
  async revokeFamily(familyId: string): Promise<void> {
    this.families.revoke(familyId);
  }
}

/**
 * Sessions held in a `Map` keyed by the SHA-256 of the session id.
 *
 * @example
 * ```ts
 * const storage = createMemoryStorage();
 * await storage.sessions.save({ id: hashedId, userId: 'u1', username: 'alice', createdAt: Date.now(), expiresAt: Date.now() + 3600_000 });
 * await storage.sessions.deleteByUser('u1'); // 1
 * ```
 */
export class MemorySessionRepository implements SessionRepository {
  readonly records = new Map<string, SessionRecord>();
  constructor(private readonly onWrite: OnWrite = () => undefined) {}
  async save(record: SessionRecord): Promise<void> {
    this.records.set(record.id, { ...record });
    this.onWrite();
  }
  async find(id: string): Promise<SessionRecord | undefined> {
    return this.records.get(id);
  }
  async delete(id: string): Promise<void> {
    this.records.delete(id);
  }
  async deleteByUser(userId: string): Promise<number> {
    let n = 0;
    for (const [id, r] of this.records) if (r.userId === userId && this.records.delete(id)) n++;
    return n;
  }
}

/**
 * Stores the records of one atomic step, or throws before any change when an id is taken (a constraint violation,
 * as a SQL primary key would raise).
 */
function storeIssued(next: IssuedTokens, refreshTokens: MemoryRefreshTokenRepository, accessTokens: MemoryAccessTokenRepository): void {
  const { accessToken, refreshToken, revokeAccessTokenId } = next;
  if (accessToken && accessTokens.records.has(accessToken.id)) throw new Error(`grantry memory storage: access token ${accessToken.id} exists`);
  if (refreshToken && refreshTokens.records.has(refreshToken.id)) throw new Error(`grantry memory storage: refresh token ${refreshToken.id} exists`);
  if (accessToken) void accessTokens.save(accessToken);
  if (refreshToken) void refreshTokens.save(refreshToken);
  const old = revokeAccessTokenId === undefined ? undefined : accessTokens.records.get(revokeAccessTokenId);
  if (old) old.revoked = true;
}

type CodeRow = AuthCodeRecord & { consumed: boolean; revoked: boolean };

/**
 * Authorization codes; `consume` is atomic.
 *
 * @example
 * ```ts
 * const storage = createMemoryStorage();
 * server.enableGrantType(new AuthorizationCodeGrant(storage.authCodes, { refreshTokens: storage.refreshTokens }), 'PT1H');
 * ```
 */
export class MemoryAuthCodeRepository implements AuthCodeRepository {
  readonly records = new Map<string, CodeRow>();
  constructor(
    private readonly onWrite: OnWrite = () => undefined,
    /** Where `redeem` stores the tokens: the storage's own token repositories. */
    readonly issuedInto: { readonly refreshTokens: MemoryRefreshTokenRepository; readonly accessTokens: MemoryAccessTokenRepository } = {
      refreshTokens: new MemoryRefreshTokenRepository(),
      accessTokens: new MemoryAccessTokenRepository(),
    },
  ) {}
  async save(record: AuthCodeRecord): Promise<void> {
    const row: CodeRow = { consumed: false, revoked: false, ...record };
    row.consumed = false;
    row.revoked = false;
    this.records.set(record.id, row);
    this.onWrite();
  }
  async find(id: string): Promise<CodeRow | undefined> {
    const r = this.records.get(id);
    return r && { ...r };
  }
  async consume(id: string): Promise<ConsumeResult<AuthCodeRecord>> {
    const r = this.records.get(id);
    if (!r) return { status: 'not_found' };
    const { consumed, revoked, ...record } = r;
    if (consumed) return { status: 'reused', record };
    if (revoked) return { status: 'revoked', record };
    r.consumed = true;
    return { status: 'consumed', record };
  }
  async redeem(id: string, tokens: IssuedTokens): Promise<ConsumeResult<AuthCodeRecord>> {
    const r = this.records.get(id);
    if (!r) return { status: 'not_found' };
    const { consumed, revoked, ...record } = r;
    if (consumed) return { status: 'reused', record };
    if (revoked) return { status: 'revoked', record };
    storeIssued(tokens, this.issuedInto.refreshTokens, this.issuedInto.accessTokens);
    r.consumed = true;
    return { status: 'consumed', record };
  }
  async revoke(id: string): Promise<void> {
    const r = this.records.get(id);
    if (r) r.revoked = true;
  }
  async isRevoked(id: string): Promise<boolean> {
    return this.records.get(id)?.revoked ?? false;
  }
}

/**
 * Device codes; `poll` and `decide` are atomic.
 *
 * @example
 * ```ts
 * const storage = createMemoryStorage();
 * server.enableGrantType(new DeviceCodeGrant(storage.deviceCodes), 'PT1H');
 * await storage.deviceCodes.findByUserCode('WDJBMJHT'); // the pending record, if any
 * ```
 */
export class MemoryDeviceCodeRepository implements DeviceCodeRepository {
  readonly records = new Map<string, DeviceCodeRecord>();
  readonly byUserCode = new Map<string, string>();
  constructor(private readonly onWrite: OnWrite = () => undefined) {}
  async save(record: DeviceCodeRecord): Promise<void> {
    this.records.set(record.id, record);
    this.byUserCode.set(record.userCode, record.id);
    this.onWrite();
  }
  async findByUserCode(userCode: string): Promise<DeviceCodeRecord | undefined> {
    const id = this.byUserCode.get(userCode);
    return id === undefined ? undefined : this.records.get(id);
  }
  async decide(userCode: string, decision: { approved: boolean; userId: string | undefined }, now: number): Promise<boolean> {
    const id = this.byUserCode.get(userCode);
    const r = id === undefined ? undefined : this.records.get(id);
    if (!r || r.status !== 'pending' || r.expiresAt <= now) return false;
    this.records.set(r.id, { ...r, status: decision.approved ? 'approved' : 'denied', userId: decision.userId });
    return true;
  }
  async poll(id: string, now: number, clientId?: string): Promise<DevicePollResult> {
    const r = this.records.get(id);
    if (!r) return { status: 'not_found' };
    const { next, result } = pollDeviceCode(r, now, clientId);
    this.records.set(id, next);
    return result;
  }
}
