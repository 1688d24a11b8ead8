import { describe, expect, it } from 'vitest';
import type { AccessTokenRecord, IssuedTokens, RefreshTokenRecord, Storage } from '../../contracts/repositories.js';
import { LATER, accessToken, authCode, countStatuses, refreshToken, type ConformanceContext } from './conformance-context.js';

const GRACE = 5000;

type Pair = IssuedTokens & { readonly accessToken: AccessTokenRecord; readonly refreshToken: RefreshTokenRecord };

/** The pair a rotation (or a redemption) in a family stores. */
function pair(familyId: string, over: { accessId?: string; refreshId?: string; revoke?: string | undefined } = {}): Pair {
  const at = accessToken({ familyId, ...(over.accessId === undefined ? {} : { id: over.accessId }) });
  const rt = refreshToken({ familyId, accessTokenId: at.id, ...(over.refreshId === undefined ? {} : { id: over.refreshId }) });
  return { accessToken: at, refreshToken: rt, revokeAccessTokenId: over.revoke };
}

/** A saved refresh token with its saved access token. */
async function savedToken(s: Storage): Promise<RefreshTokenRecord> {
  const at = accessToken();
  const rt = refreshToken({ familyId: at.familyId!, accessTokenId: at.id });
  await Promise.all([s.accessTokens.save(at), s.refreshTokens.save(rt)]);
  return rt;
}

/** Whether a pair is stored and usable: its refresh token unspent and unrevoked, its access token unrevoked. */
async function live(s: Storage, next: Pair): Promise<boolean> {
  const rt = await s.refreshTokens.find(next.refreshToken.id);
  const at = await s.accessTokens.find(next.accessToken.id);
  return rt !== undefined && !rt.consumed && !rt.revoked && at !== undefined && !at.revoked;
}

async function stored(s: Storage, next: Pair): Promise<{ refresh: boolean; access: boolean }> {
  return {
    refresh: (await s.refreshTokens.find(next.refreshToken.id)) !== undefined,
    access: (await s.accessTokens.find(next.accessToken.id)) !== undefined,
  };
}

/**
 * Spending a refresh token or a code and storing what is issued for it, as one atomic step (`rotate`, `redeem`):
 * all or nothing under injected failures, single use under concurrency, and the refresh reuse grace window.
 */
