// The API report: every name each package entry point exports, with its kind and declared signature, as the
// TypeScript checker sees it. `npm run api:update` writes it to api/grantry.api.md; test/docs/api-report.test.ts
// fails when the checked-in file differs from the code, so that a change to the public surface is always deliberate.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** The repository root (this file sits in `scripts/`). */
export const repositoryRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Where the report is checked in, relative to the repository root. */
export const API_REPORT_PATH = 'api/grantry.api.md';

/** The command that rewrites the report. */
export const API_UPDATE_COMMAND = 'npm run api:update';

type ExportTarget = string | { source?: string } | undefined;

/** The `source` file of each subpath in package.json `exports`, sorted by subpath. */
export function entryPoints(root = repositoryRoot): Map<string, string> {
  const pkg = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')) as { exports: Record<string, ExportTarget> };
  const entries = new Map<string, string>();
  for (const subpath of Object.keys(pkg.exports).sort()) {
    const target = pkg.exports[subpath];
    const source = typeof target === 'object' ? target.source : undefined;
    if (source) entries.set(subpath, resolve(root, source));
  }
  return entries;
}

const TYPE_FLAGS = ts.TypeFormatFlags.NoTruncation | ts.TypeFormatFlags.UseSingleQuotesForStringLiteralType;

/** Whitespace runs folded to one space, so that the report does not depend on line breaks in the sources. */
const oneLine = (text: string): string => text.replace(/\s+/g, ' ').trim();

function typeParameters(node: ts.Node): string {
  const params = (node as { typeParameters?: ts.NodeArray<ts.TypeParameterDeclaration> }).typeParameters;
  return params && params.length > 0 ? `<${params.map((p) => oneLine(p.getText())).join(', ')}>` : '';
}

function heritage(node: ts.ClassDeclaration | ts.InterfaceDeclaration): string {
  return (node.heritageClauses ?? []).map((clause) => ` ${oneLine(clause.getText())}`).join('');
}

function isHidden(declaration: ts.Declaration): boolean {
  const flags = ts.getCombinedModifierFlags(declaration);
  if (flags & ts.ModifierFlags.Private) return true;
  const name = ts.getNameOfDeclaration(declaration);
  return name !== undefined && ts.isPrivateIdentifier(name);
}

/** The public and protected members of a class instance, constructor or interface type, sorted by name. */
function members(checker: ts.TypeChecker, type: ts.Type, at: ts.Node, prefix = ''): string[] {
  const lines: string[] = [];
  for (const property of checker.getPropertiesOfType(type)) {
    const declarations = property.declarations ?? [];
    if (property.name.startsWith('__#') || property.name === 'prototype') continue;
    if (declarations.some(isHidden)) continue;
    // Members a dependency declares (Error's, for the error classes) belong to its API, named in the heritage clause.
    if (declarations.length > 0 && declarations.every((d) => d.getSourceFile().fileName.includes('/node_modules/'))) continue;
    const first = declarations[0];
    const modifiers = first ? ts.getCombinedModifierFlags(first) : ts.ModifierFlags.None;
    const words = [
      modifiers & ts.ModifierFlags.Protected ? 'protected ' : '',
      prefix,
      modifiers & ts.ModifierFlags.Readonly || (first && ts.isGetAccessor(first) && !declarations.some(ts.isSetAccessor)) ? 'readonly ' : '',
    ].join('');
    const optional = property.flags & ts.SymbolFlags.Optional ? '?' : '';
    const propertyType = checker.getTypeOfSymbolAtLocation(property, first ?? at);
    const isMethod = property.flags & ts.SymbolFlags.Method;
    const signatures = isMethod ? checker.getSignaturesOfType(propertyType, ts.SignatureKind.Call) : [];
    if (signatures.length > 0) {
      for (const signature of signatures) lines.push(`${words}${property.name}${optional}${checker.signatureToString(signature, at, TYPE_FLAGS)};`);
    } else {
      lines.push(`${words}${property.name}${optional}: ${checker.typeToString(propertyType, at, TYPE_FLAGS)};`);
    }
  }
  for (const signature of type.getCallSignatures()) lines.push(`${checker.signatureToString(signature, at, TYPE_FLAGS)};`);
  for (const info of checker.getIndexInfosOfType(type)) {
    const key = checker.typeToString(info.keyType, at, TYPE_FLAGS);
    lines.push(`${info.isReadonly ? 'readonly ' : ''}[key: ${key}]: ${checker.typeToString(info.type, at, TYPE_FLAGS)};`);
  }
  return lines.sort();
}

