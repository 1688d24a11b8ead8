#!/usr/bin/env node
// grantry's benchmark: grantry, its peers and the floor, side by side in one run. See BENCHMARKS.md.
//   node bench/run.mjs [--quick] [--only REGEX] [--workloads W1,W2] [--connections 1,32,64] [--runs 3] [--seconds 1]
//                      [--skip-memory] [--skip-profile] [--skip-breakdown]
// Writes bench/results/latest.json and latest.md (quick: latest-quick.*); BENCHMARKS.md is written by hand from them.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildGrantry } from './lib/build-grantry.mjs';
import { checkWorkload } from './lib/checks.mjs';
import { HAS_TASKSET, startServer } from './lib/child.mjs';
import { writeKeys } from './lib/keys.mjs';
import { requestsFor, runLoad, stopLoad, WORKLOADS } from './lib/load.mjs';
import { runsAt, serverMatrix } from './lib/matrix.mjs';
import { memoryRun } from './lib/memory.mjs';
import { profileWorkload } from './lib/profile.mjs';
import { floorChecks, printTable, summarize, writeMarkdown } from './lib/report.mjs';
import { loadKeys } from './lib/shared.mjs';

const BENCH = fileURLToPath(new URL('.', import.meta.url));
const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    workloads: { type: 'string' },
    'skip-memory': { type: 'boolean', default: false },
    'skip-breakdown': { type: 'boolean', default: false },
    connections: { type: 'string', default: '1,32,64' },
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

// About 12 minutes on a 2-core machine: short measurements, three rounds (the issue asks for the median of at least
// three, each ratio from one round), the peers at 32 connections only.
const settings = args.quick
  ? { warmup: 0.3, seconds: 0.5, runs: 3, memorySeconds: 10, profileSeconds: 3, rawSeconds: 0.3 }
  : { warmup: 0.5, seconds: 1, runs: 3, memorySeconds: 30, profileSeconds: 6, rawSeconds: 1 };
if (args.runs) settings.runs = Math.max(1, Number(args.runs));
if (args.seconds) settings.seconds = Number(args.seconds);
settings.connections = args.connections.split(',').map(Number);
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
const loadStart = loadavg().map((x) => x.toFixed(1)).join(' ');

// Raw signature operations per second, on the servers' core.
log('raw sign/verify ops/s');
const rawOps = () =>
  JSON.parse(
    execFileSync(HAS_TASKSET ? 'taskset' : process.execPath, [...(HAS_TASKSET ? ['-c', '0', process.execPath] : []), join(BENCH, 'lib/raw-ops.mjs'), keysDir, String(settings.rawSeconds)]).toString(),
  );
const raw = rawOps();

