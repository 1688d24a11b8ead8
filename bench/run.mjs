#!/usr/bin/env node
// grantry's benchmark: grantry, its peers and the floor, side by side in one run. See BENCHMARKS.md.
//   node bench/run.mjs [--quick] [--only REGEX] [--workloads W1,W2] [--no-write] [--skip-memory] [--skip-profile]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildGrantry } from './lib/build-grantry.mjs';
import { checkWorkload } from './lib/checks.mjs';
import { HAS_TASKSET, startServer } from './lib/child.mjs';
import { writeKeys } from './lib/keys.mjs';
import { requestsFor, runLoad, stopLoad, WORKLOADS } from './lib/load.mjs';
import { serverMatrix } from './lib/matrix.mjs';
import { memoryRun } from './lib/memory.mjs';
import { profileRefresh } from './lib/profile.mjs';
import { printTable, summarize, writeMarkdown } from './lib/report.mjs';
import { loadKeys } from './lib/shared.mjs';

const BENCH = fileURLToPath(new URL('.', import.meta.url));
const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    workloads: { type: 'string' },
    'no-write': { type: 'boolean', default: false },
    'skip-memory': { type: 'boolean', default: false },
    'skip-profile': { type: 'boolean', default: false },
    runs: { type: 'string' },
    seconds: { type: 'string' },
  },
});

// The load generator (this process) runs on core 1, every server on core 0.
if (HAS_TASKSET && !process.env.BENCH_PINNED) {
  const r = spawnSync('taskset', ['-c', '1', process.execPath, ...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, BENCH_PINNED: '1' },
  });
  process.exit(r.status ?? 1);
}

const settings = args.quick
  ? { warmup: 0.5, seconds: 1, runs: 2, memorySeconds: 10, profileSeconds: 3, rawSeconds: 0.3 }
  : { warmup: 1.5, seconds: 3, runs: 2, memorySeconds: 60, profileSeconds: 8, rawSeconds: 1 };
if (args.runs) settings.runs = Math.max(2, Number(args.runs));
if (args.seconds) settings.seconds = Number(args.seconds);
const log = (...a) => console.error(`[${new Date().toISOString().slice(11, 19)}]`, ...a);

const buildDir = join(BENCH, '.build');
const resultsDir = join(BENCH, 'results');
mkdirSync(resultsDir, { recursive: true });
const keysDir = writeKeys(join(buildDir, 'keys'));
const bundle = await buildGrantry(join(buildDir, 'grantry'));
process.env.BENCH_GRANTRY_BUNDLE = bundle.outfile;
log(`grantry bundled (${bundle.found.join(', ') || 'core only'}); ${HAS_TASKSET ? 'servers on core 0, load on core 1' : 'taskset missing: NOT pinned'}`);

const databaseUrl = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const keysByAlg = { RS256: loadKeys(keysDir, 'RS256'), EdDSA: loadKeys(keysDir, 'EdDSA') };
const onlyRe = args.only ? new RegExp(args.only, 'i') : undefined;
const workloadFilter = args.workloads ? new Set(args.workloads.split(',')) : undefined;
const started = Date.now();

// Raw signature operations per second, on the servers' core.
log('raw sign/verify ops/s');
const raw = JSON.parse(
  execFileSync(HAS_TASKSET ? 'taskset' : process.execPath, [...(HAS_TASKSET ? ['-c', '0', process.execPath] : []), join(BENCH, 'lib/raw-ops.mjs'), keysDir, String(settings.rawSeconds)]).toString(),
);

/** Warm-up, then `runs` timed runs; for W2 a fresh pool of never-used refresh tokens before each run. */
async function measure(server, spec, workload, estimateRps) {
  const accessToken = workload === 'W3' || workload === 'W4' ? await server.call('mintAccess') : undefined;
  let estimate = estimateRps;
  const runs = [];
  for (let i = 0; i <= settings.runs; i++) {
    const seconds = i === 0 ? settings.warmup : settings.seconds;
    for (let attempt = 0; ; attempt++) {
      let pool;
      let exhausted = false;
      if (workload === 'W2') pool = await server.call('mintRefresh', Math.ceil(estimate * seconds * 1.5) + 100);
      const requests = requestsFor(workload, {
        pool,
        accessToken,
        onExhausted: () => {
          if (!exhausted) stopLoad();
          exhausted = true;
        },
      });
      const before = await server.call('cpu');
      const result = await runLoad({ port: server.port, requests, seconds });
      const after = await server.call('cpu');
      if (exhausted && attempt < 3) {
        estimate = Math.max(estimate * 2, result.rps * 1.5);
        log(`  ${workload}: refresh-token pool ran dry, again with a larger one`);
        continue;
      }
      result.cpuUsPerRequest = result.requests ? (after.user + after.system - before.user - before.system) / result.requests : NaN;
      if (i > 0) runs.push(result);
      estimate = Math.max(result.rps, 1);
      break;
    }
  }
  return runs;
}

