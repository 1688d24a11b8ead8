// CPU profiles of grantry's workloads (bare node:http, in memory, 32 connections), taken with the V8 inspector
// around the timed load only (the same .cpuprofile that `node --cpu-prof` writes, minus start-up and minting),
// and their top costs: self time by function, inclusive time of grantry's steps, and time by layer.
import { readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { startServer } from './child.mjs';
import { requestsFor, runLoad, stopLoad } from './load.mjs';

/** Maps a line of the esbuild bundle to the source file it came from (esbuild writes `// src/x.ts` markers). */
function bundleLineMap(bundlePath) {
  const marks = [];
  readFileSync(bundlePath, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      const m = /^\/\/ ((?:\.\.\/)*src\/\S+\.ts)$/.exec(line);
      if (m) marks.push({ line: i, file: m[1].replace(/^(\.\.\/)+/, '') });
    });
  return (line) => {
    let file = 'grantry';
    for (const m of marks) {
      if (m.line > line) break;
      file = m.file;
    }
    return file;
  };
}

function layerOf(url, name) {
  if (name === '(garbage collector)') return 'GC';
  if (name === '(idle)') return 'idle';
  if (name === '(program)') return 'V8/native (unattributed)';
  if (url.includes('grantry.mjs')) return 'grantry (core, grants, tokens, storage, adapter)';
  if (/\/deps\/undici\/|node:internal\/webstreams|js_transferable|node:internal\/url/.test(url)) return 'Fetch API objects (undici Request/Response/Headers, web streams, URL)';
  if (/node:internal\/crypto|^node:crypto/.test(url)) return 'node:crypto (sign, AES-GCM, random, hash)';
  if (/node:_http|node:http|node:net|node:internal\/(streams|stream_base|http|net|timers|async_hooks)|node:stream|node:events|node:internal\/process\/task_queues/.test(url)) return 'node:http, streams, event loop';
  if (url.includes('/node_modules/')) return 'other packages';
  if (url === '') return 'V8 builtins / natives';
  return 'other Node internals';
}

export function analyzeProfile(profile, bundlePath) {
  const fileOf = bundleLineMap(bundlePath);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const total = profile.nodes.reduce((s, n) => s + n.hitCount, 0);
  const idle = profile.nodes.filter((n) => n.callFrame.functionName === '(idle)').reduce((s, n) => s + n.hitCount, 0);
  const busy = total - idle;
  const label = (n) => {
    const { functionName, url, lineNumber } = n.callFrame;
    const name = functionName || '(anonymous)';
    if (name === 'run' && url === '') return 'run — native job of node:crypto sign/verify (RSA, EdDSA)';
    if (url.includes('grantry.mjs')) return `${name} — ${fileOf(lineNumber)}`;
    if (url === '') return name;
    return `${name} — ${url.startsWith('file://') ? relative(process.cwd(), new URL(url).pathname) : url}`;
  };
  // Inclusive samples per node (self + descendants).
  const inclusive = new Map();
  const visit = (id) => {
    const n = byId.get(id);
    let sum = n.hitCount;
    for (const c of n.children ?? []) sum += visit(c);
    inclusive.set(id, sum);
    return sum;
  };
  visit(profile.nodes[0].id);

  const self = new Map();
  const layers = new Map();
  const incl = new Map();
  const onStack = new Map();
  const walk = (id, parentLayer) => {
    const n = byId.get(id);
    const l = label(n);
    self.set(l, (self.get(l) ?? 0) + n.hitCount);
    // A native or builtin frame (no url) belongs to the layer that called it: RSA signing is the native `run` of
    // node:crypto's sign job, JSON.stringify called by grantry is grantry's.
    const own = layerOf(n.callFrame.url, n.callFrame.functionName);
    const layer = own === 'V8 builtins / natives' && parentLayer ? parentLayer : own;
    layerSamples.set(layer, [...(layerSamples.get(layer) ?? []), [l, n.hitCount]]);
    layers.set(layer, (layers.get(layer) ?? 0) + n.hitCount);
    // Inclusive per label, counted once per stack (recursion-safe).
    const depth = onStack.get(l) ?? 0;
    if (depth === 0) incl.set(l, (incl.get(l) ?? 0) + inclusive.get(id));
    onStack.set(l, depth + 1);
    for (const c of n.children ?? []) walk(c, layer === 'V8/native (unattributed)' || layer === 'idle' || layer === 'GC' ? parentLayer : layer);
    onStack.set(l, depth);
  };
  const layerSamples = new Map();
  walk(profile.nodes[0].id, undefined);
  const pct = (x) => (100 * x) / busy;
  const top = (map, k, filter = () => true) =>
    [...map]
      .filter(([l]) => l !== '(idle)' && l !== '(root)' && filter(l))
      .sort((a, b) => b[1] - a[1])
      .slice(0, k)
      .map(([l, v]) => ({ label: l, percent: pct(v) }));
  return {
    busySamples: busy,
    idlePercent: (100 * idle) / total,
    selfTop: top(self, 25),
    grantryInclusive: top(incl, 15, (l) => l.includes(' — src/')),
    layers: top(layers, 10, (l) => l !== 'idle'),
    layerDetail: Object.fromEntries(
      [...layerSamples].map(([layer, entries]) => {
        const m = new Map();
        for (const [l, v] of entries) m.set(l, (m.get(l) ?? 0) + v);
        return [layer, top(m, 6)];
      }),
    ),
  };
}

