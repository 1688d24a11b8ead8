// Bundles grantry's TypeScript sources into one ESM file for the server children (what `npm run build` would ship,
// without needing every in-progress file to type-check). Optional parts are included when they exist.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export async function buildGrantry(outDir) {
  const { build } = await import('esbuild');
  mkdirSync(outDir, { recursive: true });
  const lines = [`export * from '${ROOT}src/index.ts';`, `export * from '${ROOT}src/advanced.ts';`, `export { createMemoryStorage } from '${ROOT}src/storage/memory/index.ts';`, `export { PlainRequest } from '${ROOT}src/contracts/plain-request.ts';`];
  const optional = {
    ClientCredentialsGrant: 'src/grants/client-credentials-grant.ts',
    ResourceServer: 'src/core/resource-server.ts',
  };
  for (const [name, file] of Object.entries(optional)) {
    if (existsSync(join(ROOT, file))) lines.push(`export { ${name} } from '${ROOT}${file}';`);
  }
  const namespaces = {
    sqlite: 'src/storage/sqlite/index.ts',
    postgres: 'src/storage/postgres/index.ts',
    nodeHttp: 'src/http/node.ts',
    expressHttp: 'src/http/express.ts',
  };
  const found = [];
  for (const [name, file] of Object.entries(namespaces)) {
    if (existsSync(join(ROOT, file))) {
      lines.push(`export * as ${name} from '${ROOT}${file}';`);
      found.push(name);
    }
  }
  const entry = join(outDir, 'entry.ts');
  writeFileSync(entry, lines.join('\n') + '\n');
  const outfile = join(outDir, 'grantry.mjs');
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    conditions: ['source'],
    sourcemap: 'linked',
    logLevel: 'error',
  });
  return { outfile, found };
}