const figures = [];
const specs = serverMatrix({ databaseUrl }).filter((s) => !onlyRe || onlyRe.test(s.name));
for (const spec of specs) {
  const fullSpec = { ...spec, keysDir, scratchDir: buildDir };
  let server;
  try {
    server = await startServer(fullSpec);
  } catch (error) {
    log(`${spec.name}: not started: ${error.message.split('\n')[0]}`);
    figures.push({ spec, workload: '*', error: `did not start: ${error.message.split('\n')[0]}` });
    continue;
  }
  const wanted = (spec.workloads ?? ['W1', 'W2', 'W3', 'W4']).filter((w) => (!workloadFilter || workloadFilter.has(w)));
  const w1 = { rps: 2000 };
  for (const workload of wanted) {
    if (!server.workloads.includes(workload)) {
      figures.push({ spec, workload, unsupported: true, note: server.notes });
      continue;
    }
    const label = `${spec.name} ${workload}`;
    let check;
    try {
      check = await checkWorkload(workload, { server, keys: keysByAlg[spec.alg], isFloor: spec.group === 'floor' });
    } catch (error) {
      log(`${label}: FAILED its check: ${error.message}`);
      figures.push({ spec, workload, error: error.message });
      continue;
    }
    try {
      const runs = await measure(server, spec, workload, w1.rps);
      const figure = { spec, workload, check, runs, ...summarize(runs) };
      if (workload === 'W1') w1.rps = figure.rps;
      figures.push(figure);
      log(`${label}: ${Math.round(figure.rps)} rps, p99 ${figure.p99} ms, ${Math.round(figure.cpuUs)} µs CPU/req, non-2xx ${figure.non2xx}`);
    } catch (error) {
      log(`${label}: FAILED: ${error.message}`);
      figures.push({ spec, workload, error: error.message });
    }
  }
  await server.stop();
}

let memory;
if (!args['skip-memory'] && (!onlyRe || onlyRe.test('memory-run'))) {
  log(`memory: ${settings.memorySeconds} s of W2`);
  memory = await memoryRun({ keysDir, scratchDir: buildDir, databaseUrl, seconds: settings.memorySeconds, log });
}
let profile;
if (!args['skip-profile'] && (!onlyRe || onlyRe.test('profile'))) {
  log(`profile: ${settings.profileSeconds} s of W2 under the inspector`);
  profile = await profileRefresh({ keysDir, scratchDir: buildDir, resultsDir, seconds: settings.profileSeconds, log });
}

const meta = {
  date: new Date().toISOString(),
  node: process.version,
  cpu: `${cpus()[0]?.model ?? 'unknown'} × ${cpus().length}`,
  memory: `${Math.round(totalmem() / 2 ** 30)} GiB`,
  pinned: HAS_TASKSET,
  settings,
  command: `npm run bench${process.argv.slice(2).length ? ' -- ' + process.argv.slice(2).join(' ') : ''}`,
  minutes: (Date.now() - started) / 60000,
  versions: Object.fromEntries(
    ['@jmondi/oauth2-server', '@node-oauth/oauth2-server', 'oidc-provider', 'autocannon', 'express'].map((p) => [
      p,
      JSON.parse(readFileSync(join(BENCH, 'node_modules', p, 'package.json'), 'utf8')).version,
    ]),
  ),
};
const report = { meta, raw, figures, memory, profile };
writeFileSync(join(resultsDir, args.quick ? 'latest-quick.json' : 'latest.json'), JSON.stringify(report, null, 1));
printTable(report);
if (!args['no-write'] && !args.only && !args.workloads) writeMarkdown(report, join(BENCH, '..', 'BENCHMARKS.md'));
log(`done in ${meta.minutes.toFixed(1)} min`);
