import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/server/config.js';
import { generateKeys, keysPath, loadOrCreateKeys, type KeysFile } from '../../src/server/key-store.js';
import { isSealedKeysDocument } from '../../src/server/keys-at-rest.js';
import { openServerStore } from '../../src/server/server-store.js';

const SECRET = 'operator-secret-0123456789abcdefghijklmnop';
const OTHER = 'another-secret-0123456789abcdefghijklmnopq';
const fresh = () => join(mkdtempSync(join(tmpdir(), 'grantry-keys-at-rest-')), 'data');

/** Every piece of private key material a keys document holds, as it would appear in clear. */
function secretsOf(keys: KeysFile): string[] {
  return [...keys.signing.flatMap((k) => [k.privateKeyPem, k.privateKeyPem.split('\n')[1]!]), ...keys.encryption.map((k) => k.key), keys.session];
}

function expectNoMaterial(stored: string, keys: KeysFile): void {
  expect(stored).not.toContain('PRIVATE KEY');
  for (const secret of secretsOf(keys)) expect(stored).not.toContain(secret);
}

describe('keys at rest (the keys file)', () => {
  it('with a secret, holds no private key material in clear, and opens again with the same secret', () => {
    const dir = fresh();
    const keys = loadOrCreateKeys(dir, { current: SECRET });
    const stored = readFileSync(keysPath(dir), 'utf8');
    expect(isSealedKeysDocument(stored)).toBe(true);
    expectNoMaterial(stored, keys);
    expect(loadOrCreateKeys(dir, { current: SECRET })).toEqual(keys);
  });

  it('refuses a wrong secret, or none, with a message naming the setting', () => {
    const dir = fresh();
    loadOrCreateKeys(dir, { current: SECRET });
    expect(() => loadOrCreateKeys(dir, { current: OTHER })).toThrow(/cannot be decrypted.*GRANTRY_KEYS_SECRET/);
    expect(() => loadOrCreateKeys(dir)).toThrow(/is encrypted: set GRANTRY_KEYS_SECRET/);
  });

  it('encrypts a file written in clear when a secret is first given', () => {
    const dir = fresh();
    const keys = loadOrCreateKeys(dir);
    expect(readFileSync(keysPath(dir), 'utf8')).toContain('PRIVATE KEY');
    expect(loadOrCreateKeys(dir, { current: SECRET })).toEqual(keys);
    expectNoMaterial(readFileSync(keysPath(dir), 'utf8'), keys);
  });

  it('rotates the secret: opened with the previous one, written again under the new one', () => {
    const dir = fresh();
    const keys = loadOrCreateKeys(dir, { current: SECRET });
    expect(loadOrCreateKeys(dir, { current: OTHER, previous: SECRET })).toEqual(keys);
    // Rewritten under the new secret: the old one alone no longer opens it.
    expect(loadOrCreateKeys(dir, { current: OTHER })).toEqual(keys);
    expect(() => loadOrCreateKeys(dir, { current: SECRET })).toThrow(/cannot be decrypted/);
  });

  it('takes the secret from GRANTRY_KEYS_SECRET or a file, and refuses a short one', () => {
    const dir = fresh();
    const file = join(mkdtempSync(join(tmpdir(), 'grantry-secret-')), 'secret');
    writeFileSync(file, `${SECRET}\n`);
    expect(loadConfig({ 'data-dir': dir, 'keys-secret-file': file }, {}).keysSecrets).toEqual({ current: SECRET });
    expect(loadConfig({ 'data-dir': dir }, { GRANTRY_KEYS_SECRET: SECRET, GRANTRY_KEYS_SECRET_PREVIOUS: OTHER }).keysSecrets).toEqual({ current: SECRET, previous: OTHER });
    expect(() => loadConfig({ 'data-dir': dir }, { GRANTRY_KEYS_SECRET: 'short' })).toThrow(/GRANTRY_KEYS_SECRET: the keys secret must be at least 32 characters/);
    expect(() => loadConfig({ 'data-dir': dir }, { GRANTRY_KEYS_SECRET_PREVIOUS: SECRET })).toThrow(/without GRANTRY_KEYS_SECRET/);
  });
});

describe.skipIf(!process.env.DATABASE_URL)('keys at rest (PostgreSQL)', () => {
  it('refuses to keep keys in PostgreSQL without a secret', async () => {
    await expect(openServerStore(process.env.DATABASE_URL!, fresh())).rejects.toThrow(/must be encrypted: set GRANTRY_KEYS_SECRET/);
  });

  it('stores the key row encrypted: no private key material in clear; a row in clear is encrypted on first load', async () => {
    const { default: pg } = await import('pg');
    const { createTestStore } = await import('../e2e/support/grantry-process.js');
    const test = await createTestStore(process.env.DATABASE_URL);
    const pool = new pg.Pool({ connectionString: test.database });
    try {
      const store = await openServerStore(test.database!, test.dataDir, { keysSecrets: { current: SECRET } });
      const keys = await store.keys.load();
      const row = async () => (await pool.query<{ keys: string }>('SELECT keys FROM grantry_server_keys WHERE id = 1')).rows[0]!.keys;
      expectNoMaterial(await row(), keys);

      // A row written in clear by an earlier version: encrypted under the secret when loaded.
      const clear = generateKeys();
      await pool.query('UPDATE grantry_server_keys SET keys = $1, version = version + 1 WHERE id = 1', [JSON.stringify(clear)]);
      expect(await store.keys.load()).toEqual(clear);
      expectNoMaterial(await row(), clear);
      await store.close();
    } finally {
      await pool.end();
      await test.dispose();
    }
  }, 60_000);
});
