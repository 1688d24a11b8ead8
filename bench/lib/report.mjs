// Medians, ratios, targets; the console table and BENCHMARKS.md.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { formatOf } from './matrix.mjs';

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
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

const valid = (f) => f && f.runs && f.non2xx === 0 && f.errors === 0;

/**
 * The ratio of two figures' req/s (and the inverse ratio of their CPU per request), taken round by round, where
 * both ran within a minute or two of each other, then the median over rounds.
 */
export function pairedRatio(f, ref) {
  const byRound = new Map(ref.runs.map((r) => [r.round, r]));
  const pairs = f.runs.filter((r) => byRound.has(r.round)).map((r) => [r, byRound.get(r.round)]);
  if (pairs.length === 0) return { rps: f.rps / ref.rps, cpu: ref.cpuUs / f.cpuUs };
  return { rps: median(pairs.map(([a, b]) => a.rps / b.rps)), cpu: median(pairs.map(([a, b]) => b.cpuUsPerRequest / a.cpuUsPerRequest)) };
}

/** The floor and best-peer figures a figure is compared with (same workload, HTTP layer and token format). */
export function references(figures, f) {
  const fmt = formatOf(f.spec);
  const same = (g) => g.workload === f.workload && g.spec.framework === f.spec.framework && valid(g);
  const floor = figures.find((g) => same(g) && g.spec.group === 'floor' && formatOf(g.spec) === fmt);
  const peers = figures.filter((g) => same(g) && g.spec.group === 'peer');
  const best = (list) => list.reduce((a, b) => (!a || b.rps > a.rps ? b : a), undefined);
  return { floor, bestPeer: best(peers.filter((g) => formatOf(g.spec) === fmt)), bestPeerAny: best(peers) };
}

const find = (figures, group, variant, framework, workload) =>
  figures.find((f) => f.spec.group === group && f.spec.variant === variant && f.spec.framework === framework && f.workload === workload);

/** The issue's targets, each with its figure, reference, ratio and verdict. */
export function targets(report) {
  const { figures, memory } = report;
  const out = [];
  const ratio = (label, f, ref, goal, refLabel) => {
    if (!valid(f) || !valid(ref)) {
      out.push({ label, goal, refLabel, ratio: undefined, met: undefined, note: !f ? 'not measured' : !valid(f) ? (f.error ?? 'figure invalid (non-2xx or missing)') : 'no reference figure' });
      return;
    }
    const r = pairedRatio(f, ref);
    out.push({ label, goal, refLabel, ratio: r.rps, cpuRatio: r.cpu, met: r.rps >= goal, metCpu: r.cpu >= goal, value: f.rps, refValue: ref.rps });
  };
  const g = (variant, w, fw = 'node') => find(figures, 'grantry', variant, fw, w);
  const floor = (variant, w, fw = 'node') => find(figures, 'floor', variant, fw, w);
  for (const w of ['W1', 'W2']) ratio(`RS256 ${w} vs RS256 floor`, g('RS256 memory', w), floor('RS256', w), 0.85, 'floor RS256');
  for (const w of ['W1', 'W2']) {
    const f = g('RS256 memory', w);
    const oidc = figures.find((x) => x.spec.impl === 'oidc-provider' && x.spec.variant === 'RS256' && x.spec.framework === 'node' && x.workload === w);
    ratio(`RS256 ${w} vs oidc-provider RS256 JWT (≈1.5× expected)`, f, oidc, 1.5, 'oidc-provider RS256');
  }
  for (const w of ['W1', 'W2']) ratio(`EdDSA ${w} vs EdDSA floor`, g('EdDSA memory', w), floor('EdDSA', w), 0.8, 'floor EdDSA');
  out.push({ label: 'opaque access tokens W1/W2 vs fastest opaque peer', goal: 1.2, ratio: undefined, met: undefined, note: 'grantry issues JWT access tokens only (its `tokenFormat` applies to refresh tokens and codes): target not applicable' });
  ratio('W3 RS256 (no revocation lookup) vs floor verify-and-respond', g('RS256 memory', 'W3'), floor('RS256', 'W3'), 0.9, 'floor RS256 W3');
  {
    const f = g('RS256 memory', 'W4');
    const peers = figures.filter((x) => x.spec.group === 'peer' && x.workload === 'W4' && x.spec.framework === 'node' && valid(x));
    const best = peers.reduce((a, b) => (!a || b.rps > a.rps ? b : a), undefined);
    ratio(`W4 introspection vs best peer (${best ? best.spec.name : 'none'})`, f, best, 1.2, 'best peer W4');
  }
  for (const alg of ['RS256', 'EdDSA']) {
    ratio(`W2 ${alg} SQLite vs in-memory`, g(`${alg} sqlite`, 'W2'), g(`${alg} memory`, 'W2'), 0.7, 'grantry in-memory');
    ratio(`W2 ${alg} PostgreSQL vs in-memory`, g(`${alg} postgres`, 'W2'), g(`${alg} memory`, 'W2'), 0.4, 'grantry in-memory');
  }
  if (memory && !memory.error) {
    out.push({ label: `memory steady over ${memory.seconds} s of W2 (${memory.storage})`, goal: undefined, ratio: undefined, met: memory.steady, note: memory.summary });
  }
  return out;
}

