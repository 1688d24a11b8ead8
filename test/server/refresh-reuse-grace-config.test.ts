import { describe, expect, it } from 'vitest';
import { AuthorizationServer } from '../../src/core/authorization-server.js';
import { RefreshTokenGrant } from '../../src/grants/refresh-token-grant.js';
import { enableGrants } from '../../src/server/build-grants.js';
import { loadConfig } from '../../src/server/config.js';
import { createMemoryStorage } from '../../src/storage/memory/index.js';
import type { RefreshTokenRepository } from '../../src/contracts/repositories.js';
import { encryptionKey, ISSUER, privateKeyPem } from '../support/fixtures.js';

function refreshGrantOf(flags: Record<string, string>, env: Record<string, string> = {}): RefreshTokenGrant {
  const storage = createMemoryStorage();
  const config = loadConfig(flags, env);
  const server = new AuthorizationServer({ ...storage, privateKey: privateKeyPem, encryptionKey, issuer: ISSUER });
  enableGrants(server, storage, config, ISSUER);
  return server.getGrant('refresh_token') as RefreshTokenGrant;
}

describe('the ready server refresh reuse grace setting', () => {
  it('is off by default', () => {
    expect(loadConfig({}, {}).refreshReuseGrace).toBe(0);
    expect(refreshGrantOf({}).reuseGraceSeconds).toBe(0);
  });

  it('reaches the refresh token grant from the flag and from GRANTRY_REFRESH_REUSE_GRACE', () => {
    expect(refreshGrantOf({ 'refresh-reuse-grace': '5' }).reuseGraceSeconds).toBe(5);
    expect(refreshGrantOf({}, { GRANTRY_REFRESH_REUSE_GRACE: '7' }).reuseGraceSeconds).toBe(7);
  });

  it.each(['-1', '2.5', 'ten'])('refuses %s with a TypeError naming the setting', (value) => {
    expect(() => loadConfig({ 'refresh-reuse-grace': value }, {})).toThrow(/--refresh-reuse-grace/);
  });

  it('is refused by the grant at start-up without rotation, or with a repository that cannot rotate atomically', () => {
    const storage = createMemoryStorage();
    const rt = storage.refreshTokens;
    const twoStep: RefreshTokenRepository = {
      consume: (id) => rt.consume(id),
      find: (id) => rt.find(id),
      save: (r) => rt.save(r),
      revoke: (id) => rt.revoke(id),
      revokeFamily: (id) => rt.revokeFamily(id),
    };
    expect(() => new RefreshTokenGrant(storage.refreshTokens, { reuseGraceSeconds: 5, rotate: false })).toThrow(TypeError);
    expect(() => new RefreshTokenGrant(twoStep, { reuseGraceSeconds: 5 })).toThrow(TypeError);
    expect(() => new RefreshTokenGrant(storage.refreshTokens, { reuseGraceSeconds: -1 })).toThrow(TypeError);
    expect(new RefreshTokenGrant(twoStep).reuseGraceSeconds).toBe(0);
  });
});
