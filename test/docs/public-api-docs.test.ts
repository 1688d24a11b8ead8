import { readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

// The project standard (STYLE.md, panva/jose style): TSDoc with an `@example` on every public export. The public API
// is exactly what the package entry points export: each `source` condition of package.json `exports`, with
// `export *` and named re-exports followed to the declarations they name.

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

type ExportTarget = string | { source?: string } | undefined;

/** The `source` file of each subpath in package.json `exports`, by subpath. */
function entryPoints(): Map<string, string> {
  const pkg = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')) as { exports: Record<string, ExportTarget> };
  const entries = new Map<string, string>();
  for (const [subpath, target] of Object.entries(pkg.exports)) {
    const source = typeof target === 'object' ? target.source : undefined;
    if (source) entries.set(subpath, resolve(root, source));
  }
  return entries;
}

interface PublicExport {
  /** `subpath#name`, as a user imports it. */
  readonly name: string;
  /** Where it is declared, `src/…:line`. */
  readonly location: string;
  readonly hasExample: boolean;
}

/** A fenced TypeScript block with some code in it, as every grantry example is written. */
const FENCED_TS = /```ts\n[^]*?\S[^]*?\n\s*```/;

/**
 * An `@example` tag with a fenced TypeScript block in the TSDoc of any declaration of the symbol (overloads and
 * merged declarations share one).
 */
function hasExample(declarations: readonly ts.Declaration[]): boolean {
  return declarations.some((declaration) =>
    ts.getJSDocTags(declaration).some((tag) => {
      if (tag.tagName.text !== 'example') return false;
      const text = typeof tag.comment === 'string' ? tag.comment : ts.getTextOfJSDocComment(tag.comment);
      return FENCED_TS.test(text ?? '');
    }),
  );
}

function publicExports(): PublicExport[] {
  const entries = entryPoints();
  const config = ts.readConfigFile(resolve(root, 'tsconfig.json'), (path) => ts.sys.readFile(path));
  const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, root);
  const program = ts.createProgram({ rootNames: [...entries.values()], options: { ...options, noEmit: true } });
  const checker = program.getTypeChecker();
  const found: PublicExport[] = [];
  for (const [subpath, file] of entries) {
    const sourceFile = program.getSourceFile(file);
    if (!sourceFile) throw new Error(`entry point ${subpath} (${file}) is missing`);
    const moduleSymbol = checker.getSymbolAtLocation(sourceFile);
    if (!moduleSymbol) continue; // an entry point that exports nothing
    for (const exported of checker.getExportsOfModule(moduleSymbol)) {
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      const declarations = (symbol.declarations ?? []).filter((d) => !d.getSourceFile().fileName.includes('/node_modules/'));
      if (declarations.length === 0) continue; // a re-export of a dependency's API is documented there
      const first = declarations[0]!;
      const source = first.getSourceFile();
      const line = source.getLineAndCharacterOfPosition(first.getStart(source)).line + 1;
      found.push({
        name: `grantry${subpath === '.' ? '' : subpath.slice(1)}#${exported.name}`,
        location: `${relative(root, source.fileName)}:${line}`,
        hasExample: hasExample(declarations),
      });
    }
  }
  return found;
}

describe('public API documentation', () => {
  const exports = publicExports();

  it('finds the exports of every package entry point', () => {
    const subpaths = new Set(exports.map((e) => e.name.split('#')[0]));
    expect(subpaths).toContain('grantry');
    expect(subpaths).toContain('grantry/storage/memory');
    expect(subpaths).toContain('grantry/http/node');
    expect(subpaths).toContain('grantry/server');
    expect(exports.map((e) => e.name)).toContain('grantry#AuthorizationServer');
  });

  it('counts only an @example with a ```ts block, on the declaration itself or one of its overloads', () => {
    const source = ts.createSourceFile(
      'sample.ts',
      [
        '/** Bare. */ export const bare = 1;',
        '/**\n * Tagged only.\n * @example bareTag(1)\n */ export const tagged = 2;',
        '/**\n * Fenced.\n *\n * @example\n * ```ts\n * fenced(1);\n * ```\n */ export function fenced(a: number): void {}',
        '/** Overload without. */ export function over(a: string): void;',
        '/**\n * @example\n * ```ts\n * over(1);\n * ```\n */ export function over(a: number): void;',
        'export function over(a: unknown): void {}',
      ].join('\n'),
      ts.ScriptTarget.ES2022,
      true,
    );
    const declarations = (name: string): ts.Declaration[] =>
      source.statements.flatMap((s): ts.Declaration[] => {
        if (ts.isFunctionDeclaration(s)) return s.name?.text === name ? [s] : [];
        if (ts.isVariableStatement(s)) return s.declarationList.declarations.filter((d) => d.name.getText(source) === name);
        return [];
      });
    expect(['bare', 'tagged', 'fenced', 'over'].map((name) => declarations(name).length)).toEqual([1, 1, 1, 3]);
    expect(hasExample(declarations('bare'))).toBe(false);
    expect(hasExample(declarations('tagged'))).toBe(false);
    expect(hasExample(declarations('fenced'))).toBe(true);
    expect(hasExample(declarations('over'))).toBe(true);
  });

  it('has TSDoc with an @example on every public export (STYLE.md: panva/jose style)', () => {
    const missing = exports.filter((e) => !e.hasExample).map((e) => `${e.name} (${e.location})`);
    const list = missing.map((line) => `  ${line}`).join('\n');
    expect(missing.length, `public exports without an @example (a \`\`\`ts block in their TSDoc):\n${list}\n`).toBe(0);
  });
});