/**
 * A CPU profile of one grantry workload (bare node:http, in-memory storage) under load at 32 connections, taken
 * with the V8 inspector around the timed window only; its analysis and a Markdown summary.
 */
export async function profileWorkload({ keysDir, scratchDir, resultsDir, seconds, log, workload = 'W2', alg = 'RS256', top = 15 }) {
  const spec = { group: 'grantry', impl: 'grantry', name: `grantry · ${alg} memory · node (profile ${workload})`, variant: `${alg} memory`, framework: 'node', alg, storage: 'memory', format: 'jwt', keysDir, scratchDir };
  let server;
  try {
    server = await startServer(spec);
    const accessToken = workload === 'W3' || workload === 'W4' ? await server.call('mintAccess') : undefined;
    const drive = async (secs, estimate, during) => {
      let exhausted = false;
      // A pool that outlasts the run: a dry pool would answer 400s fast and skew the profile.
      const pool = workload === 'W2' ? await server.call('mintRefresh', Math.ceil(estimate * secs * 3) + 3000) : undefined;
      const requests = requestsFor(workload, { pool, accessToken, onExhausted: () => { if (!exhausted) stopLoad(); exhausted = true; } });
      if (during) await during();
      return runLoad({ port: server.port, requests, seconds: secs, connections: 32 });
    };
    const warm = await drive(2, 3000);
    const path = join(resultsDir, `${workload}-${alg}.cpuprofile`);
    const result = await drive(seconds, Math.max(warm.rps, 1000) * 1.5, () => server.call('profileStart'));
    await server.call('profileStop', path);
    const analysis = analyzeProfile(JSON.parse(readFileSync(path, 'utf8')), process.env.BENCH_GRANTRY_BUNDLE);
    const markdown = [
      `${workload} ${alg}, in memory, bare node:http, 32 connections: ${seconds} s at ${Math.round(result.rps)} req/s (non-2xx ${result.non2xx}); idle ${analysis.idlePercent.toFixed(1)}%; \`bench/results/${workload}-${alg}.cpuprofile\`.`,
      '',
      `By layer: ${analysis.layers.map((x) => `${x.label} ${x.percent.toFixed(1)}%`).join('; ')}.`,
      '',
      '| top self time — where | self |\n|---|---|',
      ...analysis.selfTop.slice(0, top).map((x) => `| ${x.label.replace(/\|/g, '\\|')} | ${x.percent.toFixed(1)}% |`),
      '',
      '| grantry, inclusive — source file | inclusive |\n|---|---|',
      ...analysis.grantryInclusive.slice(0, 10).map((x) => `| ${x.label.replace(/\|/g, '\\|')} | ${x.percent.toFixed(1)}% |`),
    ].join('\n');
    log(`profile ${workload} ${alg}: ${analysis.layers.slice(0, 4).map((x) => `${x.label.split(' (')[0]} ${x.percent.toFixed(0)}%`).join(', ')}`);
    return { workload, alg, path, analysis, markdown, rps: result.rps };
  } catch (error) {
    log(`profile ${workload} ${alg} failed: ${error.stack}`);
    return { workload, alg, error: error.message };
  } finally {
    await server?.stop();
  }
}