// In process, without HTTP: grantry's CPU per step of W1/W2 (see lib/breakdown.mjs).
const breakdown = {};
if (!args['skip-breakdown'] && (!onlyRe || onlyRe.test('breakdown'))) {
  for (const alg of ['RS256', 'EdDSA']) {
    log(`breakdown: grantry's steps in process (${alg})`);
    const iterations = (alg === 'RS256' ? 1000 : 5000) / (args.quick ? 4 : 1);
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
async function oneRun(entry, workload, connections, seconds) {
  const { server } = entry;
  const state = entry.state[workload];
  const key = connections;
  for (let attempt = 0; ; attempt++) {
    let pool;
    let exhausted = false;
    const estimate = state.estimate[key] ?? state.estimate[32] ?? 2000;
    if (workload === 'W2') pool = await server.call('mintRefresh', Math.ceil(estimate * seconds * 1.5) + 100);
    const requests = requestsFor(workload, {
      pool,
      accessToken: state.accessToken,
      onExhausted: () => {
        if (!exhausted) stopLoad();
        exhausted = true;
      },
    });
    const before = await server.call('cpu');
    const result = await runLoad({ port: server.port, requests, seconds, connections });
    const after = await server.call('cpu');
    if (exhausted && attempt < 3) {
      state.estimate[key] = Math.max(estimate * 2, result.rps * 1.5);
      log(`  ${entry.spec.name} ${workload} @${connections}: refresh-token pool ran dry, again with a larger one`);
      continue;
    }
    result.cpuUsPerRequest = result.requests ? (after.user + after.system - before.user - before.system) / result.requests : NaN;
    state.estimate[key] = Math.max(result.rps, 1);
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
      entry.state[workload] = { check, accessToken, estimate: {}, runs: [] };
      entry.ready.push(workload);
    } catch (error) {
      log(`${spec.name} ${workload}: FAILED its check: ${error.message}`);
      figures.push({ spec, workload, error: error.message });
    }
  }
  log(`${spec.name}: started, checked (${entry.ready.join(' ') || 'nothing to time'})${server.notes && entry.ready.length === 0 ? ` — NOTE: ${server.notes}` : ''}`);
}

// Rounds outermost: each round runs every connection count, every workload and every server once, so that each
// ratio (grantry against the floor, W2 against the floor's W1, 64 connections against 1) pairs runs of one round,
// a couple of minutes apart at most. Round 0 is a short warm-up at 32 connections.
const workloadsOf = (e, conns) => ALL.filter((w) => e.ready.includes(w) && runsAt(e.spec, w, conns));
const signCosts = [];
for (let round = 0; round <= settings.runs; round++) {
  for (const conns of round === 0 ? settings.connections.filter((c) => c === 32).concat(settings.connections.includes(32) ? [] : settings.connections.slice(0, 1)) : settings.connections) {
    for (const workload of ALL) {
      const active = entries.filter((e) => workloadsOf(e, conns).includes(workload) && !e.state[workload].error);
      if (active.length === 0) continue;
      log(`${round === 0 ? 'warm-up' : `round ${round}/${settings.runs}`} · ${conns} conn · ${workload} ${WORKLOADS[workload].title} over ${active.length} servers`);
      for (const e of active) {
        const state = e.state[workload];
        try {
          const result = await oneRun(e, workload, conns, round === 0 ? settings.warmup : settings.seconds);
          if (round > 0) state.runs.push({ ...result, round, connections: conns });
          // The floor's own signature, in its process, right after its W1 run: the floor check (W1 ≈ one signature
          // plus a few tens of µs), measured at the same moment as the figure it checks.
          if (round > 0 && workload === 'W1' && e.spec.group === 'floor' && e.spec.framework === 'node' && e.spec.format === 'jwt') {
            signCosts.push({ alg: e.spec.alg, round, connections: conns, us: await e.server.call('signCost', e.spec.alg === 'EdDSA' ? 1000 : 200) });
          }
        } catch (error) {
          state.error = error.message;
          log(`${e.spec.name} ${workload}: FAILED: ${error.message}`);
        }
      }
    }
  }
  writeFileSync(join(resultsDir, 'partial.json'), JSON.stringify({ raw, breakdown, entries: entries.map((e) => ({ spec: e.spec, state: e.state })) }));
}
for (const e of entries) {
  for (const workload of e.ready) {
    const state = e.state[workload];
    if (state.error) {
      figures.push({ spec: e.spec, workload, error: state.error });
      continue;
    }
    for (const conns of settings.connections) {
      const runs = state.runs.filter((r) => r.connections === conns);
      if (runs.length === 0) continue;
      const figure = { spec: e.spec, workload, connections: conns, check: state.check, runs, ...summarize(runs) };
      figures.push(figure);
      log(`  ${e.spec.name} ${workload} @${conns}: ${Math.round(figure.rps)} rps, p99 ${figure.p99} ms, ${Math.round(figure.cpuUs)} µs CPU/req, non-2xx ${figure.non2xx + figure.errors}`);
    }
  }
}
await Promise.all(entries.map((e) => e.server.stop()));

let memory;
if (!args['skip-memory'] && (!onlyRe || onlyRe.test('memory-run'))) {
  log(`memory: ${settings.memorySeconds} s of W2`);
  memory = await memoryRun({ keysDir, scratchDir: buildDir, databaseUrl, seconds: settings.memorySeconds, log });
}
// Profiles of grantry's token, bearer and introspection paths (the targets' figures), bare node:http, in memory.
let profiles;
if (!args['skip-profile'] && (!onlyRe || onlyRe.test('profile'))) {
  profiles = [];
  for (const [workload, alg] of [['W1', 'RS256'], ['W1', 'EdDSA'], ['W2', 'RS256'], ['W2', 'EdDSA'], ['W3', 'RS256'], ['W4', 'RS256']]) {
    profiles.push(await profileWorkload({ keysDir, scratchDir: buildDir, resultsDir, seconds: settings.profileSeconds, log, workload, alg }));
  }
}

const rawEnd = rawOps();
const meta = {
  date: new Date().toISOString(),
  node: process.version,
  cpu: `${cpus()[0]?.model ?? 'unknown'} × ${cpus().length}`,
  memory: `${Math.round(totalmem() / 2 ** 30)} GiB`,
  pinned: HAS_TASKSET,
  loadStart,
  loadEnd: loadavg().map((x) => x.toFixed(1)).join(' '),
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
const report = { meta, raw, rawEnd, figures, memory, profiles, breakdown, signCosts };
report.floorChecks = floorChecks(report);
const base = args.quick ? 'latest-quick' : 'latest';
writeFileSync(join(resultsDir, `${base}.json`), JSON.stringify(report, null, 1));
printTable(report);
writeMarkdown(report, join(resultsDir, `${base}.md`));
log(`done in ${meta.minutes.toFixed(1)} min; report in bench/results/${base}.md`);