const fmt = (x, d = 0) => (x === undefined || Number.isNaN(x) ? '—' : x.toFixed(d));
const ratioText = (a, b) => (valid(a) && valid(b) ? `${pairedRatio(a, b).rps.toFixed(2)}×` : '—');

function rows(report) {
  const { figures } = report;
  return figures.map((f) => {
    const base = { server: f.spec.name.replace(/ · (node|express)$/, ''), http: f.spec.framework === 'node' ? 'node:http' : 'express', workload: f.workload };
    if (f.unsupported) return { ...base, note: `not offered${f.note ? ` (${f.note})` : ''}` };
    if (f.error) return { ...base, note: `ERROR: ${f.error.slice(0, 120)}` };
    const { floor, bestPeer } = references(figures, f);
    return {
      ...base,
      rps: fmt(f.rps),
      p50: fmt(f.p50, 1),
      p99: fmt(f.p99, 1),
      cpu: fmt(f.cpuUs),
      non2xx: String(f.non2xx + f.errors),
      floor: f.spec.group === 'floor' ? '' : ratioText(f, floor),
      peer: f.spec.group === 'peer' || f.spec.group === 'floor' ? '' : ratioText(f, bestPeer),
      note: '',
    };
  });
}

const COLUMNS = [
  ['server', 'server'],
  ['http', 'HTTP'],
  ['workload', 'W', 'console'],
  ['rps', 'req/s'],
  ['p50', 'p50 ms'],
  ['p99', 'p99 ms'],
  ['cpu', 'CPU µs/req'],
  ['non2xx', 'non-2xx'],
  ['floor', '× floor'],
  ['peer', '× best peer'],
  ['note', ''],
];

export function printTable(report) {
  const data = ordered(report).map(({ r }) => r);
  const widths = COLUMNS.map(([k, h]) => Math.max(h.length, ...data.map((r) => String(r[k] ?? '').length)));
  const line = (cells) => cells.map((c, i) => String(c ?? '').padEnd(widths[i])).join('  ');
  console.log(line(COLUMNS.map(([, h]) => h)));
  for (const r of data) console.log(line(COLUMNS.map(([k]) => r[k])));
  console.log(`\nraw ops/s on one core: RS256 sign ${report.raw.RS256.sign}, verify ${report.raw.RS256.verify}; EdDSA sign ${report.raw.EdDSA.sign}, verify ${report.raw.EdDSA.verify}`);
  console.log('\ntargets:');
  const v = (m) => (m === undefined ? '   n/a' : m ? '   met' : 'MISSED');
  for (const t of targets(report)) {
    console.log(`  ${v(t.met)} req/s ${v(t.metCpu ?? t.met)} CPU  ${t.label}: ${t.ratio === undefined ? t.note : `${t.ratio.toFixed(2)} by req/s, ${t.cpuRatio.toFixed(2)} by CPU (goal ${t.goal})`}`);
  }
}

