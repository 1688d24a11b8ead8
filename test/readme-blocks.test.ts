import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { removeBlocks, typeCheck, writeBlocks, type BlockFile } from './support/check-ts-blocks.js';
import { codeBlocks, readme } from './support/readme-blocks.js';
import { encryptionKey, privateKeyPem } from './support/fixtures.js';

// Every ```ts block of the README type-checks as written, as a module of its own. Blocks whose info string says
// `check-only` need something outside (a listening port, PostgreSQL, a framework's session); the others also run.

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

  it('runs every block that needs no external service', async () => {
    process.env.GRANTRY_PRIVATE_KEY = privateKeyPem;
    process.env.GRANTRY_ENCRYPTION_KEY = encryptionKey;
    const cwd = process.cwd();
    const dir = mkdtempSync(join(tmpdir(), 'grantry-readme-blocks-'));
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
