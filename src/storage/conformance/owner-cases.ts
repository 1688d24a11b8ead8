import { describe, expect, it, type TestContext } from 'vitest';
import type { SessionRecord } from '../session-repository.js';
import { LATER, accessToken, authCode, refreshToken, uid, type ConformanceContext } from './conformance-context.js';

const session = (over: Partial<SessionRecord> = {}): SessionRecord => ({
  id: uid('sess'),
  userId: uid('user'),
  username: 'alice',
  createdAt: LATER - 60_000,
  expiresAt: LATER + 3600_000,
  ...over,
});

/** Sessions, and what deleting a user or a client ends (their tokens, codes and sessions). */
export function ownerCases(ctx: ConformanceContext): void {
  const needSessions = (t: TestContext): void => {
    if (!ctx.storage().sessions) t.skip('this storage has no sessions');
  };
  const needAdmin = (t: TestContext): void => {
    if (!ctx.storage().admin) t.skip('this storage has no admin');
  };

  describe('sessions', () => {
    it('saves, finds, deletes one session, and deletes every session of a user', async (t) => {
      needSessions(t);
      const sessions = ctx.storage().sessions!;
      const userId = uid('user');
      const [a, b, other] = [session({ userId }), session({ userId, username: undefined }), session()];
      await Promise.all([a, b, other].map((r) => sessions.save(r)));
      expect(await sessions.find(a.id)).toEqual(a);
      expect(await sessions.find(b.id)).toEqual(b);
      await sessions.delete(a.id);
      expect(await sessions.find(a.id)).toBeUndefined();
      expect(await sessions.deleteByUser(userId)).toBe(1);
      expect(await sessions.find(b.id)).toBeUndefined();
      expect(await sessions.find(other.id)).toEqual(other);
    });

    it('are swept by the clean-up once expired', async (t) => {
      needSessions(t);
      const s = ctx.storage();
      if (!s.cleanup) return t.skip('this storage has no cleanup');
      const [gone, live] = [session({ expiresAt: 1_500 }), session()];
      await Promise.all([s.sessions!.save(gone), s.sessions!.save(live)]);
      expect(await s.cleanup({ now: 2_000 })).toMatchObject({ sessions: 1 });
      expect(await s.sessions!.find(gone.id)).toBeUndefined();
      expect(await s.sessions!.find(live.id)).toEqual(live);
    });
  });

  describe('deleting a user or a client', () => {
    it('deleting a user revokes their tokens and codes (a token saved into their families later too) and ends their sessions', async (t) => {
      needAdmin(t);
      const s = ctx.storage();
      const user = await s.admin!.createUser({ username: uid('carol'), password: 'correct horse battery staple' });
      const rt = refreshToken({ userId: user.id });
      const at = accessToken({ userId: user.id, familyId: undefined });
      const code = authCode({ userId: user.id });
      const stranger = refreshToken();
      await Promise.all([s.refreshTokens.save(rt), s.accessTokens.save(at), s.authCodes.save(code), s.refreshTokens.save(stranger)]);
      const theirs = session({ userId: user.id });
      if (s.sessions) await s.sessions.save(theirs);

      expect(await s.admin!.deleteUser(user.id)).toBe(true);
      expect(await s.users.getUser(user.id)).toBeUndefined();
      expect((await s.refreshTokens.consume(rt.id)).status).toBe('revoked');
      expect(await s.accessTokens.isRevoked(at.id)).toBe(true);
      expect((await s.authCodes.consume(code.id)).status).toBe('revoked');
      // A rotation in flight saves into the family afterwards: that token is revoked too.
      const late = refreshToken({ userId: user.id, familyId: rt.familyId });
      await s.refreshTokens.save(late);
      expect((await s.refreshTokens.consume(late.id)).status).toBe('revoked');
      if (s.sessions) expect(await s.sessions.find(theirs.id)).toBeUndefined();
      expect((await s.refreshTokens.consume(stranger.id)).status).toBe('consumed');
    });

    it('deleting a client revokes its tokens and codes, so a client re-created with the id starts afresh', async (t) => {
      needAdmin(t);
      const s = ctx.storage();
      const clientId = uid('client');
      await s.admin!.createClient({ id: clientId, name: 'Gone', redirectUris: [], grantTypes: ['refresh_token'], scopes: [] });
      const rt = refreshToken({ clientId });
      const at = accessToken({ clientId, userId: undefined, familyId: undefined });
      const code = authCode({ clientId });
      await Promise.all([s.refreshTokens.save(rt), s.accessTokens.save(at), s.authCodes.save(code)]);
      expect(await s.admin!.deleteClient(clientId)).toBe(true);
      expect((await s.refreshTokens.consume(rt.id)).status).toBe('revoked');
      expect(await s.accessTokens.isRevoked(at.id)).toBe(true);
      expect((await s.authCodes.consume(code.id)).status).toBe('revoked');
    });
  });
}
