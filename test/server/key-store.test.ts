import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { keysFileMode, keysPath, loadOrCreateKeys, rotateKeys, type KeysFile } from '../../src/server/key-store.js';
import type { KeyLifecyclePolicy } from '../../src/server/key-lifecycle.js';
import { keyViews } from '../../src/server/key-lifecycle.js';

const policy: KeyLifecyclePolicy = { activationDelay: 60, signingRetention: 3600, encryptionRetention: 86400 };
const states = (keys: KeysFile) => keyViews(keys.signing, Date.now()).map((v) => v.state);

const fresh = () => join(mkdtempSync(join(tmpdir(), 'grantry-keys-')), 'data');

describe('the keys file', () => {
  it('is generated on first start, owner-only (0600), and reused afterwards', () => {
    const dir = fresh();
    const keys = loadOrCreateKeys(dir);
    expect(keysFileMode(dir)).toBe(0o600);
    expect(keys.signing).toHaveLength(1);
    expect(keys.signing[0]).toMatchObject({ alg: 'RS256' });
    expect(states(keys)).toEqual(['active']);
    expect(keys.encryption).toHaveLength(1);
    expect(loadOrCreateKeys(dir)).toEqual(keys);
  });

  it('rotates publish-then-activate: the new keys are pending, the old ones stay active; rotating again drops nothing still needed', () => {
    const dir = fresh();
    const before = loadOrCreateKeys(dir);
    const after = rotateKeys(dir, policy);
    expect(states(after)).toEqual(['pending', 'active']);
    expect(keyViews(after.signing, Date.now())[1]!.kid).toBe(before.signing[0]!.kid);
    expect(after.encryption.map((k) => k.kid)).toContain(before.encryption[0]!.kid);
    expect(after.session).toBe(before.session);
    expect(keysFileMode(dir)).toBe(0o600);
    expect(rotateKeys(dir, policy).signing).toHaveLength(3);
  });

  it('rotates on schedule only when the newest key is older than the interval', () => {
    const dir = fresh();
    const first = loadOrCreateKeys(dir);
    expect(rotateKeys(dir, policy, undefined, 3600)).toEqual(first);
    expect(rotateKeys(dir, policy, undefined, 0).signing).toHaveLength(2);
  });

  it.each([
    ['not JSON', 'nope', /not JSON/],
    ['no signing keys', JSON.stringify({ signing: [], encryption: [], session: 'x'.repeat(43) }), /no signing keys/],
    ['a broken PEM', JSON.stringify({ signing: [{ kid: 'a', status: 'active', privateKeyPem: 'garbage' }], encryption: [{ kid: 'e', key: 'k' }], session: 'x'.repeat(43) }), /PEM/],
  ])('refuses a key file with %s with a TypeError naming the file', (_name, text, message) => {
    const dir = fresh();
    loadOrCreateKeys(dir);
    writeFileSync(keysPath(dir), text);
    expect(() => loadOrCreateKeys(dir)).toThrow(TypeError);
    expect(() => loadOrCreateKeys(dir)).toThrow(message);
  });
});

describe.skipIf(!process.env.DATABASE_URL)('keys in PostgreSQL', () => {
  it('agree between two instances starting at once, and a rotation changes the version', async () => {
    const { default: pg } = await import('pg');
    const { openPostgresKeySource } = await import('../../src/server/postgres-key-source.js');
    const { createTestStore } = await import('../e2e/support/grantry-process.js');
    const store = await createTestStore(process.env.DATABASE_URL);
    const pools = [new pg.Pool({ connectionString: store.database }), new pg.Pool({ connectionString: store.database })];
    try {
      const [a, b] = await Promise.all(pools.map((p) => openPostgresKeySource(p, { current: 'x'.repeat(40) })));
      const [ka, kb] = await Promise.all([a!.load(), b!.load()]);
      expect(ka).toEqual(kb);
      const before = await b!.version();
      const rotated = await a!.rotate(policy);
      expect(await b!.version()).not.toBe(before);
      expect(await b!.load()).toEqual(rotated);
      expect(rotated.signing[1]!.kid).toBe(ka.signing[0]!.kid);
    } finally {
      await Promise.all(pools.map((p) => p.end()));
      await store.dispose();
    }
  }, 60_000);
});
