import { describe, expect, it, type TestContext } from 'vitest';
import type { Client } from '../../contracts/types.js';
import { authCode, refreshToken, uid, type ConformanceContext } from './conformance-context.js';

/**
 * DPoP (RFC 9449): single use of identifiers (`ReplayRepository`), and the key bindings stored with refresh tokens,
 * codes and clients.
 */
export function replayCases(ctx: ConformanceContext): void {
  const replays = () => ctx.storage().replays!;
  const needReplays = (t: TestContext): void => {
    if (!ctx.storage().replays) t.skip('this storage has no replays repository');
  };

  describe('replays (single use of a DPoP proof jti, RFC 9449 §11.1)', () => {
    it('accepts an identifier once, and again only under another namespace or id', async (t) => {
      needReplays(t);
      const id = uid('jti');
      const until = Date.now() + 60_000;
      expect(await replays().useOnce('dpop', id, until)).toBe(true);
      expect(await replays().useOnce('dpop', id, until)).toBe(false);
      expect(await replays().useOnce('client-assertion', id, until)).toBe(true);
      expect(await replays().useOnce('dpop', uid('jti'), until)).toBe(true);
    });

    it('lets exactly one of many concurrent calls use an identifier', async (t) => {
      needReplays(t);
      const id = uid('jti');
      const results = await Promise.all(Array.from({ length: 12 }, () => replays().useOnce('dpop', id, Date.now() + 60_000)));
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    it('accepts an identifier again once its record has expired', async (t) => {
      needReplays(t);
      const id = uid('jti');
      expect(await replays().useOnce('dpop', id, Date.now() - 1_000)).toBe(true);
      expect(await replays().useOnce('dpop', id, Date.now() + 60_000)).toBe(true);
      expect(await replays().useOnce('dpop', id, Date.now() + 60_000)).toBe(false);
    });

    it('is cleaned up once expired', async (t) => {
      needReplays(t);
      if (typeof ctx.storage().cleanup !== 'function') t.skip('this storage has no cleanup');
      await replays().useOnce('dpop', uid('jti'), 1_500);
      const report = await ctx.storage().cleanup!({ now: 2_000 });
      expect(report.replays).toBeGreaterThanOrEqual(1);
    });
  });

  describe('DPoP key bindings (RFC 9449 §5, §10)', () => {
    it('keeps the dpopJkt of a refresh token and of a code', async () => {
      const s = ctx.storage();
      const rt = refreshToken({ dpopJkt: 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs' });
      const code = authCode({ dpopJkt: 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs' });
      await Promise.all([s.refreshTokens.save(rt), s.authCodes.save(code)]);
      expect((await s.refreshTokens.find(rt.id))?.dpopJkt).toBe(rt.dpopJkt);
      expect((await s.authCodes.find(code.id))?.dpopJkt).toBe(code.dpopJkt);
      const consumed = await s.refreshTokens.consume(rt.id);
      expect(consumed.status === 'consumed' && consumed.record.dpopJkt).toBe(rt.dpopJkt);
      const unbound = refreshToken();
      await s.refreshTokens.save(unbound);
      expect((await s.refreshTokens.find(unbound.id))?.dpopJkt).toBeUndefined();
    });

    it('keeps a client\'s dpopBoundAccessTokens across create and update (RFC 9449 §5.2)', async (t) => {
      const admin = ctx.storage().admin;
      if (!admin) return t.skip('this storage has no admin');
      const client: Client = { id: uid('client'), name: 'DPoP app', redirectUris: ['http://127.0.0.1/cb'], grantTypes: ['authorization_code'], scopes: [], dpopBoundAccessTokens: true };
      await admin.createClient(client);
      expect((await ctx.storage().clients.getClient(client.id))?.dpopBoundAccessTokens).toBe(true);
      expect(await admin.updateClient({ ...client, dpopBoundAccessTokens: false })).toBe(true);
      expect((await admin.getClient(client.id))?.dpopBoundAccessTokens ?? false).toBe(false);
    });
  });
}
