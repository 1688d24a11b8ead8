import { describe, expect, it } from 'vitest';
import { LATER, countStatuses, deviceCode, type ConformanceContext } from './conformance-context.js';

/** Device codes (RFC 8628): lookup, decisions, polling with slow_down, single use of an approval. */
export function deviceCases(ctx: ConformanceContext): void {
  describe('device codes', () => {
    it('finds a saved code by its user code', async () => {
      const { deviceCodes } = ctx.storage();
      const d = deviceCode();
      await deviceCodes.save(d);
      expect(await deviceCodes.findByUserCode(d.userCode)).toEqual(d);
      expect(await deviceCodes.findByUserCode('NOPE0000')).toBeUndefined();
    });

    it('decides a pending code once; not a decided, expired or unknown one', async () => {
      const { deviceCodes } = ctx.storage();
      const d = deviceCode();
      const expired = deviceCode({ expiresAt: LATER - 1 });
      await Promise.all([deviceCodes.save(d), deviceCodes.save(expired)]);
      expect(await deviceCodes.decide(d.userCode, { approved: true, userId: 'user-1' }, LATER)).toBe(true);
      expect(await deviceCodes.decide(d.userCode, { approved: false, userId: undefined }, LATER)).toBe(false);
      expect(await deviceCodes.findByUserCode(d.userCode)).toMatchObject({ status: 'approved', userId: 'user-1' });
      expect(await deviceCodes.decide(expired.userCode, { approved: true, userId: 'user-1' }, LATER)).toBe(false);
      expect(await deviceCodes.decide('NOPE0000', { approved: true, userId: 'user-1' }, LATER)).toBe(false);
    });

    it('answers pending, then slow_down with the interval raised by 5 s when polled too soon (RFC 8628 §3.5)', async () => {
      const { deviceCodes } = ctx.storage();
      const d = deviceCode({ interval: 5 });
      await deviceCodes.save(d);
      const first = await deviceCodes.poll(d.id, LATER);
      expect(first).toMatchObject({ status: 'pending', record: { lastPolledAt: LATER, interval: 5 } });
      const tooSoon = await deviceCodes.poll(d.id, LATER + 2000);
      expect(tooSoon).toMatchObject({ status: 'slow_down', record: { interval: 10 } });
      expect(await deviceCodes.poll(d.id, LATER + 13_000)).toMatchObject({ status: 'pending', record: { interval: 10 } });
      expect(await deviceCodes.poll('dc-unknown', LATER)).toEqual({ status: 'not_found' });
    });

    it('hands an approval out once, then answers consumed; denied and expired codes say so', async () => {
      const { deviceCodes } = ctx.storage();
      const approved = deviceCode();
      const denied = deviceCode();
      const expired = deviceCode({ expiresAt: LATER - 1 });
      await Promise.all([approved, denied, expired].map((d) => deviceCodes.save(d)));
      await deviceCodes.decide(approved.userCode, { approved: true, userId: 'user-1' }, LATER - 10);
      await deviceCodes.decide(denied.userCode, { approved: false, userId: undefined }, LATER - 10);
      expect(await deviceCodes.poll(approved.id, LATER)).toMatchObject({ status: 'approved', record: { userId: 'user-1' } });
      expect((await deviceCodes.poll(approved.id, LATER + 10_000)).status).toBe('consumed');
      expect((await deviceCodes.poll(denied.id, LATER)).status).toBe('denied');
      expect((await deviceCodes.poll(expired.id, LATER)).status).toBe('expired');
    });

    it("answers not_found to another client's poll and leaves the code untouched (RFC 8628 §3.4)", async () => {
      const { deviceCodes } = ctx.storage();
      const d = deviceCode();
      await deviceCodes.save(d);
      await deviceCodes.decide(d.userCode, { approved: true, userId: 'user-1' }, LATER - 10);
      expect(await deviceCodes.poll(d.id, LATER, 'another-client')).toEqual({ status: 'not_found' });
      expect(await deviceCodes.findByUserCode(d.userCode)).toMatchObject({ status: 'approved', lastPolledAt: undefined, interval: 5 });
      expect((await deviceCodes.poll(d.id, LATER, d.clientId)).status).toBe('approved');
    });

    it('lets exactly one of 20 concurrent polls of an approved code receive it', async () => {
      const { deviceCodes } = ctx.storage();
      const d = deviceCode();
      await deviceCodes.save(d);
      await deviceCodes.decide(d.userCode, { approved: true, userId: 'user-1' }, LATER - 10);
      const results = await Promise.all(Array.from({ length: 20 }, () => deviceCodes.poll(d.id, LATER)));
      expect(countStatuses(results)).toEqual({ approved: 1, consumed: 19 });
    });
  });
}