const block = (head: string, lines: readonly string[]): string =>
  lines.length === 0 ? `${head} {}` : `${head} {\n${lines.map((line) => `  ${line}`).join('\n')}\n}`;

/** One declaration of an exported name, as the report prints it. */
function describe(checker: ts.TypeChecker, name: string, symbol: ts.Symbol, declaration: ts.Declaration): string | undefined {
  if (ts.isClassDeclaration(declaration)) {
    const instance = checker.getDeclaredTypeOfSymbol(symbol);
    const constructorType = checker.getTypeOfSymbolAtLocation(symbol, declaration);
    const constructors = constructorType
      .getConstructSignatures()
      .map((s) => {
        const text = checker.signatureToString(s, declaration, TYPE_FLAGS);
        const returns = `: ${checker.typeToString(s.getReturnType(), declaration, TYPE_FLAGS)}`;
        return `constructor${text.endsWith(returns) ? text.slice(0, -returns.length) : text};`;
      });
    const isAbstract = ts.getCombinedModifierFlags(declaration) & ts.ModifierFlags.Abstract ? 'abstract ' : '';
    const lines = [...members(checker, constructorType, declaration, 'static '), ...[...new Set(constructors)], ...members(checker, instance, declaration)];
    return block(`${isAbstract}class ${name}${typeParameters(declaration)}${heritage(declaration)}`, lines);
  }
  if (ts.isInterfaceDeclaration(declaration)) {
    if (symbol.declarations?.find(ts.isInterfaceDeclaration) !== declaration) return undefined; // merged: print once
    const type = checker.getDeclaredTypeOfSymbol(symbol);
    return block(`interface ${name}${typeParameters(declaration)}${heritage(declaration)}`, members(checker, type, declaration));
  }
  if (ts.isTypeAliasDeclaration(declaration)) {
    const type = checker.getTypeFromTypeNode(declaration.type);
    const text = checker.typeToString(type, declaration, TYPE_FLAGS | ts.TypeFormatFlags.InTypeAlias);
    return `type ${name}${typeParameters(declaration)} = ${text};`;
  }
  if (ts.isFunctionDeclaration(declaration)) {
    if (declaration.body && (symbol.declarations ?? []).filter(ts.isFunctionDeclaration).length > 1) return undefined; // overloads
    const signature = checker.getSignatureFromDeclaration(declaration);
    return signature ? `function ${name}${checker.signatureToString(signature, declaration, TYPE_FLAGS)};` : undefined;
  }
  if (ts.isVariableDeclaration(declaration)) {
    const keyword = declaration.parent.flags & ts.NodeFlags.Const ? 'const' : 'let';
    const type = checker.getTypeOfSymbolAtLocation(symbol, declaration);
    return `${keyword} ${name}: ${checker.typeToString(type, declaration, TYPE_FLAGS)};`;
  }
  if (ts.isEnumDeclaration(declaration)) {
    return block(`enum ${name}`, declaration.members.map((m) => `${oneLine(m.getText())},`));
  }
  if (ts.isModuleDeclaration(declaration)) {
    const exports = checker.getExportsOfModule(symbol).map((s) => s.name).sort();
    return `namespace ${name} { ${exports.join(', ')} }`;
  }
  return `// ${name}: ${ts.SyntaxKind[declaration.kind]}`;
}

/** `export type { X }` or `export { type X }`: a value (a class) that the entry point exports as a type only. */
function isTypeOnlyExport(symbol: ts.Symbol): boolean {
  const declaration = symbol.declarations?.[0];
  return declaration !== undefined && ts.isExportSpecifier(declaration) && (declaration.isTypeOnly || declaration.parent.parent.isTypeOnly);
}

