import { describe, expect, it } from 'vitest';
import { LATER, accessToken, authCode, countStatuses, refreshToken, type ConformanceContext } from './conformance-context.js';

/** Access tokens, refresh tokens and authorization codes: round trips, single use, revocation. */
export function tokenCases(ctx: ConformanceContext): void {
  describe('access tokens', () => {
    it('saves a record and finds it unchanged, optional fields included', async () => {
      const { accessTokens } = ctx.storage();
      const full = accessToken();
      const bare = accessToken({ userId: undefined, familyId: undefined, scopes: [] });
      await Promise.all([accessTokens.save(full), accessTokens.save(bare)]);
      expect(await accessTokens.find(full.id)).toEqual({ ...full, revoked: false });
      expect(await accessTokens.find(bare.id)).toEqual({ ...bare, revoked: false });
      expect(await accessTokens.find('at-unknown')).toBeUndefined();
      expect(await accessTokens.isRevoked(full.id)).toBe(false);
    });

    it('keeps an opaque access token\'s claims (what a JWT would carry) across save, pair save and find', async () => {
      const { accessTokens, refreshTokens } = ctx.storage();
      const claims = { iss: 'https://as.example.test', sub: 'user-1', aud: ['https://api.example.test'], exp: 2e9, iat: 1.9e9, jti: 'x', client_id: 'app', scope: 'read', tenant: { id: 7 } };
      const alone = accessToken({ claims });
      const paired = accessToken({ claims });
      // A refresh token saved with its access token in the same turn: the engines write the pair together.
      await Promise.all([accessTokens.save(alone), accessTokens.save(paired), refreshTokens.save(refreshToken({ accessTokenId: paired.id }))]);
      expect(await accessTokens.find(alone.id)).toEqual({ ...alone, revoked: false });
      expect(await accessTokens.find(paired.id)).toEqual({ ...paired, revoked: false });
      await accessTokens.revoke(paired.id);
      expect(await accessTokens.find(paired.id)).toEqual({ ...paired, revoked: true });
    });

    it('revokes one token by id (RFC 7009 §2.1)', async () => {
      const { accessTokens } = ctx.storage();
      const [a, b] = [accessToken(), accessToken()];
      await Promise.all([accessTokens.save(a), accessTokens.save(b)]);
      await accessTokens.revoke(a.id);
      expect(await accessTokens.isRevoked(a.id)).toBe(true);
      expect((await accessTokens.find(a.id))?.revoked).toBe(true);
      expect(await accessTokens.isRevoked(b.id)).toBe(false);
    });

    it('revokes a whole family, and a token saved into it afterwards, but no other family (RFC 9700 §4.14.2)', async () => {
      const { accessTokens } = ctx.storage();
      const family = accessToken().familyId!;
      const members = [accessToken({ familyId: family }), accessToken({ familyId: family })];
      const stranger = accessToken();
      await Promise.all([...members, stranger].map((r) => accessTokens.save(r)));
      await accessTokens.revokeFamily(family);
      const late = accessToken({ familyId: family });
      await accessTokens.save(late);
      for (const r of [...members, late]) expect(await accessTokens.isRevoked(r.id)).toBe(true);
      expect(await accessTokens.isRevoked(stranger.id)).toBe(false);
    });
  });

  describe('refresh tokens', () => {
    it('saves a record and finds it unchanged, neither consumed nor revoked', async () => {
      const { refreshTokens } = ctx.storage();
      const full = refreshToken();
      const bare = refreshToken({ userId: undefined, accessTokenId: undefined });
      await Promise.all([refreshTokens.save(full), refreshTokens.save(bare)]);
      expect(await refreshTokens.find(full.id)).toEqual({ ...full, consumed: false, revoked: false });
      expect(await refreshTokens.find(bare.id)).toEqual({ ...bare, consumed: false, revoked: false });
      expect(await refreshTokens.find('rt-unknown')).toBeUndefined();
    });

    it('keeps the family start (authTime) across a save and a consume', async () => {
      const { refreshTokens } = ctx.storage();
      const r = refreshToken({ authTime: LATER - 86400_000 });
      await refreshTokens.save(r);
      expect(await refreshTokens.find(r.id)).toMatchObject({ authTime: LATER - 86400_000 });
      expect(await refreshTokens.consume(r.id)).toEqual({ status: 'consumed', record: r });
    });

    it('consumes a token once; the second use is reported as reuse with the record (RFC 9700 §4.14.2)', async () => {
      const { refreshTokens } = ctx.storage();
      const r = refreshToken();
      await refreshTokens.save(r);
      expect(await refreshTokens.consume(r.id)).toEqual({ status: 'consumed', record: r });
      expect(await refreshTokens.consume(r.id)).toEqual({ status: 'reused', record: r });
      expect(await refreshTokens.find(r.id)).toMatchObject({ consumed: true, revoked: false });
      expect(await refreshTokens.consume('rt-unknown')).toEqual({ status: 'not_found' });
    });

    it('lets exactly one of 50 concurrent consumers win', async () => {
      const { refreshTokens } = ctx.storage();
      const r = refreshToken();
      await refreshTokens.save(r);
      const results = await Promise.all(Array.from({ length: 50 }, () => refreshTokens.consume(r.id)));
      expect(countStatuses(results)).toEqual({ consumed: 1, reused: 49 });
    });

    it('answers revoked for a revoked token that was never used', async () => {
      const { refreshTokens } = ctx.storage();
      const r = refreshToken();
      await refreshTokens.save(r);
      await refreshTokens.revoke(r.id);
      expect(await refreshTokens.consume(r.id)).toEqual({ status: 'revoked', record: r });
      expect(await refreshTokens.find(r.id)).toMatchObject({ consumed: false, revoked: true });
    });

    it('revokes a family as a set: the newest token and one saved later stop working, other families do not', async () => {
      const { refreshTokens } = ctx.storage();
      const old = refreshToken();
      const newest = refreshToken({ familyId: old.familyId });
      const stranger = refreshToken();
      await Promise.all([old, newest, stranger].map((r) => refreshTokens.save(r)));
      await refreshTokens.consume(old.id);
      await refreshTokens.revokeFamily(old.familyId);
      // A rotation that raced with reuse detection saves its token after the revocation: it must not survive.
      const late = refreshToken({ familyId: old.familyId });
      await refreshTokens.save(late);
      expect((await refreshTokens.consume(old.id)).status).toBe('reused');
      expect((await refreshTokens.consume(newest.id)).status).toBe('revoked');
      expect((await refreshTokens.consume(late.id)).status).toBe('revoked');
      expect(await refreshTokens.find(newest.id)).toMatchObject({ revoked: true });
      expect((await refreshTokens.consume(stranger.id)).status).toBe('consumed');
    });
  });

  it('treats ids with a NUL byte as unknown, never as a storage error', async () => {
    const s = ctx.storage();
    const nul = 'x\u0000y';
    expect(await s.clients.getClient(nul)).toBeUndefined();
    expect(await s.accessTokens.find(nul)).toBeUndefined();
    expect(await s.refreshTokens.find(nul)).toBeUndefined();
    expect(await s.refreshTokens.consume(nul)).toEqual({ status: 'not_found' });
    expect(await s.authCodes.consume(nul)).toEqual({ status: 'not_found' });
    expect(await s.deviceCodes.findByUserCode(nul)).toBeUndefined();
    expect(await s.deviceCodes.decide(nul, { approved: true, userId: 'user-1' }, LATER)).toBe(false);
    expect(await s.deviceCodes.poll(nul, LATER)).toEqual({ status: 'not_found' });
    expect(await s.users.getUser(nul)).toBeUndefined();
    expect(await s.scopes.getScopes([nul])).toEqual([]);
  });

  describe('authorization codes', () => {
    it('reads a code without spending it: find leaves it to consume, and shows it consumed afterwards', async () => {
      const { authCodes } = ctx.storage();
      const code = authCode();
      await authCodes.save(code);
      expect(await authCodes.find(code.id)).toEqual({ ...code, consumed: false, revoked: false });
      expect(await authCodes.find(code.id)).toEqual({ ...code, consumed: false, revoked: false });
      expect((await authCodes.consume(code.id)).status).toBe('consumed');
      expect(await authCodes.find(code.id)).toMatchObject({ consumed: true, revoked: false });
      expect(await authCodes.find('code-unknown')).toBeUndefined();
    });

    it('consumes a code once with every field intact; a second use is reuse (RFC 6749 §4.1.2)', async () => {
      const { authCodes } = ctx.storage();
      const full = authCode();
      const bare = authCode({ redirectUri: undefined, codeChallenge: undefined, codeChallengeMethod: undefined });
      await Promise.all([authCodes.save(full), authCodes.save(bare)]);
      expect(await authCodes.consume(full.id)).toEqual({ status: 'consumed', record: full });
      expect(await authCodes.consume(full.id)).toEqual({ status: 'reused', record: full });
      expect(await authCodes.consume(bare.id)).toEqual({ status: 'consumed', record: bare });
      expect(await authCodes.consume('code-unknown')).toEqual({ status: 'not_found' });
    });

    it('lets exactly one of 50 concurrent redemptions win', async () => {
      const { authCodes } = ctx.storage();
      const c = authCode();
      await authCodes.save(c);
      const results = await Promise.all(Array.from({ length: 50 }, () => authCodes.consume(c.id)));
      expect(countStatuses(results)).toEqual({ consumed: 1, reused: 49 });
    });

    it('answers revoked for a revoked code', async () => {
      const { authCodes } = ctx.storage();
      const c = authCode();
      await authCodes.save(c);
      await authCodes.revoke(c.id);
      expect(await authCodes.consume(c.id)).toEqual({ status: 'revoked', record: c });
    });

    it('reports a code revoked after its redemption, so a racing first redemption can revoke its tokens', async (t) => {
      const { authCodes } = ctx.storage();
      if (!authCodes.isRevoked) return t.skip('this storage has no authCodes.isRevoked');
      const c = authCode();
      await authCodes.save(c);
      await authCodes.consume(c.id);
      expect(await authCodes.isRevoked(c.id)).toBe(false);
      await authCodes.revoke(c.id);
      expect(await authCodes.isRevoked(c.id)).toBe(true);
      expect(await authCodes.isRevoked('code-unknown')).toBe(false);
    });
  });
}
