// Medians, same-round ratios, the issue's targets, the floor check; the console table and the Markdown report.
import { writeFileSync } from 'node:fs';
import { formatOf } from './matrix.mjs';

export const median = (xs) => {
  const s = [...xs].filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

export function summarize(runs) {
  return {
    rps: median(runs.map((r) => r.rps)),
    p50: median(runs.map((r) => r.p50)),
    p99: median(runs.map((r) => r.p99)),
    cpuUs: median(runs.map((r) => r.cpuUsPerRequest)),
    non2xx: runs.reduce((n, r) => n + r.non2xx, 0),
    errors: runs.reduce((n, r) => n + r.errors, 0),
  };
}

const valid = (f) => f && f.runs && f.runs.length > 0 && f.non2xx === 0 && f.errors === 0;

/**
 * The ratio of two figures, round by round (both runs of a pair come from the same round, a minute or two apart),
 * then the median over rounds: by req/s (f ÷ ref) and by CPU (ref's CPU µs per request ÷ f's). `perRound` keeps
 * each round's pair of ratios.
 */
export function pairedRatio(f, ref) {
  const byRound = new Map(ref.runs.map((r) => [r.round, r]));
  const pairs = f.runs.filter((r) => byRound.has(r.round)).map((r) => [r, byRound.get(r.round)]);
  const perRound = pairs.map(([a, b]) => ({ round: a.round, rps: a.rps / b.rps, cpu: b.cpuUsPerRequest / a.cpuUsPerRequest }));
  return { rps: median(perRound.map((x) => x.rps)), cpu: median(perRound.map((x) => x.cpu)), perRound };
}

/** The floor and best-peer figures a figure is compared with (same workload, HTTP layer, connections, format). */
export function references(figures, f) {
  const fmt = formatOf(f.spec);
  const same = (g) => g.workload === f.workload && g.connections === f.connections && g.spec.framework === f.spec.framework && valid(g);
  const floor = figures.find((g) => same(g) && g.spec.group === 'floor' && formatOf(g.spec) === fmt);
  const peers = figures.filter((g) => same(g) && g.spec.group === 'peer');
  const best = (list) => list.reduce((a, b) => (!a || b.cpuUs < a.cpuUs ? b : a), undefined);
  return { floor, bestPeer: best(peers.filter((g) => formatOf(g.spec) === fmt)) };
}

const find = (figures, { group, variant, framework = 'node', workload, connections }) =>
  figures.find((f) => f.spec.group === group && f.spec.variant === variant && f.spec.framework === framework && f.workload === workload && f.connections === connections);

/**
 * The targets of issue 13, at every connection count measured: each the same-round median ratio by CPU µs per
 * request and by req/s, against the floor with the same algorithm on bare node:http (W2 against the floor's W1).
 */
export const TARGET_DEFS = [
  { id: 'RS256 W1', goal: 0.85, f: ['grantry', 'RS256 memory', 'W1'], ref: ['floor', 'RS256', 'W1'], what: 'grantry RS256 W1 ÷ floor RS256 W1' },
  { id: 'RS256 W2', goal: 0.75, f: ['grantry', 'RS256 memory', 'W2'], ref: ['floor', 'RS256', 'W1'], what: "grantry RS256 W2 ÷ floor RS256 W1 (one signature)" },
  { id: 'EdDSA W1', goal: 0.7, f: ['grantry', 'EdDSA memory', 'W1'], ref: ['floor', 'EdDSA', 'W1'], what: 'grantry EdDSA W1 ÷ floor EdDSA W1' },
  { id: 'EdDSA W2', goal: 0.55, f: ['grantry', 'EdDSA memory', 'W2'], ref: ['floor', 'EdDSA', 'W1'], what: "grantry EdDSA W2 ÷ floor EdDSA W1 (one signature)" },
  { id: 'W3 RS256, no revocation lookup', goal: 0.95, f: ['grantry', 'RS256 memory', 'W3'], ref: ['floor', 'RS256', 'W3'], what: 'grantry W3 ÷ floor verify-and-respond' },
  { id: 'W3 RS256, with revocation lookup', goal: 0.9, f: ['grantry', 'RS256 memory, W3 with revocation lookup', 'W3'], ref: ['floor', 'RS256', 'W3'], what: 'grantry W3 (lookup) ÷ floor verify-and-respond' },
  { id: 'W3 RS256, no lookup, through withBearerToken (Fetch twin on node:http)', goal: 0.95, f: ['grantry', 'RS256 memory, W3 through withBearerToken', 'W3'], ref: ['floor', 'RS256', 'W3'], what: 'toNodeHandler(withBearerToken(...)) ÷ floor' },
  { id: 'W3 EdDSA, no revocation lookup', goal: 0.95, f: ['grantry', 'EdDSA memory', 'W3'], ref: ['floor', 'EdDSA', 'W3'], what: 'grantry W3 ÷ floor verify-and-respond' },
  { id: 'W4 RS256', goal: 0.8, f: ['grantry', 'RS256 memory', 'W4'], ref: ['floor', 'RS256', 'W4'], what: 'grantry W4 ÷ floor form + client secret + verify' },
  { id: 'W4 EdDSA', goal: 0.8, f: ['grantry', 'EdDSA memory', 'W4'], ref: ['floor', 'EdDSA', 'W4'], what: 'grantry W4 ÷ floor form + client secret + verify' },
  { id: 'SQLite W2 RS256', goal: 0.8, f: ['grantry', 'RS256 sqlite', 'W2'], ref: ['grantry', 'RS256 memory', 'W2'], what: 'grantry SQLite W2 ÷ in-memory W2' },
  { id: 'SQLite W2 EdDSA', goal: 0.8, f: ['grantry', 'EdDSA sqlite', 'W2'], ref: ['grantry', 'EdDSA memory', 'W2'], what: 'grantry SQLite W2 ÷ in-memory W2' },
  { id: 'PostgreSQL W2 RS256', goal: 0.6, f: ['grantry', 'RS256 postgres', 'W2'], ref: ['grantry', 'RS256 memory', 'W2'], what: 'grantry PostgreSQL W2 ÷ in-memory W2' },
  { id: 'PostgreSQL W2 EdDSA', goal: 0.6, f: ['grantry', 'EdDSA postgres', 'W2'], ref: ['grantry', 'EdDSA memory', 'W2'], what: 'grantry PostgreSQL W2 ÷ in-memory W2' },
];

/** CPU per request at 64 connections within 10% of 1 connection: CPU(1) ÷ CPU(64) ≥ 1/1.1, per grantry figure. */
const SCALE_DEFS = ['RS256 memory', 'EdDSA memory'].flatMap((variant) => ['W1', 'W2', 'W3', 'W4'].map((workload) => ({ variant, workload })));

export function targets(report) {
  const { figures } = report;
  const counts = [...new Set(figures.filter((f) => f.connections !== undefined).map((f) => f.connections))].sort((a, b) => a - b);
  const out = [];
  for (const def of TARGET_DEFS) {
    for (const connections of counts) {
      const at = ([group, variant, workload]) => find(figures, { group, variant, workload, connections });
      const f = at(def.f);
      const ref = at(def.ref);
      const row = { id: def.id, what: def.what, goal: def.goal, connections };
      if (!valid(f) || !valid(ref)) {
        out.push({ ...row, note: !f ? 'not measured' : !valid(f) ? (f.error ?? 'figure invalid (non-2xx)') : 'no reference figure' });
        continue;
      }
      const r = pairedRatio(f, ref);
      out.push({ ...row, rps: r.rps, cpu: r.cpu, perRound: r.perRound, metRps: r.rps >= def.goal, metCpu: r.cpu >= def.goal, cpuUs: f.cpuUs, refCpuUs: ref.cpuUs });
    }
  }
  for (const { variant, workload } of SCALE_DEFS) {
    const one = find(figures, { group: 'grantry', variant, workload, connections: 1 });
    const many = find(figures, { group: 'grantry', variant, workload, connections: 64 });
    const row = { id: `CPU/req at 64 vs 1 conn: ${variant.split(' ')[0]} ${workload}`, what: 'CPU µs/req at 1 ÷ at 64 (≥ 0.91 = within 10%)', goal: 1 / 1.1, connections: '64 vs 1', cpuOnly: true };
    if (!valid(one) || !valid(many)) {
      out.push({ ...row, note: 'not measured at both 1 and 64 connections' });
      continue;
    }
    const r = pairedRatio(many, one);
    out.push({ ...row, cpu: r.cpu, perRound: r.perRound, metCpu: r.cpu >= 1 / 1.1, cpuUs: many.cpuUs, refCpuUs: one.cpuUs });
  }
  // No goal in issue 13: grantry's opaque access tokens beside the opaque peers, at 32 connections.
  for (const workload of ['W1', 'W2']) {
    const f = find(figures, { group: 'grantry', variant: 'opaque memory', workload, connections: 32 });
    const skipped = figures.find((x) => x.spec.group === 'grantry' && x.spec.variant === 'opaque memory' && x.workload === workload && (x.unsupported || x.error));
    const peers = figures.filter((x) => x.spec.group === 'peer' && x.spec.format === 'opaque' && x.spec.framework === 'node' && x.workload === workload && x.connections === 32 && valid(x));
    const best = peers.reduce((a, b) => (!a || b.cpuUs < a.cpuUs ? b : a), undefined);
    const row = { id: `opaque ${workload} vs best opaque peer${best ? ` (${best.spec.impl})` : ''}`, what: 'grantry opaque ÷ best opaque peer (informational)', goal: undefined, connections: 32 };
    if (!valid(f) || !best) {
      out.push({ ...row, note: skipped?.note ?? skipped?.error ?? (!best ? 'no opaque peer figure' : 'not measured') });
      continue;
    }
    const r = pairedRatio(f, best);
    out.push({ ...row, rps: r.rps, cpu: r.cpu, perRound: r.perRound, cpuUs: f.cpuUs, refCpuUs: best.cpuUs });
  }
  return out;
}

/**
 * The floor check: the floor's W1 CPU µs per request against one signature measured in its own process (median
 * over rounds). The issue expects one signature plus a few tens of µs; outside −15 … +100 µs the floor is marked.
 */
export function floorChecks(report) {
  const out = [];
  for (const alg of ['RS256', 'EdDSA']) {
    for (const f of report.figures.filter((x) => x.spec.group === 'floor' && x.spec.alg === alg && x.spec.framework === 'node' && x.workload === 'W1' && valid(x))) {
      const costs = (report.signCosts ?? []).filter((s) => s.alg === alg && (s.connections ?? f.connections) === f.connections);
      const sign = median(costs.map((s) => s.us));
      // Over, round by round: the floor's W1 run and the signature measured right after it.
      const byRound = new Map(costs.map((s) => [s.round, s.us]));
      const over = median(f.runs.filter((r) => byRound.has(r.round)).map((r) => r.cpuUsPerRequest - byRound.get(r.round)));
      out.push({ alg, connections: f.connections, floorUs: f.cpuUs, signUs: sign, overUs: over, plausible: over >= -15 && over <= 100 });
    }
  }
  return out;
}

const fmt = (x, d = 0) => (x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(d));
const verdict = (m) => (m === undefined ? 'n/a' : m ? 'met' : '**not met**');

function rows(report) {
  const { figures } = report;
  return figures.map((f) => {
    const base = { server: f.spec.name.replace(/ · (node|express)$/, ''), http: f.spec.framework === 'node' ? 'node:http' : 'express', workload: f.workload, conns: f.connections ?? '' };
    if (f.unsupported) return { ...base, note: `not offered${f.note ? ` (${f.note})` : ''}` };
    if (f.error) return { ...base, note: `ERROR: ${f.error.slice(0, 160)}` };
    const { floor, bestPeer } = references(figures, f);
    const ratio = (ref) => (valid(f) && valid(ref) ? `${pairedRatio(f, ref).cpu.toFixed(2)}` : '—');
    return {
      ...base,
      rps: fmt(f.rps),
      p50: fmt(f.p50, 1),
      p99: fmt(f.p99, 1),
      cpu: fmt(f.cpuUs),
      rounds: f.runs.map((r) => fmt(r.cpuUsPerRequest)).join(' '),
      non2xx: String(f.non2xx + f.errors),
      floor: f.spec.group === 'floor' ? '' : ratio(floor),
      peer: f.spec.group === 'peer' || f.spec.group === 'floor' ? '' : ratio(bestPeer),
      note: '',
    };
  });
}

const COLUMNS = [
  ['server', 'server'],
  ['http', 'HTTP'],
  ['workload', 'W', 'console'],
  ['conns', 'conns'],
  ['rps', 'req/s'],
  ['p50', 'p50 ms'],
  ['p99', 'p99 ms'],
  ['cpu', 'CPU µs/req'],
  ['rounds', 'CPU µs/req by round'],
  ['non2xx', 'non-2xx'],
  ['floor', '× floor (CPU)'],
  ['peer', '× best peer (CPU)'],
  ['note', ''],
];

const W_ORDER = { W1: 1, W2: 2, W3: 3, W4: 4, '*': 5 };
const G_ORDER = { grantry: 1, peer: 2, floor: 3 };
function ordered(report) {
  return rows(report)
    .map((r, i) => ({ r, f: report.figures[i] }))
    .sort(
      (a, b) =>
        W_ORDER[a.f.workload] - W_ORDER[b.f.workload] ||
        (a.f.connections ?? 0) - (b.f.connections ?? 0) ||
        G_ORDER[a.f.spec.group] - G_ORDER[b.f.spec.group] ||
        (a.f.spec.framework === b.f.spec.framework ? 0 : a.f.spec.framework === 'node' ? -1 : 1),
    );
}

function targetLine(t) {
  if (t.note) return `${t.id} @${t.connections}: ${t.note}`;
  const goal = t.goal === undefined ? 'no goal' : `goal ${t.goal.toFixed(2)}`;
  const rps = t.cpuOnly ? '' : `, req/s ${fmt(t.rps, 2)} ${t.goal === undefined ? '' : t.metRps ? 'met' : 'NOT MET'}`;
  return `${t.id} @${t.connections}: CPU ${fmt(t.cpu, 2)} ${t.goal === undefined ? '' : t.metCpu ? 'met' : 'NOT MET'}${rps} (${goal}; rounds CPU ${t.perRound.map((x) => fmt(x.cpu, 2)).join(' ')})`;
}

export function printTable(report) {
  const data = ordered(report).map(({ r }) => r);
  const widths = COLUMNS.map(([k, h]) => Math.max(h.length, ...data.map((r) => String(r[k] ?? '').length)));
  const line = (cells) => cells.map((c, i) => String(c ?? '').padEnd(widths[i])).join('  ');
  console.log(line(COLUMNS.map(([, h]) => h)));
  for (const r of data) console.log(line(COLUMNS.map(([k]) => r[k])));
  console.log(`\nraw ops/s on one core: RS256 sign ${report.raw.RS256.sign}, verify ${report.raw.RS256.verify}; EdDSA sign ${report.raw.EdDSA.sign}, verify ${report.raw.EdDSA.verify}`);
  console.log('\nfloor check (floor W1 CPU µs/req − one signature in its process; expected a few tens of µs):');
  for (const c of report.floorChecks ?? floorChecks(report)) {
    console.log(`  ${c.plausible ? 'plausible' : 'WARNING: implausible'}  ${c.alg} @${c.connections}: floor ${fmt(c.floorUs)} µs, signature ${fmt(c.signUs)} µs, over ${fmt(c.overUs)} µs`);
  }
  console.log('\ntargets (same-round median ratios):');
  for (const t of targets(report)) console.log(`  ${targetLine(t)}`);
}

function markdownTable(cols, data) {
  const head = `| ${cols.map(([, h]) => h).join(' | ')} |\n|${cols.map(() => '---').join('|')}|\n`;
  return head + data.map((r) => `| ${cols.map(([k]) => String(r[k] ?? '').replace(/\|/g, '\\|')).join(' | ')} |`).join('\n') + '\n';
}

/** The target table: one row per target, one column pair (CPU, req/s) per connection count. */
export function targetTable(report) {
  const t = targets(report);
  const counts = [...new Set(t.filter((x) => typeof x.connections === 'number' && x.goal !== undefined).map((x) => x.connections))].sort((a, b) => a - b);
  const ids = [...new Set(t.map((x) => x.id))];
  const cell = (x) => {
    if (!x) return '—';
    if (x.note) return x.note.replace(/\|/g, '\\|');
    const mark = (m) => (x.goal === undefined ? '' : m ? ' met' : ' **not met**');
    return x.cpuOnly ? `CPU ${fmt(x.cpu, 2)}${mark(x.metCpu)}` : `CPU ${fmt(x.cpu, 2)}${mark(x.metCpu)} · req/s ${fmt(x.rps, 2)}${mark(x.metRps)}`;
  };
  const lines = [`| target | goal | ${counts.map((c) => `${c} conn`).join(' | ')} |`, `|---|---|${counts.map(() => '---').join('|')}|`];
  for (const id of ids) {
    const mine = t.filter((x) => x.id === id);
    const goal = mine[0].goal === undefined ? '—' : `≥ ${mine[0].goal.toFixed(2)}`;
    if (mine[0].connections === '64 vs 1' || mine.length === 1) {
      const label = mine[0].connections === '64 vs 1' ? '64 vs 1' : `${mine[0].connections} conn`;
      lines.push(`| ${id} (${label}) | ${goal} | ${cell(mine[0])} |${counts.slice(1).map(() => ' |').join('')}`);
      continue;
    }
    lines.push(`| ${id} | ${goal} | ${counts.map((c) => cell(mine.find((x) => x.connections === c))).join(' | ')} |`);
  }
  return lines.join('\n') + '\n';
}

export function writeMarkdown(report, path) {
  const { meta, raw, figures, memory, profiles } = report;
  const s = [];
  s.push(
    `- Date: ${meta.date}\n- Command: \`${meta.command}\` (${meta.minutes.toFixed(1)} minutes)\n- Machine: ${meta.cpu}, ${meta.memory}; Node ${meta.node}; ${meta.pinned ? 'servers pinned to core 0, the load generator (autocannon) to core 1 (`taskset`)' : 'NOT pinned (taskset missing)'}; load average at the start ${meta.loadStart ?? '?'}, at the end ${meta.loadEnd ?? '?'}\n- Each figure: the median of ${meta.settings.runs} rounds of ${meta.settings.seconds} s (after a ${meta.settings.warmup} s warm-up round), HTTP/1.1 keep-alive on 127.0.0.1, at ${meta.settings.connections.join(', ')} connections; every ratio is the median over rounds of the ratio between two runs of the same round\n- Peers: ${Object.entries(meta.versions).map(([k, v]) => `${k} ${v}`).join(', ')}\n`,
  );
  s.push(`**Targets** (ratios of CPU µs per request and of req/s; ≥ goal is met)\n\n${targetTable(report)}`);
  const checks = report.floorChecks ?? floorChecks(report);
  s.push(
    `**Floor check** (the floor's W1 CPU µs per request against one signature measured in the floor's own process; expected: a few tens of µs over, marked outside −15 … +100 µs)\n\n| floor | conns | floor W1 µs/req | one signature µs | over | check |\n|---|---|---|---|---|---|\n` +
      checks.map((c) => `| ${c.alg} | ${c.connections} | ${fmt(c.floorUs)} | ${fmt(c.signUs)} | ${fmt(c.overUs)} | ${c.plausible ? 'plausible' : '**implausible**'} |`).join('\n') +
      '\n',
  );
  for (const w of ['W1', 'W2', 'W3', 'W4']) {
    const data = ordered(report)
      .filter(({ f }) => f.workload === w)
      .map(({ r }) => r);
    const cols = COLUMNS.filter(([k, , only]) => only !== 'console' && (k !== 'note' || data.some((r) => r.note)));
    s.push(`**${w}: ${{ W1: 'client credentials', W2: 'refresh, a never-used token per request', W3: 'resource server validates a bearer token', W4: 'token introspection (RFC 7662)' }[w]}**\n\n${markdownTable(cols, data)}`);
  }
  const end = report.rawEnd;
  s.push(
    `**Raw signature operations** (one core, no HTTP, at the start and end of the run)\n\n| algorithm | sign/s | verify/s | sign/s at the end | verify/s at the end |\n|---|---|---|---|---|\n` +
      `| RS256 (RSA 2048) | ${raw.RS256.sign} | ${raw.RS256.verify} | ${end?.RS256.sign ?? '—'} | ${end?.RS256.verify ?? '—'} |\n| EdDSA (Ed25519) | ${raw.EdDSA.sign} | ${raw.EdDSA.verify} | ${end?.EdDSA.sign ?? '—'} | ${end?.EdDSA.verify ?? '—'} |\n`,
  );
  const { breakdown } = report;
  if (breakdown && (breakdown.RS256?.results || breakdown.EdDSA?.results)) {
    const labels = (breakdown.RS256?.results ?? breakdown.EdDSA.results).map((r) => r.label);
    const us = (alg, label) => breakdown[alg]?.results?.find((r) => r.label === label)?.us;
    s.push(`**grantry's CPU in process** (no HTTP; \`bench/lib/breakdown.mjs\`)\n\n| step | RS256 µs | EdDSA µs |\n|---|---|---|\n` + labels.map((l) => `| ${l} | ${fmt(us('RS256', l), 1)} | ${fmt(us('EdDSA', l), 1)} |`).join('\n') + '\n');
  }
  if (memory) s.push(`**Memory over a ${memory.seconds}-second W2 run**\n\n${memory.markdown ?? memory.error}\n`);
  for (const p of profiles ?? []) s.push(`**CPU profile: ${p.workload} ${p.alg}**\n\n${p.markdown ?? p.error}\n`);
  const errors = figures.filter((f) => f.error || f.unsupported);
  if (errors.length) s.push(`**Not timed**\n\n${errors.map((f) => `- ${f.spec.name} ${f.workload}: ${f.error ?? `not offered${f.note ? ` (${f.note})` : ''}`}`).join('\n')}\n`);
  writeFileSync(path, s.join('\n'));
}
