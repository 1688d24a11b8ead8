import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createTestServer, mintTokens, privateKeyPem } from '../support/fixtures.js';

describe('private key files (the seed: a path to the private key)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'grantry-key-'));
  afterEach(() => vi.restoreAllMocks());

  it.each([
    ['a plain path', (p: string) => p],
    ['a file:// path', (p: string) => `file://${p}`],
  ])('loads the key from %s and warns nothing when the file is owner-only', async (_, form) => {
    const path = join(dir, `owner-only-${Math.random()}.key`);
    writeFileSync(path, privateKeyPem, { mode: 0o600 });
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const t = await createTestServer({ privateKey: form(path) });
    const { access_token } = await mintTokens(t);
    expect(access_token.split('.')).toHaveLength(3);
    expect(warn).not.toHaveBeenCalled();
  });

  it('warns, without printing the key, when others can read the key file', async () => {
    const path = join(dir, 'shared.key');
    writeFileSync(path, privateKeyPem);
    chmodSync(path, 0o644);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const t = await createTestServer({ privateKey: path });
    await t.server.context();
    expect(warn).toHaveBeenCalledTimes(1);
    const message = String(warn.mock.calls[0]?.[0]);
    expect(message).toContain('644');
    expect(message).not.toContain('PRIVATE KEY');
  });

  it('refuses a missing key file at start-up with a TypeError naming the problem', async () => {
    const t = await createTestServer({ privateKey: join(dir, 'missing.key') });
    await expect(t.server.ready()).rejects.toThrow(/privateKey: the key file .*missing.key does not exist/);
  });
});
