#!/usr/bin/env node
// The `grantry` command: runs the compiled CLI from dist/ when the package is built, else the TypeScript sources
// through tsx (a development checkout).
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const compiled = new URL('../dist/cli/main.js', import.meta.url);
let entry;
if (existsSync(fileURLToPath(compiled))) {
  entry = compiled.href;
} else {
  const { register } = await import('tsx/esm/api');
  register();
  entry = pathToFileURL(`${root}src/cli/main.ts`).href;
}
const { main } = await import(entry);
process.exitCode = await main(process.argv.slice(2), process.env);
