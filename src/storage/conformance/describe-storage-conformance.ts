import { afterAll, beforeAll, describe, it } from 'vitest';
import { adminCases } from './admin-cases.js';
import { atomicCases } from './atomic-cases.js';
import { cleanupCases } from './cleanup-cases.js';
import type { ConformanceContext, ConformanceStorage } from './conformance-context.js';
import { deviceCases } from './device-cases.js';
import { ownerCases } from './owner-cases.js';
import { registrationCases } from './registration-cases.js';
import { replayCases } from './replay-cases.js';
import { resourceCases } from './resource-cases.js';
import { tokenCases } from './token-cases.js';
import { pushedRequestCases } from './pushed-request-cases.js';

/**
 * Options of {@link describeStorageConformance}.
 *
 * @example
 * ```ts
 * import { openPostgresStorage } from 'grantry/storage/postgres';
 * const options: ConformanceOptions = process.env.DATABASE_URL ? {} : { skip: 'DATABASE_URL is not set' };
 * describeStorageConformance('postgres', () => openPostgresStorage({ connectionString: process.env.DATABASE_URL! }), options);
 * ```
 */
export interface ConformanceOptions {
  /** Skip the whole suite with this reason (shown in the test name), e.g. when a database is not configured. */
  readonly skip?: string | undefined;
}

/**
 * The storage contract as a vitest suite: round trips, atomic single use under concurrency (refresh tokens, codes,
 * device approvals, pushed authorization requests), family revocation, and, when the storage has them, atomic
 * rotation and redemption (all or nothing under an injected failure, the reuse grace window), administration,
 * resources (RFC 8707), clean-up and dynamic client registration. Run it
 * against your own repositories to check that grantry can rely on them.
 *
 * The storage is opened once for the suite; every case uses fresh random ids, so a shared database is fine.
 *
 * @example
 * ```ts
 * // my-storage.test.ts
 * import { describeStorageConformance } from 'grantry/storage/conformance';
 * describeStorageConformance('my storage', async () => {
 *   const storage = openMyStorage(process.env.DATABASE_URL!);
 *   await storage.migrate();
 *   return storage; // { clients, scopes, accessTokens, refreshTokens, authCodes, users, deviceCodes, admin?, cleanup?, close? }
 * });
 * ```
 */
export function describeStorageConformance(
  name: string,
  open: () => ConformanceStorage | Promise<ConformanceStorage>,
  options: ConformanceOptions = {},
): void {
  if (options.skip !== undefined) {
    describe(`storage conformance: ${name}`, () => {
      it.skip(`skipped: ${options.skip}`, () => undefined);
    });
    return;
  }
  describe(`storage conformance: ${name}`, () => {
    let storage: ConformanceStorage | undefined;
    const ctx: ConformanceContext = {
      storage: () => {
        if (!storage) throw new Error('grantry conformance: the storage did not open');
        return storage;
      },
    };
    beforeAll(async () => {
      storage = await open();
    });
    afterAll(async () => {
      await storage?.close?.();
    });
    tokenCases(ctx);
    atomicCases(ctx);
    deviceCases(ctx);
    adminCases(ctx);
    cleanupCases(ctx);
    ownerCases(ctx);
    registrationCases(ctx);
    replayCases(ctx);
    resourceCases(ctx);
    pushedRequestCases(ctx);
  });
}
