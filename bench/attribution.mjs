#!/usr/bin/env node
// Where the distance to the floor comes from, over HTTP: the floor, grantry as its README mounts it, and two
// diagnostic variants that are never a measured row of `npm run bench`:
//   discard  grantry as mounted, but its access-token records are not kept (what retaining them costs the heap);
//   bare     grantry's core behind the floor's own handler (read the body, writeHead + end), no adapter.
// Each round runs every variant once (pinned as run.mjs pins them); ratios are per round, the median is printed.
//   node bench/attribution.mjs [--workload W1] [--alg EdDSA] [--format jwt|opaque] [--rounds 5] [--seconds 2]
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildGrantry } from './lib/build-grantry.mjs';
import { HAS_TASKSET, startServer } from './lib/child.mjs';
import { writeKeys } from './lib/keys.mjs';
import { requestsFor, runLoad } from './lib/load.mjs';

const { values: args } = parseArgs({
  options: { format: { type: 'string', default: 'jwt' }, workload: { type: 'string', default: 'W1' }, alg: { type: 'string', default: 'EdDSA' }, rounds: { type: 'string', default: '5' }, seconds: { type: 'string', default: '2' } },
});
if (HAS_TASKSET && !process.env.BENCH_PINNED) {
  const r = spawnSync('taskset', ['-c', '1', process.execPath, fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit', env: { ...process.env, BENCH_PINNED: '1' } });
  process.exit(r.status ?? 1);
}
const BENCH = fileURLToPath(new URL('.', import.meta.url));
const buildDir = join(BENCH, '.build');
const keysDir = writeKeys(join(buildDir, 'keys'));
process.env.BENCH_GRANTRY_BUNDLE = (await buildGrantry(join(buildDir, 'grantry'))).outfile;
const { workload, alg } = args;
const seconds = Number(args.seconds);
const grantry = (name, extra) => ({ impl: 'grantry', name, alg, storage: 'memory', format: args.format, keysDir, scratchDir: buildDir, framework: 'node', ...extra });
const variants = {
  floor: { impl: 'floor', name: 'floor', framework: 'node', alg, format: args.format, keysDir },
  grantry: grantry('grantry (README mount)'),
  discard: grantry('grantry, access-token records not kept', { discardAccessTokens: true }),
  bare: grantry("grantry's core behind the floor's handler", { framework: 'bare' }),
};
const servers = [];
for (const [key, spec] of Object.entries(variants)) {
  const server = await startServer(spec);
  servers.push({ key, spec, server, token: workload === 'W3' || workload === 'W4' ? await server.call('mintAccess') : undefined });
}
async function measure({ server, token }) {
  const pool = workload === 'W2' ? await server.call('mintRefresh', 15000 * seconds) : undefined;
  const requests = requestsFor(workload, { pool, accessToken: token, onExhausted: () => undefined });
  const before = await server.call('cpu');
  const result = await runLoad({ port: server.port, requests, seconds, connections: 32 });
  const after = await server.call('cpu');
  return { us: (after.user - before.user + after.system - before.system) / result.requests, non2xx: result.non2xx };
}
for (const s of servers) await measure(s); // warm-up
const rows = Object.fromEntries(servers.map((s) => [s.key, []]));
for (let round = 0; round < Number(args.rounds); round++) for (const s of servers) rows[s.key].push(await measure(s));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`${workload} ${alg}, 32 connections, ${args.rounds} rounds of ${seconds} s: CPU µs per request (median), floor ÷ variant (median of same-round ratios)`);
for (const s of servers) {
  const us = rows[s.key].map((r) => r.us);
  const ratios = us.map((u, i) => rows.floor[i].us / u);
  const bad = rows[s.key].reduce((n, r) => n + r.non2xx, 0);
  console.log(`  ${s.spec.name.padEnd(44)} ${median(us).toFixed(1).padStart(7)} µs  [${us.map((u) => u.toFixed(0)).join(' ')}]  ratio ${median(ratios).toFixed(2)}${bad ? `  non-2xx ${bad}` : ''}`);
}
for (const s of servers) await s.server.stop();
process.exit(0);
