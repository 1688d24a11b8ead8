import { describe, expect, it, type TestContext } from 'vitest';
import { accessToken, authCode, deviceCode, refreshToken, type ConformanceContext } from './conformance-context.js';

// Records of these cases expire in 1970, far before any other case's, so the runs below touch only them.
const EXPIRED = 1_500;
const NOW = 2_000;

/** Clean-up of expired records in bounded batches. */
export function cleanupCases(ctx: ConformanceContext): void {
  const needCleanup = (t: TestContext): void => {
    if (typeof ctx.storage().cleanup !== 'function') t.skip('this storage has no cleanup');
  };

  describe('clean-up', () => {
    it('deletes expired records of every kind and keeps live ones', async (t) => {
      needCleanup(t);
      const s = ctx.storage();
      const gone = {
        at: accessToken({ expiresAt: EXPIRED }),
        rt: refreshToken({ expiresAt: EXPIRED }),
        code: authCode({ expiresAt: EXPIRED }),
        dc: deviceCode({ expiresAt: EXPIRED }),
      };
      const live = { at: accessToken(), rt: refreshToken(), code: authCode(), dc: deviceCode() };
      for (const r of [gone, live]) {
        await Promise.all([s.accessTokens.save(r.at), s.refreshTokens.save(r.rt), s.authCodes.save(r.code), s.deviceCodes.save(r.dc)]);
      }
      const report = await s.cleanup!({ now: NOW });
      expect(report).toMatchObject({ accessTokens: 1, refreshTokens: 1, authCodes: 1, deviceCodes: 1, complete: true });
      expect(await s.accessTokens.find(gone.at.id)).toBeUndefined();
      expect(await s.refreshTokens.find(gone.rt.id)).toBeUndefined();
      expect(await s.authCodes.consume(gone.code.id)).toEqual({ status: 'not_found' });
      expect(await s.deviceCodes.findByUserCode(gone.dc.userCode)).toBeUndefined();
      expect(await s.accessTokens.find(live.at.id)).toBeDefined();
      expect(await s.refreshTokens.find(live.rt.id)).toBeDefined();
      expect((await s.authCodes.consume(live.code.id)).status).toBe('consumed');
      expect(await s.deviceCodes.findByUserCode(live.dc.userCode)).toBeDefined();
    });

    it('stops after maxBatches × batchSize rows and says it is not complete', async (t) => {
      needCleanup(t);
      const s = ctx.storage();
      const records = Array.from({ length: 5 }, () => accessToken({ expiresAt: EXPIRED }));
      await Promise.all(records.map((r) => s.accessTokens.save(r)));
      const first = await s.cleanup!({ now: NOW, batchSize: 2, maxBatches: 1 });
      expect(first).toMatchObject({ accessTokens: 2, complete: false });
      const second = await s.cleanup!({ now: NOW, batchSize: 2, maxBatches: 10 });
      expect(second).toMatchObject({ accessTokens: 3, complete: true });
    });

    it('forgets a revoked family once its last token is gone', async (t) => {
      needCleanup(t);
      const s = ctx.storage();
      const r = refreshToken({ expiresAt: EXPIRED });
      await s.refreshTokens.save(r);
      await s.refreshTokens.revokeFamily(r.familyId);
      expect((await s.cleanup!({ now: NOW })).families).toBe(0); // within the grace period
      const report = await s.cleanup!({ now: Date.now() + 2 * 3600_000, batchSize: 1000 });
      expect(report.families).toBeGreaterThanOrEqual(1);
    });
  });
}
