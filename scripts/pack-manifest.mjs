// npm pack / npm publish hooks (prepack / postpack): the published package.json has no `source` export conditions.
// In this repository `source` resolves `grantry/...` to the TypeScript sources (vitest, tsc, the bench bundle); the
// package ships only dist/ and bin/, so in the tarball that condition would point outside the package.
//   node scripts/pack-manifest.mjs strip    keeps package.json as .package.json.orig and removes the conditions
//   node scripts/pack-manifest.mjs restore  puts the original back
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

const manifest = 'package.json';
const original = '.package.json.orig';
const command = process.argv[2];

if (command === 'strip') {
  if (existsSync(original)) throw new Error(`${original} exists: a previous pack did not finish; restore it first`);
  const text = readFileSync(manifest, 'utf8');
  const pkg = JSON.parse(text);
  for (const target of Object.values(pkg.exports)) if (typeof target === 'object') delete target.source;
  writeFileSync(original, text);
  writeFileSync(manifest, `${JSON.stringify(pkg, null, 2)}\n`);
} else if (command === 'restore') {
  if (existsSync(original)) renameSync(original, manifest);
} else {
  console.error('usage: node scripts/pack-manifest.mjs strip|restore');
  process.exitCode = 2;
}
