import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import type { CodeBlock } from './readme-blocks.js';

const ROOT = join(import.meta.dirname, '../..');
/** Blocks are written beside examples/seed-server.ts: `grantry/...` resolves through the package's self-reference
 *  (the `source` condition of tsconfig.json and vitest.config.ts), and `./seed-server.js` is the seed. */
export const BLOCK_DIR = join(ROOT, 'examples');

/** A TypeScript block written to a file inside the repository, with the line of its fence for messages. */
export interface BlockFile {
  readonly block: CodeBlock;
  readonly path: string;
}

/** Writes each block to `examples/.readme-block-<pid>-<n>.ts` (a module: `export {}` is appended). */
export function writeBlocks(blocks: readonly CodeBlock[], tag: string): BlockFile[] {
  return blocks.map((block, i) => {
    const path = join(BLOCK_DIR, `.readme-block-${process.pid}-${tag}-${i}.ts`);
    writeFileSync(path, `${block.code}export {};\n`);
    return { block, path };
  });
}

export function removeBlocks(files: readonly BlockFile[]): void {
  for (const f of files) rmSync(f.path, { force: true });
}

/** The last program: the next check reuses its unchanged files (the libraries, grantry's sources). */
let previous: ts.Program | undefined;

/** Type-checks the files with the project's tsconfig.json; one message per error, naming the README line. */
export function typeCheck(files: readonly BlockFile[]): string[] {
  const configFile = ts.readConfigFile(join(ROOT, 'tsconfig.json'), (p) => ts.sys.readFile(p));
  const parsed = ts.parseJsonConfigFileContent(configFile.config, ts.sys, ROOT);
  const program = ts.createProgram(files.map((f) => f.path), { ...parsed.options, noEmit: true }, undefined, previous);
  previous = program;
  const errors: string[] = [];
  for (const file of files) {
    const source = program.getSourceFile(file.path);
    if (!source) throw new Error(`not in the program: ${file.path}`);
    const diagnostics = [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)];
    for (const d of diagnostics) {
      const { line } = d.start === undefined ? { line: 0 } : source.getLineAndCharacterOfPosition(d.start);
      errors.push(`README line ${file.block.line + 1 + line}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
    }
  }
  return errors;
}
