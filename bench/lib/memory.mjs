// Memory over a long W2 run: RSS and heap sampled every 2 s, plus the heap after a forced GC before and after.
import { startServer } from './child.mjs';
import { refreshLoad } from './refresh-load.mjs';

const MB = 2 ** 20;

/** Least-squares slope of y over x. */
function slope(points) {
  const n = points.length;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  const num = points.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0);
  const den = points.reduce((s, p) => s + (p.x - mx) ** 2, 0);
  return den === 0 ? 0 : num / den;
}

export async function memoryRun({ keysDir, scratchDir, seconds, log, storage = 'sqlite', alg = 'RS256' }) {
  const spec = { group: 'grantry', impl: 'grantry', name: `grantry · ${alg} ${storage} · node (memory run)`, framework: 'node', alg, storage, format: 'jwt', keysDir, scratchDir };
  let server;
  try {
    server = await startServer(spec, { nodeArgs: ['--expose-gc'] });
    const warm = await refreshLoad(server, 3, 1500);
    await server.call('gc');
    const before = await server.call('mem');
    const samples = [];
    let t0 = Date.now();
    const live = [{ t: 0, heap: before.heapUsed / MB }];
    const result = await refreshLoad(server, seconds, warm.rps * 1.2, async (load) => {
      t0 = Date.now(); // the load starts now; minting the pool came before
      let done = false;
      load.then(() => (done = true), () => (done = true));
      let lastGc = Date.now();
      while (!done) {
        // Every 10 s a forced GC shows the live heap; in between, what the process holds as it runs.
        if (Date.now() - lastGc >= 10_000) {
          await server.call('gc');
          lastGc = Date.now();
          live.push({ t: (Date.now() - t0) / 1000, heap: (await server.call('mem')).heapUsed / MB });
        }
        const m = await server.call('mem');
        samples.push({ t: (Date.now() - t0) / 1000, rss: m.rss / MB, heapUsed: m.heapUsed / MB, heapTotal: m.heapTotal / MB, external: m.external / MB });
        await new Promise((r) => setTimeout(r, 2000));
      }
    });
    await server.call('gc');
    const after = await server.call('mem');
    // The first 10 s settle the heap (JIT, pools): the trend is taken over the rest.
    const steadyPart = samples.filter((s) => s.t >= Math.min(10, seconds / 3));
    const rssSlope = slope(steadyPart.map((s) => ({ x: s.t / 60, y: s.rss })));
    live.push({ t: (Date.now() - t0) / 1000, heap: after.heapUsed / MB });
    const liveSlope = slope(live.filter((p) => p.t >= Math.min(10, seconds / 3)).map((p) => ({ x: p.t / 60, y: p.heap })));
    const retainedMb = (after.heapUsed - before.heapUsed) / MB;
    const retainedPerRequest = ((after.heapUsed - before.heapUsed) / Math.max(1, result.requests));
    const steady = result.non2xx === 0 && !result.exhausted && retainedMb < 8 && liveSlope < 2 && rssSlope < 10;
    const summary = `${result.requests} refreshes at ${Math.round(result.rps)} req/s (non-2xx ${result.non2xx}); live heap (after a forced GC) ${(before.heapUsed / MB).toFixed(1)} → ${(after.heapUsed / MB).toFixed(1)} MB, ${retainedPerRequest.toFixed(1)} bytes per request; trends after the first 10 s: live heap ${liveSlope.toFixed(2)} MB/min, RSS ${rssSlope.toFixed(1)} MB/min`;
    log(`memory: ${summary}`);
    const table =
      '| t (s) | RSS MB | heap used MB | heap total MB | external MB |\n|---|---|---|---|---|\n' +
      samples
        .filter((_, i) => i % Math.max(1, Math.floor(samples.length / 15)) === 0 || _ === samples.at(-1))
        .map((s) => `| ${s.t.toFixed(0)} | ${s.rss.toFixed(1)} | ${s.heapUsed.toFixed(1)} | ${s.heapTotal.toFixed(1)} | ${s.external.toFixed(1)} |`)
        .join('\n');
    const markdown = `grantry, ${alg}, ${storage === 'sqlite' ? 'SQLite (records on disk, so that what stays in the heap is grantry’s own)' : storage} storage, bare node:http, ${seconds} s of W2 after a warm-up. ${summary}. Verdict: **${steady ? 'steady' : 'NOT steady'}** (criteria: live heap grows < 8 MB in all and < 2 MB/min, RSS trend < 10 MB/min, no non-2xx).\n\nLive heap after forced GCs: ${live.map((p) => `${p.t.toFixed(0)} s ${p.heap.toFixed(1)} MB`).join(', ')}.\n\n${table}\n`;
    return { seconds, storage, alg, steady, summary, markdown, samples, live, before, after, result };
  } catch (error) {
    log(`memory run failed: ${error.message}`);
    return { seconds, storage, error: error.message };
  } finally {
    await server?.stop();
  }
}
