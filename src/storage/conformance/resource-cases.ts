import { describe, expect, it, type TestContext } from 'vitest';
import type { Client, Resource } from '../../contracts/types.js';
import { DuplicateRecordError } from '../storage-admin.js';
import { accessToken, authCode, deviceCode, refreshToken, uid, type ConformanceContext } from './conformance-context.js';

const resource = (over: Partial<Resource> = {}): Resource => ({
  id: `https://${uid('api')}.example.test/mcp`,
  name: 'Conformance API',
  scopes: ['read', 'write'],
  accessTokenTTL: 600,
  accessTokenFormat: 'jwt',
  ...over,
});

/**
 * Resources (RFC 8707): the admin's create / update / delete as the repository then reads them, a client's allowed
 * resources, and the resources a code, a refresh token and a device code keep (through save, consume, rotate and
 * redeem). Runs when the storage has a `resources` repository (and, for the admin cases, an admin).
 */
export function resourceCases(ctx: ConformanceContext): void {
  const admin = () => ctx.storage().admin!;
  const resources = () => ctx.storage().resources!;
  const needResources = (t: TestContext, withAdmin = true): void => {
    if (!ctx.storage().resources) t.skip('this storage has no resource repository');
    if (withAdmin && !ctx.storage().admin) t.skip('this storage has no admin');
  };

  describe('resources (RFC 8707)', () => {
    it('creates resources that the repository reads back as given, full and bare', async (t) => {
      needResources(t);
      const full = resource();
      const bare: Resource = { id: `urn:example:${uid('bare')}`, scopes: [] };
      await admin().createResource(full);
      await admin().createResource(bare);
      expect(await resources().getResource(full.id)).toEqual(full);
      expect(await resources().getResource(bare.id)).toEqual(bare);
      expect(await admin().getResource(full.id)).toEqual(full);
      expect(await resources().getResource(`${full.id}/other`)).toBeUndefined();
      const ids = (await resources().listResources()).map((r) => r.id);
      expect(ids).toEqual(expect.arrayContaining([full.id, bare.id]));
      expect(ids).toEqual([...ids].sort());
      expect((await admin().listResources()).map((r) => r.id)).toEqual(ids);
    });

    it('refuses a second resource with the same identifier with DuplicateRecordError', async (t) => {
      needResources(t);
      const r = resource();
      await admin().createResource(r);
      const error = await admin().createResource({ ...r, name: 'again' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DuplicateRecordError);
      expect(error).toMatchObject({ kind: 'resource', key: r.id });
    });

    it.for<[string, Partial<Resource>]>([
      ['a relative identifier', { id: '/mcp' }],
      ['an identifier with a fragment', { id: 'https://api.example.test/#frag' }],
      ['a scope with a space', { scopes: ['read write'] }],
      ['a lifetime that is not a positive whole number', { accessTokenTTL: 0 }],
    ])('refuses %s with a TypeError, storing nothing', async ([, over], t) => {
      needResources(t);
      const bad = resource(over);
      await expect(admin().createResource(bad)).rejects.toBeInstanceOf(TypeError);
      expect(await resources().getResource(bad.id)).toBeUndefined();
    });

    it('updates and deletes a resource; both answer false for an unknown one', async (t) => {
      needResources(t);
      const r = resource();
      await admin().createResource(r);
      const changed: Resource = { id: r.id, scopes: ['tools'], accessTokenFormat: 'opaque' };
      expect(await admin().updateResource(changed)).toBe(true);
      expect(await resources().getResource(r.id)).toEqual(changed);
      expect(await admin().updateResource(resource())).toBe(false);
      expect(await admin().deleteResource(r.id)).toBe(true);
      expect(await resources().getResource(r.id)).toBeUndefined();
      expect(await admin().deleteResource(r.id)).toBe(false);
    });

    it("stores a client's allowed resources, and refuses one that is not a resource identifier", async (t) => {
      needResources(t);
      const client: Client = {
        id: uid('client'), name: 'Resource client', redirectUris: [], grantTypes: ['client_credentials'], scopes: [],
        secretHash: 'sha256$47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU', resources: ['https://a.example.test', 'urn:example:b'],
      };
      await admin().createClient(client);
      expect(await ctx.storage().clients.getClient(client.id)).toEqual(client);
      const { resources: _, ...without } = client;
      expect(await admin().updateClient(without)).toBe(true);
      expect(await ctx.storage().clients.getClient(client.id)).toEqual(without);
      await expect(admin().updateClient({ ...client, resources: ['not a uri'] })).rejects.toBeInstanceOf(TypeError);
    });

    it('keeps the resources of a refresh token through save, find, consume and rotate', async (t) => {
      needResources(t, false);
      const { refreshTokens } = ctx.storage();
      const r = refreshToken({ resources: ['https://a.example.test', 'https://b.example.test/mcp'] });
      await refreshTokens.save(r);
      expect(await refreshTokens.find(r.id)).toEqual({ ...r, consumed: false, revoked: false });
      if (refreshTokens.rotate) {
        const next = refreshToken({ familyId: r.familyId, resources: r.resources });
        const at = accessToken({ familyId: r.familyId });
        const result = await refreshTokens.rotate(r.id, { accessToken: at, refreshToken: next }, { now: Date.now() });
        expect(result).toEqual({ status: 'consumed', record: r });
        expect(await refreshTokens.find(next.id)).toEqual({ ...next, consumed: false, revoked: false });
        expect(await refreshTokens.consume(next.id)).toEqual({ status: 'consumed', record: next });
      } else {
        expect(await refreshTokens.consume(r.id)).toEqual({ status: 'consumed', record: r });
      }
    });

    it('keeps the resources of a code through save, find and consume or redeem', async (t) => {
      needResources(t, false);
      const { authCodes } = ctx.storage();
      const code = authCode({ resources: ['https://a.example.test'] });
      await authCodes.save(code);
      expect(await authCodes.find(code.id)).toEqual({ ...code, consumed: false, revoked: false });
      const result = authCodes.redeem
        ? await authCodes.redeem(code.id, { accessToken: accessToken({ familyId: code.familyId }) })
        : await authCodes.consume(code.id);
      expect(result).toEqual({ status: 'consumed', record: code });
    });

    it('keeps the resources of a device code through save, lookup and poll', async (t) => {
      needResources(t, false);
      const { deviceCodes } = ctx.storage();
      const record = deviceCode({ resources: ['https://mcp.example.test/mcp'] });
      await deviceCodes.save(record);
      expect(await deviceCodes.findByUserCode(record.userCode)).toEqual(record);
      expect(await deviceCodes.decide(record.userCode, { approved: true, userId: 'user-1' }, Date.now())).toBe(true);
      const polled = await deviceCodes.poll(record.id, Date.now(), record.clientId);
      expect(polled).toMatchObject({ status: 'approved', record: { resources: record.resources } });
    });
  });
}
