import type { PushedAuthorizationRequestRepository } from '../contracts/pushed-authorization-request-repository.js';
import type { ResourceRepository, Storage } from '../contracts/repositories.js';
import type { ClientRegistrationRepository, InitialAccessTokenRepository } from '../contracts/client-registration-repository.js';
import type { SessionRepository } from './session-repository.js';
import type { ConsentRepository } from './consent-repository.js';
import type { StorageAdmin } from './storage-admin.js';
import type { ReplayRepository } from '../contracts/replay-repository.js';

/**
 * Limits of one {@link ManagedStorage.cleanup} run.
 *
 * @example
 * ```ts
 * const options: CleanupOptions = { batchSize: 500, maxBatches: 20 };
 * let report = await storage.cleanup(options);
 * while (!report.complete) report = await storage.cleanup(options);
 * ```
 */
export interface CleanupOptions {
  /** Records that expired at or before this time (ms since the epoch) go; defaults to now. */
  readonly now?: number;
  /** Rows deleted per statement (default 1000): each batch is one short transaction. */
  readonly batchSize?: number;
  /** Batches per table at most (default 100), so one run stays bounded; run again while `complete` is false. */
  readonly maxBatches?: number;
}

/**
 * What one clean-up run removed, per kind of record.
 *
 * @example
 * ```ts
 * const report: CleanupReport = await storage.cleanup();
 * console.log(`removed ${report.accessTokens} access tokens, ${report.refreshTokens} refresh tokens`);
 * ```
 */
export interface CleanupReport {
  readonly accessTokens: number;
  readonly refreshTokens: number;
  readonly authCodes: number;
  readonly deviceCodes: number;
  /** Expired sessions of the ready server's pages. */
  readonly sessions: number;
  /** Expired single-use identifiers (DPoP proof `jti`s, client assertion `jti`s; migration 8). */
  readonly replays: number;
  /** Pushed authorization requests (RFC 9126) past their lifetime and the time kept for a sign-in in progress. */
  readonly pushedAuthorizationRequests: number;
  /** Revoked families whose last token is gone. */
  readonly families: number;
  /** `false` when a table hit `maxBatches` and may hold more expired rows. */
  readonly complete: boolean;
}

/**
 * The outcome of {@link ManagedStorage.migrate}.
 *
 * @example
 * ```ts
 * const { applied, version }: MigrationReport = await storage.migrate();
 * console.log(applied.length ? `migrated to schema ${version}` : `schema ${version} is current`);
 * ```
 */
export interface MigrationReport {
  /** Versions applied by this call (empty when the schema was current). */
  readonly applied: readonly number[];
  /** The schema version now. */
  readonly version: number;
}

/**
 * A storage engine as grantry ships it: every repository, administration, migrations, clean-up and shutdown.
 *
 * @example
 * ```ts
 * const storage: ManagedStorage = openSqliteStorage({ filename: 'grantry.db' });
 * await storage.migrate();                     // explicit, idempotent, safe from two processes at once
 * setInterval(() => void storage.cleanup(), 3600_000).unref();
 * process.on('SIGTERM', () => void storage.close());
 * ```
 */
export interface ManagedStorage extends Storage {
  readonly engine: 'memory' | 'sqlite' | 'postgres';
  readonly admin: StorageAdmin;
  /** The registered resources (RFC 8707). */
  readonly resources: ResourceRepository;
  /** Sessions of the ready server's sign-in pages (server-side; the cookie holds only an opaque id). */
  readonly sessions: SessionRepository;
  /** Consents users asked the pages to remember, and the clients that never remember. */
  readonly consents: ConsentRepository;
  /** Clients that registered themselves (RFC 7591/7592), for `AuthorizationServerOptions.registration.clients`. */
  readonly registrations: ClientRegistrationRepository;
  /** The operator's initial access tokens for registration (RFC 7591 §3), stored as hashes. */
  readonly initialAccessTokens: InitialAccessTokenRepository;
  /** Single use of short-lived identifiers: DPoP proof `jti`s (RFC 9449 §11.1), client assertion `jti`s. */
  readonly replays: ReplayRepository;
  /** Pushed authorization requests (RFC 9126). */
  readonly pushedAuthorizationRequests: PushedAuthorizationRequestRepository;
  /** Applies pending schema migrations. Safe to call twice and from several processes at once. */
  migrate(): Promise<MigrationReport>;
  /** Deletes expired records in bounded batches. */
  cleanup(options?: CleanupOptions): Promise<CleanupReport>;
  /** Closes the database (no-op in memory). */
  close(): Promise<void>;
}

/**
 * Rows deleted per statement by {@link ManagedStorage.cleanup} unless `batchSize` says otherwise.
 *
 * @example
 * ```ts
 * await storage.cleanup({ batchSize: DEFAULT_CLEANUP_BATCH / 2 }); // shorter transactions
 * ```
 */
export const DEFAULT_CLEANUP_BATCH = 1000;

/**
 * Batches per table in one {@link ManagedStorage.cleanup} run unless `maxBatches` says otherwise.
 *
 * @example
 * ```ts
 * await storage.cleanup({ maxBatches: DEFAULT_CLEANUP_MAX_BATCHES * 10 }); // a bigger backlog in one run
 * ```
 */
export const DEFAULT_CLEANUP_MAX_BATCHES = 100;