/** The report for the package at `root`, as `npm run api:update` writes it. */
export function buildApiReport(root = repositoryRoot): string {
  const entries = entryPoints(root);
  const config = ts.readConfigFile(resolve(root, 'tsconfig.json'), (path) => ts.sys.readFile(path));
  const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, root);
  const program = ts.createProgram({ rootNames: [...entries.values()], options: { ...options, noEmit: true } });
  const checker = program.getTypeChecker();
  const out: string[] = [
    '# grantry API report',
    '',
    `<!-- Generated by \`${API_UPDATE_COMMAND}\` (scripts/api-report.ts) from package.json "exports". Do not edit by hand:`,
    '     test/docs/api-report.test.ts fails when this file and the code disagree. -->',
    '',
    'Every name each entry point exports, with its kind and signature. A change here is a change to the public API',
    '(semver): review it as one.',
  ];
  for (const [subpath, file] of entries) {
    const sourceFile = program.getSourceFile(file);
    if (!sourceFile) throw new Error(`entry point ${subpath} (${file}) is missing`);
    const moduleSymbol = checker.getSymbolAtLocation(sourceFile);
    const exported = moduleSymbol ? checker.getExportsOfModule(moduleSymbol) : [];
    const importPath = `grantry${subpath === '.' ? '' : subpath.slice(1)}`;
    out.push('', `## ${importPath}`, '', `${exported.length} exports.`, '', '```ts');
    const sorted = [...exported].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    sorted.forEach((symbolOrAlias, index) => {
      const symbol = symbolOrAlias.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbolOrAlias) : symbolOrAlias;
      const typeOnly = isTypeOnlyExport(symbolOrAlias) && symbol.flags & ts.SymbolFlags.Value;
      const texts = (symbol.declarations ?? []).flatMap((d) => describe(checker, symbolOrAlias.name, symbol, d) ?? []);
      if (index > 0) out.push('');
      if (typeOnly) out.push('// type-only export');
      out.push(...(texts.length > 0 ? texts : [`// ${symbolOrAlias.name}: no declaration`]));
    });
    out.push('```');
  }
  // A type not in scope where a member is declared prints as `import("<absolute path>").Name`: the name alone keeps
  // the report the same in every checkout, and independent of what the declaring file happens to import.
  return `${out.join('\n')}\n`.replace(/import\("[^"]*"\)\./g, '');
}

/**
 * The lines that differ between two reports, common leading and trailing lines trimmed: `-` the checked-in report,
 * `+` the code's, with a few lines of context and at most `limit` changed lines.
 */
export function diffExcerpt(checkedIn: string, current: string, limit = 40): string {
  const before = checkedIn.split('\n');
  const after = current.split('\n');
  let start = 0;
  while (start < before.length && start < after.length && before[start] === after[start]) start++;
  let endBefore = before.length;
  let endAfter = after.length;
  while (endBefore > start && endAfter > start && before[endBefore - 1] === after[endAfter - 1]) {
    endBefore--;
    endAfter--;
  }
  const context = before.slice(Math.max(0, start - 3), start).map((line) => `  ${line}`);
  const removed = before.slice(start, endBefore).map((line) => `- ${line}`);
  const added = after.slice(start, endAfter).map((line) => `+ ${line}`);
  const changed = [...removed, ...added];
  const shown = changed.slice(0, limit);
  const more = changed.length > limit ? [`… ${changed.length - limit} more changed lines`] : [];
  return [`@@ line ${start + 1} @@`, ...context, ...shown, ...more].join('\n');
}

/** Writes the report (`npm run api:update`), or with `--check` exits 1 when the checked-in one is out of date. */
function main(argv: readonly string[]): void {
  const report = buildApiReport();
  const path = resolve(repositoryRoot, API_REPORT_PATH);
  if (argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(path, 'utf8');
    } catch {
      // no report yet: out of date
    }
    if (current === report) return;
    console.error(`${API_REPORT_PATH} is out of date: the public API changed. Review the change, then run \`${API_UPDATE_COMMAND}\`.`);
    console.error(diffExcerpt(current, report));
    process.exitCode = 1;
    return;
  }
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, report);
  console.log(`wrote ${API_REPORT_PATH}`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main(process.argv.slice(2));
