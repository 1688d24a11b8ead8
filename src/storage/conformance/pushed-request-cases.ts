import { describe, expect, it, type TestContext } from 'vitest';
import type { PushedAuthorizationRequestRecord } from '../../contracts/pushed-authorization-request-repository.js';
import { PUSHED_REQUEST_KEEP_MS } from '../../contracts/pushed-authorization-request-repository.js';
import { LATER, uid, type ConformanceContext } from './conformance-context.js';

const pushed = (over: Partial<PushedAuthorizationRequestRecord> = {}): PushedAuthorizationRequestRecord => ({
  id: uid('par'),
  clientId: 'conformance-client',
  params: { response_type: 'code', client_id: 'conformance-client', redirect_uri: 'https://app.example.test/cb', scope: 'read write', state: 'ünïcødé & = ?' },
  expiresAt: LATER + 60_000,
  ...over,
});

/** Pushed authorization requests (RFC 9126): round trip, single use under concurrency, clean-up after the keep time. */
export function pushedRequestCases(ctx: ConformanceContext): void {
  const repo = () => ctx.storage().pushedAuthorizationRequests!;
  const needRepo = (t: TestContext): void => {
    if (!ctx.storage().pushedAuthorizationRequests) t.skip('this storage keeps no pushed authorization requests');
  };

  describe('pushed authorization requests', () => {
    it('reads a saved request back as given, not yet consumed', async (t) => {
      needRepo(t);
      const r = pushed();
      await repo().save(r);
      expect(await repo().find(r.id)).toEqual({ ...r, consumed: false });
      expect(await repo().find(uid('par'))).toBeUndefined();
    });

    it('consumes a request once, even when many try at the same time (RFC 9126 §7.3)', async (t) => {
      needRepo(t);
      const r = pushed();
      await repo().save(r);
      const results = await Promise.all(Array.from({ length: 8 }, () => repo().consume(r.id)));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await repo().find(r.id)).toMatchObject({ consumed: true });
      expect(await repo().consume(r.id)).toBe(false);
      expect(await repo().consume(uid('par'))).toBe(false);
    });

    it('keeps an expired request for the sign-in time, then cleans it up', async (t) => {
      needRepo(t);
      if (!ctx.storage().cleanup) t.skip('this storage has no clean-up');
      const expiresAt = Date.parse('2020-01-01T00:00:00Z');
      const r = pushed({ expiresAt });
      await repo().save(r);
      await ctx.storage().cleanup!({ now: expiresAt + PUSHED_REQUEST_KEEP_MS - 1000 });
      expect(await repo().find(r.id)).toBeDefined();
      const report = await ctx.storage().cleanup!({ now: expiresAt + PUSHED_REQUEST_KEEP_MS + 1000 });
      expect(report.pushedAuthorizationRequests).toBeGreaterThanOrEqual(1);
      expect(await repo().find(r.id)).toBeUndefined();
    });
  });
}
