import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type RawSettings } from '../../src/server/config.js';
import { createClient } from '../../src/server/server-store.js';
import { startServer, type StartedServer } from '../../src/server/start-server.js';
import { basic } from '../support/fixtures.js';
import { parsePrometheusText, type Family } from '../support/prometheus-text.js';

const TOKEN = 'metrics-token-0123456789abcdef';

interface Running {
  server: StartedServer;
  logs: Record<string, unknown>[];
  authorization: string;
}

describe('the ready server for operators: process metrics, /metrics placement and token, log level', () => {
  // One data directory (one generated key set) for every server of this file; a database file each.
  let dataDir: string;
  const started: StartedServer[] = [];

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'grantry-monitoring-'));
  });
  afterAll(async () => {
    for (const server of started) await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function start(name: string, flags: RawSettings, env: Record<string, string> = {}): Promise<Running> {
    const config = loadConfig({ port: '0', host: '127.0.0.1', 'data-dir': dataDir, database: join(dataDir, `${name}.db`), grants: 'client_credentials', ...flags }, env);
    const logs: Record<string, unknown>[] = [];
    const server = await startServer(config, { log: (line) => logs.push(line) });
    started.push(server);
    const { client, secret } = await createClient(server.store, { name: 'svc', grantTypes: ['client_credentials'], scopes: [], redirectUris: [], public: false });
    return { server, logs, authorization: basic(client.id, secret!) };
  }

  const token = (r: Running, authorization = r.authorization) =>
    fetch(`${r.server.issuer}/token`, { method: 'POST', headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' });

  /** Waits until the server has counted `n` requests: it writes a request's log line in the same step as it counts it. */
  async function counted(r: Running, n: number): Promise<void> {
    for (let i = 0; i < 200; i++) {
      const total = [...r.server.app.metrics.render().matchAll(/^grantry_http_requests_total\{[^}]*\} (\d+)$/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
      if (total >= n) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`fewer than ${n} requests were counted`);
  }

  const value = (family: Family | undefined, labels: Record<string, string> = {}): number => {
    const sample = family?.samples.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v));
    if (!sample) throw new Error(`no sample of ${family?.name} with ${JSON.stringify(labels)}`);
    return sample.value;
  };

  it('serves the OAuth and the process metrics over HTTP as one exposition that parses strictly', async () => {
    const r = await start('metrics', {});
    expect((await token(r)).status).toBe(200);
    expect((await token(r, basic('nobody', 'wrong'))).status).toBe(401);
    // A busy event loop and some garbage, so that delay, utilization and collections have something to show.
    const collections = async (): Promise<number> => {
      const text = await r.server.app.scrape(new Request('http://127.0.0.1/metrics')).text();
      return [...text.matchAll(/^nodejs_gc_duration_seconds_count\{[^}]*\} (\d+)$/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
    };
    for (let i = 0; i < 50 && (await collections()) === 0; i++) {
      const garbage = Array.from({ length: 50_000 }, (_, n) => ({ n, s: String(n) }));
      expect(garbage.length).toBe(50_000);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // The scrapes above reset the delay: block the loop again for this one.
    const spinUntil = performance.now() + 100;
    while (performance.now() < spinUntil) JSON.stringify({ spin: Math.random() });
    await new Promise((resolve) => setTimeout(resolve, 30));

    const response = await fetch(`${r.server.issuer}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const families = parsePrometheusText(await response.text());

    // The OAuth metrics are still there.
    expect(value(families.get('grantry_http_requests_total'), { route: '/token', method: 'POST', status: '200' })).toBe(1);
    expect(value(families.get('grantry_access_tokens_issued_total'), { grant_type: 'client_credentials' })).toBe(1);
    expect(value(families.get('grantry_client_authentication_failures_total'))).toBe(1);
    expect(families.get('grantry_http_request_duration_seconds')?.type).toBe('histogram');

    // The process metrics, under prom-client's names.
    for (const name of ['process_cpu_user_seconds_total', 'process_cpu_system_seconds_total', 'process_cpu_seconds_total']) expect(families.get(name)?.type).toBe('counter');
    expect(value(families.get('process_cpu_user_seconds_total'))).toBeGreaterThan(0);
    const now = Date.now() / 1000;
    expect(value(families.get('process_start_time_seconds'))).toBeLessThanOrEqual(now);
    expect(value(families.get('process_start_time_seconds'))).toBeGreaterThan(now - 24 * 3600);
    expect(value(families.get('process_uptime_seconds'))).toBeGreaterThan(0);
    expect(value(families.get('process_resident_memory_bytes'))).toBeGreaterThan(1024 * 1024);
    const heapUsed = value(families.get('nodejs_heap_size_used_bytes'));
    expect(heapUsed).toBeGreaterThan(0);
    expect(heapUsed).toBeLessThanOrEqual(value(families.get('nodejs_heap_size_total_bytes')));
    expect(value(families.get('nodejs_external_memory_bytes'))).toBeGreaterThan(0);
    if (process.platform === 'linux') expect(value(families.get('process_open_fds'))).toBeGreaterThan(2);
    const p50 = value(families.get('nodejs_eventloop_lag_p50_seconds'));
    const p99 = value(families.get('nodejs_eventloop_lag_p99_seconds'));
    const max = value(families.get('nodejs_eventloop_lag_max_seconds'));
    expect(p50).toBeGreaterThan(0);
    expect(p99).toBeGreaterThanOrEqual(p50);
    expect(max).toBeGreaterThanOrEqual(p99);
    const utilization = value(families.get('nodejs_eventloop_utilization_ratio'));
    expect(utilization).toBeGreaterThan(0);
    expect(utilization).toBeLessThanOrEqual(1);
    const gc = families.get('nodejs_gc_duration_seconds');
    expect(gc?.type).toBe('histogram');
    expect(new Set(gc!.samples.map((s) => s.labels.kind))).toEqual(new Set(['minor', 'major', 'incremental', 'weakcb']));
    expect(gc!.samples.filter((s) => s.name === 'nodejs_gc_duration_seconds_count').reduce((sum, s) => sum + s.value, 0)).toBeGreaterThan(0);
    expect(families.get('nodejs_active_resources')?.samples.some((s) => s.labels.type === 'TCPServerWrap' && s.value >= 1)).toBe(true);
    expect(value(families.get('nodejs_version_info'), { version: process.version })).toBe(1);
  }, 30_000);

  it.each([
    ['no trailing newline', '# TYPE a gauge\na 1'],
    ['a sample without TYPE', 'a 1\n'],
    ['a counter not named *_total', '# TYPE a counter\na 1\n'],
    ['two TYPE lines for one family', '# TYPE a gauge\na 1\n# TYPE a gauge\n'],
    ['interleaved families', '# TYPE a gauge\n# TYPE b gauge\na 1\n'],
    ['a bad HELP escape', '# HELP a x\\ty\n# TYPE a gauge\na 1\n'],
    ['a bad label escape', '# TYPE a gauge\na{x="\\t"} 1\n'],
    ['an unquoted label value', '# TYPE a gauge\na{x=1} 1\n'],
    ['a bad value', '# TYPE a gauge\na one\n'],
    ['a bad metric name', '# TYPE 1a gauge\n1a 1\n'],
    ['a repeated series', '# TYPE a gauge\na{x="1"} 1\na{x="1"} 2\n'],
    ['a histogram without +Inf', '# TYPE h histogram\nh_bucket{le="1"} 1\nh_sum 1\nh_count 1\n'],
  ])('the test parser rejects %s', (_what, text) => {
    expect(() => parsePrometheusText(text)).toThrow();
  });

  it('the test parser reads label escapes and special values', () => {
    const families = parsePrometheusText('# HELP a A \\\\ help\\n.\n# TYPE a gauge\na{x="q\\"b\\\\n\\n",y=""} -Inf\n# TYPE b_total counter\nb_total 1.5e3 1700000000000\n');
    expect(families.get('a')?.samples[0]).toEqual({ name: 'a', labels: { x: 'q"b\\n\n', y: '' }, value: -Infinity });
    expect(families.get('b_total')?.samples[0]?.value).toBe(1500);
  });

  it('requires the metrics token when one is set: 401 with a Bearer challenge without it or with a wrong one, 200 with it', async () => {
    const r = await start('token', {}, { GRANTRY_METRICS_TOKEN: TOKEN });
    const url = `${r.server.issuer}/metrics`;
    const missing = await fetch(url);
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="metrics"');
    expect(missing.headers.get('cache-control')).toBe('no-store');
    expect(await missing.json()).toMatchObject({ error: 'invalid_token' });
    const wrong = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}x` } });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toBe('Bearer realm="metrics", error="invalid_token"');
    expect((await fetch(url, { headers: { authorization: `Basic ${TOKEN}` } })).status).toBe(401);
    const right = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(right.status).toBe(200);
    expect(parsePrometheusText(await right.text()).has('process_resident_memory_bytes')).toBe(true);
    // Only /metrics is protected: the probes stay open.
    expect((await fetch(`${r.server.issuer}/livez`)).status).toBe(200);
  });

  it('serves /metrics on --metrics-port only (404 on the main port), behind the token from --metrics-token-file', async () => {
    const file = join(dataDir, 'metrics-token');
    writeFileSync(file, `${TOKEN}\n`, { mode: 0o600 });
    const r = await start('port', { 'metrics-port': '0', 'metrics-token-file': file });
    expect(r.server.metricsPort).toBeGreaterThan(0);
    expect(r.server.metricsPort).not.toBe(r.server.port);
    expect((await fetch(`${r.server.issuer}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(404);
    const metricsUrl = `http://127.0.0.1:${r.server.metricsPort}/metrics`;
    expect((await fetch(metricsUrl)).status).toBe(401);
    const scraped = await fetch(metricsUrl, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(scraped.status).toBe(200);
    expect(scraped.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const families = parsePrometheusText(await scraped.text());
    expect(families.has('nodejs_heap_size_used_bytes')).toBe(true);
    expect(families.has('grantry_http_requests_total')).toBe(true);
    // The metrics listener serves nothing else.
    expect((await fetch(`http://127.0.0.1:${r.server.metricsPort}/token`, { method: 'POST' })).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${r.server.metricsPort}/livez`)).status).toBe(404);

    // A metrics port in use stops the start with a message naming it.
    await expect(start('port-in-use', { 'metrics-port': String(r.server.port) })).rejects.toThrow(`--metrics-port ${r.server.port} on 127.0.0.1 is in use`);
  });

  it.each([
    ['a short token', { GRANTRY_METRICS_TOKEN: 'short' }, {}, /GRANTRY_METRICS_TOKEN: the metrics token must be at least 16/],
    ['a token with spaces', { GRANTRY_METRICS_TOKEN: 'a token with spaces in it' }, {}, /at least 16 characters of/],
    ['an unreadable token file', {}, { 'metrics-token-file': '/nonexistent/token' }, /--metrics-token-file: cannot read \/nonexistent\/token/],
    ['the main port as the metrics port', {}, { port: '9000', 'metrics-port': '9000' }, /--metrics-port must .* differ from --port/],
    ['an unknown log level', {}, { 'log-level': 'verbose' }, /--log-level must be one of error, warn, info, debug, got verbose/],
  ])('refuses %s at start-up with a message naming it', (_what, env, flags, message) => {
    expect(() => loadConfig({ 'data-dir': dataDir, ...flags }, env)).toThrow(message);
  });

  /** The same traffic for every level: a token, a failed client authentication (a security warning), a probe. */
  async function traffic(r: Running): Promise<void> {
    expect((await token(r)).status).toBe(200);
    expect((await token(r, basic('nobody', 'wrong'))).status).toBe(401);
    expect((await fetch(`${r.server.issuer}/livez`)).status).toBe(200);
    expect((await fetch(`${r.server.issuer}/readyz`)).status).toBe(200);
    await counted(r, 4);
  }
  const requestLines = (r: Running) => r.logs.filter((l) => l.msg === 'request');

  it('logs requests at info, probes at debug only, security events at warn; error shows none of them', async () => {
    const info = await start('log-info', {});
    await traffic(info);
    expect(requestLines(info).map((l) => l.route)).toEqual(['/token', '/token']);
    expect(requestLines(info).every((l) => l.level === 'info')).toBe(true);
    expect(info.logs.some((l) => l.level === 'warn' && l.msg === 'security' && l.event === 'client_authentication_failed')).toBe(true);
    expect(info.logs.some((l) => l.level === 'debug')).toBe(false);

    const debug = await start('log-debug', { 'log-level': 'debug' });
    await traffic(debug);
    expect(requestLines(debug).map((l) => `${String(l.route)} ${String(l.level)}`).sort()).toEqual(['/livez debug', '/readyz debug', '/token info', '/token info']);

    const warn = await start('log-warn', {}, { GRANTRY_LOG_LEVEL: 'warn' });
    await traffic(warn);
    expect(requestLines(warn)).toEqual([]);
    expect(warn.logs.some((l) => l.level === 'warn' && l.event === 'client_authentication_failed')).toBe(true);

    const error = await start('log-error', { 'log-level': 'error' });
    await traffic(error);
    expect(requestLines(error)).toEqual([]);
    expect(error.logs.filter((l) => l.level !== 'error')).toEqual([]);
  }, 30_000);
});
