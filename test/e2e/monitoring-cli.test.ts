import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePrometheusText } from '../support/prometheus-text.js';
import { createTestStore, startGrantry, type GrantryProcess, type TestStore } from './support/grantry-process.js';

describe('grantry serve --log-level debug --metrics-port 0', () => {
  let store: TestStore;
  let server: GrantryProcess;

  beforeAll(async () => {
    store = await createTestStore();
    server = await startGrantry(store, ['--log-level', 'debug', '--metrics-port', '0']);
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    await store?.dispose();
  });

  it('names the metrics port in the listening line, serves /metrics there only, and writes probe lines at debug', async () => {
    const listening = server.logs.find((l) => l.msg === 'listening');
    const metricsPort = listening?.metrics_port;
    expect(metricsPort).toEqual(expect.any(Number));
    expect(metricsPort).not.toBe(listening?.port);

    expect((await fetch(`${server.issuer}/metrics`)).status).toBe(404);
    const scraped = await fetch(`http://127.0.0.1:${String(metricsPort)}/metrics`);
    expect(scraped.status).toBe(200);
    const families = parsePrometheusText(await scraped.text());
    expect(families.get('process_resident_memory_bytes')?.samples[0]?.value).toBeGreaterThan(0);
    expect(families.get('grantry_http_requests_total')?.samples.some((s) => s.labels.route === 'unknown' && s.labels.status === '404')).toBe(true);

    const live = await fetch(`${server.issuer}/livez`, { headers: { 'x-request-id': 'probe-1' } });
    expect(live.status).toBe(200);
    let line: Record<string, unknown> | undefined;
    for (let i = 0; i < 100 && !line; i++) {
      line = server.logs.find((l) => l.msg === 'request' && l.request_id === 'probe-1');
      if (!line) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(line).toMatchObject({ level: 'debug', route: '/livez', status: 200 });
  }, 30_000);
});
