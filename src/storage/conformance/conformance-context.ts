import type { CleanupOptions, CleanupReport } from '../managed-storage.js';
import type { AccessTokenRecord, AuthCodeRecord, DeviceCodeRecord, RefreshTokenRecord, Storage } from '../../contracts/repositories.js';
import type { SessionRepository } from '../session-repository.js';
import type { StorageAdmin } from '../storage-admin.js';
import type { ClientRegistrationRepository, InitialAccessTokenRepository } from '../../contracts/client-registration-repository.js';
import type { ReplayRepository } from '../../contracts/replay-repository.js';
import type { PushedAuthorizationRequestRepository } from '../../contracts/pushed-authorization-request-repository.js';

/**
 * What the conformance suite runs against: the repositories, and optionally the admin and clean-up, which are
 * tested when present. Every grantry engine (`ManagedStorage`) fits as is.
 *
 * @example
 * ```ts
 * import { createMemoryStorage } from 'grantry/storage/memory';
 * const storage: ConformanceStorage = createMemoryStorage(); // every grantry engine fits as is
 * describeStorageConformance('memory', () => storage);
 * ```
 */
export type ConformanceStorage = Storage & {
  readonly admin?: StorageAdmin;
  readonly sessions?: SessionRepository;
  readonly registrations?: ClientRegistrationRepository;
  readonly initialAccessTokens?: InitialAccessTokenRepository;
  readonly replays?: ReplayRepository;
  readonly pushedAuthorizationRequests?: PushedAuthorizationRequestRepository;
  cleanup?(options?: CleanupOptions): Promise<CleanupReport>;
  close?(): Promise<void>;
};

/**
 * The storage under test, opened in `beforeAll`.
 *
 * @example
 * ```ts
 * // What each case of the suite receives: ctx.storage() is the storage opened in beforeAll.
 * const ctx: ConformanceContext = { storage: () => storage };
 * await ctx.storage().refreshTokens.save(record);
 * ```
 */
export interface ConformanceContext {
  storage(): ConformanceStorage;
}

/** A time comfortably in the future of every test record, so nothing expires by accident. */
export const LATER = Date.parse('2030-01-01T00:00:00Z');

/** A fresh id per record, so that cases never collide on a shared database. */
export const uid = (prefix: string): string => `${prefix}-${crypto.randomUUID()}`;

export const accessToken = (over: Partial<AccessTokenRecord> = {}): AccessTokenRecord => ({
  id: uid('at'),
  clientId: 'conformance-client',
  userId: 'user-1',
  scopes: ['read', 'write'],
  expiresAt: LATER + 3600_000,
  familyId: uid('fam'),
  ...over,
});

export const refreshToken = (over: Partial<RefreshTokenRecord> = {}): RefreshTokenRecord => ({
  id: uid('rt'),
  familyId: uid('fam'),
  clientId: 'conformance-client',
  userId: 'user-1',
  scopes: ['read', 'write'],
  expiresAt: LATER + 30 * 86400_000,
  accessTokenId: uid('at'),
  ...over,
});

export const authCode = (over: Partial<AuthCodeRecord> = {}): AuthCodeRecord => ({
  id: uid('code'),
  familyId: uid('fam'),
  clientId: 'conformance-client',
  userId: 'user-1',
  scopes: ['openid', 'read'],
  redirectUri: 'https://app.example.test/cb',
  codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
  codeChallengeMethod: 'S256',
  expiresAt: LATER + 600_000,
  ...over,
});

export const deviceCode = (over: Partial<DeviceCodeRecord> = {}): DeviceCodeRecord => ({
  id: uid('dc'),
  userCode: crypto.randomUUID().replace(/-/g, '').slice(0, 8).toUpperCase(),
  clientId: 'conformance-client',
  scopes: ['read'],
  expiresAt: LATER + 900_000,
  interval: 5,
  lastPolledAt: undefined,
  status: 'pending',
  userId: undefined,
  ...over,
});

/** Counts the statuses of a list of results. */
export function countStatuses(results: readonly { status: string }[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of results) counts[r.status] = (counts[r.status] ?? 0) + 1;
  return counts;
}
