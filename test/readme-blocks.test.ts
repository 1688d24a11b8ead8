import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { removeBlocks, typeCheck, writeBlocks, type BlockFile } from './support/check-ts-blocks.js';
import { codeBlocks, readme } from './support/readme-blocks.js';
import { promisify } from 'node:util';

// Every ```ts block of the README type-checks as written, as a module of its own. Blocks whose info string says
// `check-only` need something outside (a listening port, PostgreSQL, a framework's session); the others also run,
// with the keys that the README's `grantry keys generate` block makes (run as written, `npx grantry` being this
// checkout's bin).

const run = promisify(execFile);
const BIN = join(import.meta.dirname, '../bin/grantry.js');

const blocks = codeBlocks(readme()).filter((b) => b.lang === 'ts');
const written: BlockFile[] = [];
afterAll(() => removeBlocks(written));

describe('the README TypeScript blocks', () => {
  it('has the blocks the README is built around', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(9);
    expect(blocks.filter((b) => !b.info.includes('check-only')).length).toBeGreaterThanOrEqual(5);
  });

  it('type-checks every block', () => {
    written.push(...writeBlocks(blocks, 'all'));
    expect(typeCheck(written)).toEqual([]);
  }, 120_000);

  it('runs every block that needs no external service, with keys from `grantry keys generate`', async () => {
    const cwd = process.cwd();
    const dir = mkdtempSync(join(tmpdir(), 'grantry-readme-blocks-'));
    const keysBlock = codeBlocks(readme()).filter((b) => b.lang === 'sh' && b.code.includes('grantry keys generate --json > keys.json'));
    expect(keysBlock).toHaveLength(1);
    const script = [
      'set -euo pipefail',
      'npx() { if [ "$1" = grantry ]; then shift; "$BLOCK_NODE" "$BLOCK_BIN" "$@"; else command npx "$@"; fi; }',
      keysBlock[0]!.code,
      'printf \'%s\\0%s\' "$GRANTRY_PRIVATE_KEY" "$GRANTRY_ENCRYPTION_KEY"',
    ].join('\n');
    const { stdout } = await run('bash', ['-c', script], { cwd: dir, env: { PATH: process.env.PATH, BLOCK_NODE: process.execPath, BLOCK_BIN: BIN }, timeout: 60_000 });
    const [pem, key] = stdout.split('\0');
    expect(pem).toMatch(/^-----BEGIN PRIVATE KEY-----\n[\s\S]+-----END PRIVATE KEY-----$/);
    expect(Buffer.from(key!, 'base64url')).toHaveLength(32);
    expect(statSync(join(dir, 'keys.json')).mode & 0o077).toBe(0); // chmod 600, as the block says
    process.env.GRANTRY_PRIVATE_KEY = pem;
    process.env.GRANTRY_ENCRYPTION_KEY = key;
    const logs: unknown[][] = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void logs.push(args));
    try {
      process.chdir(dir); // blocks that write ./data write it here
      const runnable = writeBlocks(blocks.filter((b) => !b.info.includes('check-only')), 'run');
      written.push(...runnable);
      for (const file of runnable) {
        try {
          await import(file.path);
        } catch (error) {
          throw new Error(`README block at line ${file.block.line} failed: ${String(error)}`);
        }
      }
    } finally {
      spy.mockRestore();
      process.chdir(cwd);
      rmSync(dir, { recursive: true, force: true });
    }
    // "The first token" prints the status and the token response.
    expect(logs).toContainEqual([200, expect.objectContaining({ token_type: 'Bearer', scope: 'read', access_token: expect.any(String) })]);
  }, 60_000);
});

describe('the block checker', () => {
  it('reports a block that does not type-check, and one that fails at run time', async () => {
    const markdown = [
      '```ts',
      "import { AuthorizationServer } from 'grantry';",
      "const port: number = 'eighty';",
      'new AuthorizationServer({ issuer: 1 });',
      '```',
      '```ts',
      "throw new Error('broken on purpose');",
      '```',
    ].join('\n');
    const broken = writeBlocks(codeBlocks(markdown), 'broken');
    written.push(...broken);
    const errors = typeCheck(broken);
    expect(errors.some((e) => e.startsWith('README line 3:') && e.includes("'string' is not assignable to type 'number'"))).toBe(true);
    expect(errors.some((e) => e.startsWith('README line 4:'))).toBe(true);
    await expect(import(broken[1]!.path)).rejects.toThrow('broken on purpose');
  }, 120_000);

  it('finds every fenced block with its info string and line, and refuses an unclosed one', () => {
    expect(codeBlocks('text\n```ts check-only\nconst a = 1;\n```\n\n```sh\nls\n```\n')).toEqual([
      { lang: 'ts', info: 'ts check-only', code: 'const a = 1;\n', line: 2 },
      { lang: 'sh', info: 'sh', code: 'ls\n', line: 6 },
    ]);
    expect(() => codeBlocks('```ts\nconst a = 1;\n')).toThrow('unclosed code block at line 1');
  });
});