export function atomicCases(ctx: ConformanceContext): void {
  describe('atomic rotation', () => {
    it('spends the token, stores the new pair and revokes the replaced access token in one step (RFC 9700 §4.14.2)', async (t) => {
      const s = ctx.storage();
      if (!s.refreshTokens.rotate) return t.skip('this storage has no refreshTokens.rotate');
      const old = await savedToken(s);
      const next = pair(old.familyId, { revoke: old.accessTokenId });
      expect(await s.refreshTokens.rotate(old.id, next, { now: LATER })).toEqual({ status: 'consumed', record: old });
      expect(await s.refreshTokens.find(old.id)).toMatchObject({ consumed: true, revoked: false });
      expect(await s.refreshTokens.find(next.refreshToken.id)).toEqual({ ...next.refreshToken, consumed: false, revoked: false });
      expect(await s.accessTokens.find(next.accessToken.id)).toEqual({ ...next.accessToken, revoked: false });
      expect(await s.accessTokens.isRevoked(old.accessTokenId!)).toBe(true);
      // Spent: a second rotation is reuse and stores nothing.
      const again = pair(old.familyId);
      expect(await s.refreshTokens.rotate(old.id, again, { now: LATER })).toEqual({ status: 'reused', record: old });
      expect(await stored(s, again)).toEqual({ refresh: false, access: false });
      expect(await s.refreshTokens.rotate('rt-unknown', pair('fam-x'), { now: LATER })).toEqual({ status: 'not_found' });
    });

    it('stores an opaque access token\'s claims with the pair a rotation stores', async (t) => {
      const s = ctx.storage();
      if (!s.refreshTokens.rotate) return t.skip('this storage has no refreshTokens.rotate');
      const old = await savedToken(s);
      const next = pair(old.familyId, { revoke: old.accessTokenId });
      const opaque = { ...next, accessToken: { ...next.accessToken, claims: { sub: 'user-1', scope: 'read', exp: 2e9 } } };
      expect((await s.refreshTokens.rotate(old.id, opaque, { now: LATER })).status).toBe('consumed');
      expect(await s.accessTokens.find(opaque.accessToken.id)).toEqual({ ...opaque.accessToken, revoked: false });
    });

    it.for(['refresh', 'access'] as const)(
      'leaves the old token valid and nothing new stored when the %s token cannot be stored (a failure between the spend and the write)',
      async (failing, t) => {
        const s = ctx.storage();
        if (!s.refreshTokens.rotate) return t.skip('this storage has no refreshTokens.rotate');
        const old = await savedToken(s);
        // An id that is taken: the insert fails on its primary key after the spend has run.
        const taken = await savedToken(s);
        const broken = pair(old.familyId, failing === 'refresh' ? { refreshId: taken.id, revoke: old.accessTokenId } : { accessId: taken.accessTokenId!, revoke: old.accessTokenId });
        await expect(s.refreshTokens.rotate(old.id, broken, { now: LATER })).rejects.toBeDefined();
        expect(await s.refreshTokens.find(old.id)).toMatchObject({ consumed: false, revoked: false });
        expect(await s.accessTokens.isRevoked(old.accessTokenId!)).toBe(false);
        if (failing === 'refresh') expect(await s.accessTokens.find(broken.accessToken.id)).toBeUndefined();
        else expect(await s.refreshTokens.find(broken.refreshToken.id)).toBeUndefined();
        expect(await s.refreshTokens.find(taken.id)).toEqual({ ...taken, consumed: false, revoked: false });
        // The client's retry rotates normally.
        const retry = pair(old.familyId, { revoke: old.accessTokenId });
        expect((await s.refreshTokens.rotate(old.id, retry, { now: LATER })).status).toBe('consumed');
        expect(await live(s, retry)).toBe(true);
      },
    );

    it('lets exactly one of 50 concurrent rotations store its pair', async (t) => {
      const s = ctx.storage();
      if (!s.refreshTokens.rotate) return t.skip('this storage has no refreshTokens.rotate');
      const old = await savedToken(s);
      const pairs = Array.from({ length: 50 }, () => pair(old.familyId, { revoke: old.accessTokenId }));
      const results = await Promise.all(pairs.map((p) => s.refreshTokens.rotate!(old.id, p, { now: LATER })));
      expect(countStatuses(results)).toEqual({ consumed: 1, reused: 49 });
      const kept = await Promise.all(pairs.map((p) => stored(s, p)));
      results.forEach((r, i) => expect(kept[i]).toEqual(r.status === 'consumed' ? { refresh: true, access: true } : { refresh: false, access: false }));
    });

    it('in the grace window, lets a retry replace the unused successor: the first pair is revoked, the new one works', async (t) => {
      const s = ctx.storage();
      if (!s.refreshTokens.rotate) return t.skip('this storage has no refreshTokens.rotate');
      const old = await savedToken(s);
      const first = pair(old.familyId, { revoke: old.accessTokenId });
      const retry = pair(old.familyId, { revoke: old.accessTokenId });
      expect((await s.refreshTokens.rotate(old.id, first, { now: LATER, reuseGraceMs: GRACE })).status).toBe('consumed');
      expect(await s.refreshTokens.rotate(old.id, retry, { now: LATER + GRACE - 1, reuseGraceMs: GRACE })).toEqual({
        status: 'retried',
        record: old,
        replacedId: first.refreshToken.id,
      });
      expect(await s.refreshTokens.find(first.refreshToken.id)).toMatchObject({ revoked: true });
      expect(await s.accessTokens.isRevoked(first.accessToken.id)).toBe(true);
      expect(await live(s, retry)).toBe(true);
      expect((await s.refreshTokens.rotate(retry.refreshToken.id, pair(old.familyId), { now: LATER + GRACE })).status).toBe('consumed');
    });

    it('outside the grace window, without it, or once the successor is used, answers reuse and stores nothing', async (t) => {
      const s = ctx.storage();
      if (!s.refreshTokens.rotate) return t.skip('this storage has no refreshTokens.rotate');
      const old = await savedToken(s);
      const first = pair(old.familyId);
      await s.refreshTokens.rotate(old.id, first, { now: LATER, reuseGraceMs: GRACE });
      const attempts: [number, number][] = [
        [LATER + GRACE, GRACE], // the window is over
        [LATER + 1, 0], // no window
      ];
      for (const [now, reuseGraceMs] of attempts) {
        const late = pair(old.familyId);
        expect((await s.refreshTokens.rotate(old.id, late, { now, reuseGraceMs })).status).toBe('reused');
        expect(await stored(s, late)).toEqual({ refresh: false, access: false });
      }
      expect(await live(s, first)).toBe(true);
      // The client moved on: its successor is spent, so the old token is reuse even within the window.
      await s.refreshTokens.rotate(first.refreshToken.id, pair(old.familyId), { now: LATER + 1, reuseGraceMs: GRACE });
      const replay = pair(old.familyId);
      expect((await s.refreshTokens.rotate(old.id, replay, { now: LATER + 2, reuseGraceMs: GRACE })).status).toBe('reused');
      expect(await stored(s, replay)).toEqual({ refresh: false, access: false });
    });

    it('never leaves two live successors: of 50 concurrent uses within the grace window, exactly one pair stays usable', async (t) => {
      const s = ctx.storage();
      if (!s.refreshTokens.rotate) return t.skip('this storage has no refreshTokens.rotate');
      const old = await savedToken(s);
      const pairs = Array.from({ length: 50 }, () => pair(old.familyId, { revoke: old.accessTokenId }));
      const results = await Promise.all(pairs.map((p) => s.refreshTokens.rotate!(old.id, p, { now: LATER, reuseGraceMs: GRACE })));
      expect(countStatuses(results).consumed).toBe(1);
      expect(results.every((r) => r.status === 'consumed' || r.status === 'retried' || r.status === 'reused')).toBe(true);
      const usable = await Promise.all(pairs.map((p) => live(s, p)));
      expect(usable.filter(Boolean)).toHaveLength(1);
    });
  });

  describe('atomic code redemption', () => {
    it('spends the code and stores its tokens in one step; a second redemption stores nothing (RFC 6749 §4.1.2)', async (t) => {
      const { authCodes } = ctx.storage();
      if (!authCodes.redeem || !authCodes.find) return t.skip('this storage has no authCodes.redeem and find');
      const s = ctx.storage();
      const code = authCode();
      await authCodes.save(code);
      expect(await authCodes.find(code.id)).toEqual({ ...code, consumed: false, revoked: false });
      const tokens = pair(code.familyId);
      expect(await authCodes.redeem(code.id, tokens)).toEqual({ status: 'consumed', record: code });
      expect(await live(s, tokens)).toBe(true);
      expect(await authCodes.find(code.id)).toMatchObject({ consumed: true });
      const replay = pair(code.familyId);
      expect(await authCodes.redeem(code.id, replay)).toEqual({ status: 'reused', record: code });
      expect(await stored(s, replay)).toEqual({ refresh: false, access: false });
      expect(await authCodes.redeem('code-unknown', pair('fam-x'))).toEqual({ status: 'not_found' });
      expect(await authCodes.find('code-unknown')).toBeUndefined();
    });

    it.for(['refresh', 'access'] as const)(
      'leaves the code redeemable and nothing stored when the %s token cannot be stored (a failure between the spend and the write)',
      async (failing, t) => {
        const s = ctx.storage();
        const { authCodes } = s;
        if (!authCodes.redeem || !authCodes.find) return t.skip('this storage has no authCodes.redeem and find');
        const code = authCode();
        await authCodes.save(code);
        const taken = await savedToken(s);
        const broken = pair(code.familyId, failing === 'refresh' ? { refreshId: taken.id } : { accessId: taken.accessTokenId! });
        await expect(authCodes.redeem(code.id, broken)).rejects.toBeDefined();
        expect(await authCodes.find(code.id)).toMatchObject({ consumed: false, revoked: false });
        if (failing === 'refresh') expect(await s.accessTokens.find(broken.accessToken.id)).toBeUndefined();
        else expect(await s.refreshTokens.find(broken.refreshToken.id)).toBeUndefined();
        const retry = pair(code.familyId);
        expect((await authCodes.redeem(code.id, retry)).status).toBe('consumed');
        expect(await live(s, retry)).toBe(true);
      },
    );

    it('lets exactly one of 50 concurrent redemptions store its tokens', async (t) => {
      const s = ctx.storage();
      if (!s.authCodes.redeem) return t.skip('this storage has no authCodes.redeem');
      const code = authCode();
      await s.authCodes.save(code);
      const all = Array.from({ length: 50 }, () => pair(code.familyId));
      const results = await Promise.all(all.map((p) => s.authCodes.redeem!(code.id, p)));
      expect(countStatuses(results)).toEqual({ consumed: 1, reused: 49 });
      const kept = await Promise.all(all.map((p) => stored(s, p)));
      results.forEach((r, i) => expect(kept[i]).toEqual(r.status === 'consumed' ? { refresh: true, access: true } : { refresh: false, access: false }));
    });
  });
}