const W_ORDER = { W1: 1, W2: 2, W3: 3, W4: 4, '*': 5 };
const G_ORDER = { grantry: 1, peer: 2, floor: 3 };
/** Rows with their figures, by workload, then grantry / peers / floor, then node:http before Express. */
function ordered(report) {
  return rows(report)
    .map((r, i) => ({ r, f: report.figures[i] }))
    .sort(
      (a, b) =>
        W_ORDER[a.f.workload] - W_ORDER[b.f.workload] ||
        G_ORDER[a.f.spec.group] - G_ORDER[b.f.spec.group] ||
        (a.f.spec.framework === b.f.spec.framework ? 0 : a.f.spec.framework === 'node' ? -1 : 1),
    );
}

function markdownTable(data) {
  const cols = COLUMNS.filter(([k, , only]) => only !== 'console' && (k !== 'note' || data.some((r) => r.note)));
  const head = `| ${cols.map(([, h]) => h).join(' | ')} |\n|${cols.map(() => '---').join('|')}|\n`;
  return head + data.map((r) => `| ${cols.map(([k]) => String(r[k] ?? '').replace(/\|/g, '\\|')).join(' | ')} |`).join('\n') + '\n';
}

/**
 * Fills the hand-written analysis with this run's numbers: {{target:PREFIX:rps|cpu}}, {{bd:ALG:PREFIX}} (µs),
 * {{fig:SERVER NAME:W:rps|cpu}}, {{layer:PREFIX}} (% of the profile), {{fn:PREFIX}} (% inclusive in the profile).
 */
function fillTemplate(text, report, t) {
  const pick = (list, prefix) => list?.find((x) => x.label.startsWith(prefix));
  return text.replace(/\{\{(\w+):([^}]*)\}\}/g, (whole, kind, arg) => {
    const parts = arg.split(':');
    let v;
    if (kind === 'target') {
      const x = pick(t, parts.slice(0, -1).join(':'));
      v = x && (parts.at(-1) === 'cpu' ? x.cpuRatio : x.ratio)?.toFixed(2);
    } else if (kind === 'bd') {
      v = pick(report.breakdown?.[parts[0]]?.results, parts.slice(1).join(':'))?.us?.toFixed(0);
    } else if (kind === 'fig') {
      const f = report.figures.find((g) => g.spec.name === parts[0] && g.workload === parts[1] && g.runs);
      v = f && (parts[2] === 'cpu' ? f.cpuUs : f.rps)?.toFixed(0);
    } else if (kind === 'layer') {
      v = pick(report.profile?.analysis?.layers, arg)?.percent?.toFixed(0);
    } else if (kind === 'fn') {
      v = pick(report.profile?.analysis?.grantryInclusive, arg)?.percent?.toFixed(0);
    }
    return v ?? '?';
  });
}

