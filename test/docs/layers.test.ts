import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Linter } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';
// @ts-expect-error -- a plain ES module without types, shared with eslint.config.js
import { layerRules, layers } from '../../eslint.layers.js';

const floors = layers as Record<string, string[]>;
const linter = new Linter({ configType: 'flat' });
const config = [{ files: ['**/*.ts'], languageOptions: { parser: tseslint.parser } }, ...(layerRules as Linter.Config[])];

function lint(file: string, code: string): string[] {
  return linter.verify(code, config, { filename: file }).map((m) => m.message);
}

describe('the layers of src/ (ARCHITECTURE.md "Layers"), enforced by lint', () => {
  it('refuses an import that points up a floor', () => {
    expect(lint('src/grants/my-grant.ts', "import { AuthorizationServer } from '../core/authorization-server.js';\n")).toEqual([
      expect.stringContaining('src/grants sits below'),
    ]);
    expect(lint('src/tokens/crypto/x.ts', "import type { Client } from '../../contracts/types.js';\n")).toHaveLength(1);
    expect(lint('src/storage/memory/x.ts', "import { issueTokens } from '../../grants/issue-tokens.js';\n")).toHaveLength(1);
    expect(lint('src/core/x.ts', "import { MemoryStorage } from '../storage/memory/memory-storage.js';\n")).toHaveLength(1);
    expect(lint('src/server/x.ts', "export { main } from '../cli/main.js';\n")).toHaveLength(1);
  });

  it('accepts an import that points down', () => {
    expect(lint('src/core/x.ts', "import { issueTokens } from '../grants/issue-tokens.js';\n")).toEqual([]);
    expect(lint('src/grants/x.ts', "import type { Grant } from '../contracts/grant.js';\nimport { signJwt } from '../tokens/jwt.js';\n")).toEqual([]);
    expect(lint('src/cli/x.ts', "import { startServer } from '../server/start-server.js';\n")).toEqual([]);
  });

  it('every file of src/ keeps to the floors (the same table, checked without ESLint)', () => {
    const offenders: string[] = [];
    const walk = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
    for (const file of walk('src')) {
      const folder = relative('src', file).split('/')[0]!;
      const above = floors[folder];
      if (!above) continue;
      for (const [, spec] of readFileSync(file, 'utf8').matchAll(/(?:from|import\()\s*'(\.[^']+)'/g)) {
        const target = join(file, '..', spec!);
        const targetFolder = relative('src', target).split('/')[0]!;
        if (above.includes(targetFolder)) offenders.push(`${file} → ${spec}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
