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
  : { warmup: 2, seconds: 2, runs: 3, memorySeconds: 60, profileSeconds: 8, rawSeconds: 1 };
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
const rawOps = () =>
  JSON.parse(
    execFileSync(HAS_TASKSET ? 'taskset' : process.execPath, [...(HAS_TASKSET ? ['-c', '0', process.execPath] : []), join(BENCH, 'lib/raw-ops.mjs'), keysDir, String(settings.rawSeconds)]).toString(),
  );
const raw = rawOps();

// In process, without HTTP: grantry's CPU per step of W1/W2 (see lib/breakdown.mjs).
const breakdown = {};
if (!onlyRe || onlyRe.test('breakdown')) {
  for (const alg of ['RS256', 'EdDSA']) {
    log(`breakdown: grantry's steps in process (${alg})`);
    const iterations = (alg === 'RS256' ? 400 : 2000) / (args.quick ? 4 : 1);
    try {
      breakdown[alg] = JSON.parse(
        execFileSync(HAS_TASKSET ? 'taskset' : process.execPath, [...(HAS_TASKSET ? ['-c', '0', process.execPath] : []), join(BENCH, 'lib/breakdown.mjs'), keysDir, alg, String(iterations)], {
          env: process.env,
          stdio: ['ignore', 'pipe', 'inherit'],
        }).toString(),
      );
    } catch (error) {
      breakdown[alg] = { error: error.message };
    }
  }
}

/** One run of a workload; W2 gets a fresh pool of never-used refresh tokens, sized from the last rate seen. */
async function oneRun(entry, workload, seconds) {
  const { server } = entry;
  const state = entry.state[workload];
  for (let attempt = 0; ; attempt++) {
    let pool;
    let exhausted = false;
    if (workload === 'W2') pool = await server.call('mintRefresh', Math.ceil(state.estimate * seconds * 2) + 100);
    const requests = requestsFor(workload, {
      pool,
      accessToken: state.accessToken,
      onExhausted: () => {
        if (!exhausted) stopLoad();
        exhausted = true;
      },
    });
    const before = await server.call('cpu');
    const result = await runLoad({ port: server.port, requests, seconds });
    const after = await server.call('cpu');
    if (exhausted && attempt < 3) {
      state.estimate = Math.max(state.estimate * 2, result.rps * 1.5);
      log(`  ${entry.spec.name} ${workload}: refresh-token pool ran dry, again with a larger one`);
      continue;
    }
    result.cpuUsPerRequest = result.requests ? (after.user + after.system - before.user - before.system) / result.requests : NaN;
    state.estimate = Math.max(result.rps, 1);
    return result;
  }
}

// Every server is started and checked first; then each workload runs in rounds over all of them (warm-up round,
// then `runs` timed rounds), so that the drift of this shared machine touches every server alike and a ratio is
// taken between runs minutes, not a quarter of an hour, apart.
const figures = [];
const entries = [];
const specs = serverMatrix({ databaseUrl }).filter((s) => !onlyRe || onlyRe.test(s.name));
const ALL = ['W1', 'W2', 'W3', 'W4'];
for (const spec of specs) {
  let server;
  try {
    server = await startServer({ ...spec, keysDir, scratchDir: buildDir });
  } catch (error) {
    log(`${spec.name}: not started: ${error.message.split('\n')[0]}`);
    figures.push({ spec, workload: '*', error: `did not start: ${error.message.split('\n')[0]}` });
    continue;
  }
  const entry = { spec, server, state: {}, ready: [] };
  entries.push(entry);
  for (const workload of (spec.workloads ?? ALL).filter((w) => !workloadFilter || workloadFilter.has(w))) {
    if (!server.workloads.includes(workload)) {
      figures.push({ spec, workload, unsupported: true, note: server.notes });
      continue;
    }
    try {
      const check = await checkWorkload(workload, { server, keys: keysByAlg[spec.alg], isFloor: spec.group === 'floor' });
      const accessToken = workload === 'W3' || workload === 'W4' ? await server.call('mintAccess') : undefined;
      entry.state[workload] = { check, accessToken, estimate: 2000, runs: [] };
      entry.ready.push(workload);
    } catch (error) {
      log(`${spec.name} ${workload}: FAILED its check: ${error.message}`);
      figures.push({ spec, workload, error: error.message });
    }
  }
  log(`${spec.name}: started, checked (${entry.ready.join(' ') || 'nothing to time'})`);
}

for (const workload of ALL) {
  const active = entries.filter((e) => e.ready.includes(workload));
  if (active.length === 0) continue;
  if (workload === 'W2') for (const e of active) e.state.W2.estimate = e.state.W1?.figure?.rps ?? 2000;
  for (let round = 0; round <= settings.runs; round++) {
    log(`${workload} ${WORKLOADS[workload].title}: ${round === 0 ? 'warm-up' : `round ${round}/${settings.runs}`} over ${active.length} servers`);
    for (const e of active) {
      const state = e.state[workload];
      if (state.error) continue;
      try {
        const result = await oneRun(e, workload, round === 0 ? settings.warmup : settings.seconds);
        if (round > 0) state.runs.push({ ...result, round });
      } catch (error) {
        state.error = error.message;
        log(`${e.spec.name} ${workload}: FAILED: ${error.message}`);
      }
    }
  }
  for (const e of active) {
    const state = e.state[workload];
    if (state.error) {
      figures.push({ spec: e.spec, workload, error: state.error });
      continue;
    }
    const figure = { spec: e.spec, workload, check: state.check, runs: state.runs, ...summarize(state.runs) };
    state.figure = figure;
    figures.push(figure);
    log(`  ${e.spec.name} ${workload}: ${Math.round(figure.rps)} rps, p99 ${figure.p99} ms, ${Math.round(figure.cpuUs)} µs CPU/req, non-2xx ${figure.non2xx + figure.errors}`);
  }
  // What is measured so far survives a run that dies later.
  writeFileSync(join(resultsDir, 'partial.json'), JSON.stringify({ raw, breakdown, figures }));
}
await Promise.all(entries.map((e) => e.server.stop()));

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

const rawEnd = rawOps();
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
const report = { meta, raw, rawEnd, figures, memory, profile, breakdown };
writeFileSync(join(resultsDir, args.quick ? 'latest-quick.json' : 'latest.json'), JSON.stringify(report, null, 1));
printTable(report);
if (!args['no-write'] && !args.only && !args.workloads) writeMarkdown(report, join(BENCH, '..', 'BENCHMARKS.md'));
log(`done in ${meta.minutes.toFixed(1)} min`);