export function writeMarkdown(report, path) {
  const { meta, raw, figures, memory, profile } = report;
  const sections = [];
  sections.push(`# Benchmarks\n\ngrantry side by side with its peers and the floor, measured in one run on one machine. Absolute figures on this shared machine drift by 20% from run to run; **the ratios within one run are what count**, and CPU µs per request is the steadiest figure.\n`);
  sections.push(
    `- Date: ${meta.date}\n- Command: \`${meta.command}\` (${meta.minutes.toFixed(1)} minutes)\n- Machine: ${meta.cpu}, ${meta.memory}; Node ${meta.node}; ${meta.pinned ? 'servers pinned to core 0 and the load generator (autocannon) to core 1 with `taskset`' : 'NOT pinned (taskset missing)'}\n- Each figure: ${meta.settings.warmup} s warm-up, then the median of ${meta.settings.runs} runs of ${meta.settings.seconds} s, 10 connections, HTTP/1.1 keep-alive on 127.0.0.1\n- Peers: ${Object.entries(meta.versions).map(([k, v]) => `${k} ${v}`).join(', ')}\n`,
  );
  const analysis = fileURLToPath(new URL('../analysis.md', import.meta.url));
  const t = targets(report);
  sections.push(
    `## Targets\n\nBare node:http, in-memory storage unless stated. Two ratios per target, each the median over rounds of the ratio between runs made a minute or two apart: requests per second (what the issue states), and CPU (the reference's CPU µs per request ÷ grantry's), which does not depend on how much of the core the other work on this machine left to the server.\n\n| target | goal | ratio by req/s | verdict | ratio by CPU | verdict |\n|---|---|---|---|---|---|\n` +
      t
        .map((x) => {
          const verdict = (m) => (m === undefined ? 'n/a' : m ? 'met' : '**missed**');
          return `| ${x.label} | ${x.goal === undefined ? '—' : `≥ ${x.goal}`} | ${x.ratio === undefined ? x.note ?? '—' : x.ratio.toFixed(2)} | ${verdict(x.met)} | ${x.cpuRatio === undefined ? '—' : x.cpuRatio.toFixed(2)} | ${verdict(x.metCpu ?? x.met)} |`;
        })
        .join('\n') +
      '\n',
  );
  if (existsSync(analysis)) sections.push(fillTemplate(readFileSync(analysis, 'utf8').trim(), report, t) + '\n');
  for (const w of ['W1', 'W2', 'W3', 'W4']) {
    const data = ordered(report)
      .filter(({ f }) => f.workload === w)
      .map(({ r }) => r);
    sections.push(`## ${w}: ${{ W1: 'client credentials', W2: 'refresh, a never-used token per request', W3: 'resource server validates a bearer token', W4: 'token introspection (RFC 7662)' }[w]}\n\n${markdownTable(data)}`);
  }
  const end = report.rawEnd;
  sections.push(
    `## Raw signature operations (one core, no HTTP)\n\nMeasured on the servers' core at the start${end ? ' and at the end' : ''} of the run; the difference is a measure of how busy the machine was.\n\n| algorithm | sign/s | verify/s |${end ? ' sign/s at the end | verify/s at the end |' : ''}\n|---|---|---|${end ? '---|---|' : ''}\n` +
      `| RS256 (RSA 2048) | ${raw.RS256.sign} | ${raw.RS256.verify} |${end ? ` ${end.RS256.sign} | ${end.RS256.verify} |` : ''}\n| EdDSA (Ed25519) | ${raw.EdDSA.sign} | ${raw.EdDSA.verify} |${end ? ` ${end.EdDSA.sign} | ${end.EdDSA.verify} |` : ''}\n`,
  );
  const { breakdown } = report;
  if (breakdown && (breakdown.RS256?.results || breakdown.EdDSA?.results)) {
    const labels = (breakdown.RS256?.results ?? breakdown.EdDSA.results).map((r) => r.label);
    const us = (alg, label) => breakdown[alg]?.results?.find((r) => r.label === label)?.us;
    sections.push(
      `## Where grantry's CPU goes, in process\n\nCPU µs per operation (\`process.cpuUsage\`, so other work on the core does not count), measured inside one process without HTTP (\`bench/lib/breakdown.mjs\`). Steps overlap: \`readForm\` includes reading the body of a \`Request\`, \`issueTokens\` includes \`signJwt\`, the whole-core lines include everything above them.\n\n| step | RS256 µs | EdDSA µs |\n|---|---|---|\n` +
        labels.map((l) => `| ${l} | ${fmt(us('RS256', l), 1)} | ${fmt(us('EdDSA', l), 1)} |`).join('\n') +
        '\n',
    );
  }
  if (memory) sections.push(`## Memory over a ${memory.seconds}-second W2 run\n\n${memory.markdown ?? memory.error}\n`);
  if (profile) sections.push(`## CPU profile of the refresh grant\n\n${profile.markdown ?? profile.error}\n`);
  const errors = figures.filter((f) => f.error);
  if (errors.length) sections.push(`## Figures that did not count\n\n${errors.map((f) => `- ${f.spec.name} ${f.workload}: ${f.error}`).join('\n')}\n`);
  sections.push(`## How it is measured\n\nSee \`bench/README.md\`.\n`);
  writeFileSync(path, sections.join('\n'));
}
