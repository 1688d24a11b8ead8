const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/**
 * Counters and a latency histogram in the Prometheus text exposition format (version 0.0.4).
 *
 * @example
 * ```ts
 * const metrics = new Metrics();
 * metrics.observeRequest('token', 'POST', 200, 0.004);
 * new Response(metrics.render(), { headers: { 'content-type': Metrics.contentType } });
 * ```
 */
export class Metrics {
  static readonly contentType = 'text/plain; version=0.0.4; charset=utf-8';
  readonly #requests = new Map<string, number>();
  readonly #durations = new Map<string, { buckets: number[]; sum: number; count: number }>();
  readonly #counters = new Map<string, { help: string; values: Map<string, number> }>();
  inFlight = 0;

  /** Counts a finished request and its latency in seconds. */
  observeRequest(route: string, method: string, status: number, seconds: number): void {
    const key = labels({ route, method, status: String(status) });
    this.#requests.set(key, (this.#requests.get(key) ?? 0) + 1);
    const routeKey = labels({ route });
    let h = this.#durations.get(routeKey);
    if (!h) this.#durations.set(routeKey, (h = { buckets: BUCKETS.map(() => 0), sum: 0, count: 0 }));
    BUCKETS.forEach((le, i) => {
      if (seconds <= le) h.buckets[i]! += 1;
    });
    h.sum += seconds;
    h.count += 1;
  }

  /** Adds one to a named counter (created on first use). */
  increment(name: string, help: string, labelValues: Record<string, string> = {}): void {
    let counter = this.#counters.get(name);
    if (!counter) this.#counters.set(name, (counter = { help, values: new Map() }));
    const key = labels(labelValues);
    counter.values.set(key, (counter.values.get(key) ?? 0) + 1);
  }

  /** The exposition text. */
  render(): string {
    const lines = ['# HELP grantry_http_requests_total HTTP requests by route, method and status.', '# TYPE grantry_http_requests_total counter'];
    for (const [key, n] of this.#requests) lines.push(`grantry_http_requests_total${key} ${n}`);
    lines.push('# HELP grantry_http_request_duration_seconds Request latency by route.', '# TYPE grantry_http_request_duration_seconds histogram');
    for (const [key, h] of this.#durations) {
      const inner = key.slice(1, -1);
      BUCKETS.forEach((le, i) => lines.push(`grantry_http_request_duration_seconds_bucket{${inner},le="${le}"} ${h.buckets[i]}`));
      lines.push(`grantry_http_request_duration_seconds_bucket{${inner},le="+Inf"} ${h.count}`);
      lines.push(`grantry_http_request_duration_seconds_sum${key} ${h.sum}`, `grantry_http_request_duration_seconds_count${key} ${h.count}`);
    }
    lines.push('# HELP grantry_http_requests_in_flight Requests being served.', '# TYPE grantry_http_requests_in_flight gauge', `grantry_http_requests_in_flight ${this.inFlight}`);
    for (const [name, c] of this.#counters) {
      lines.push(`# HELP ${name} ${c.help}`, `# TYPE ${name} counter`);
      for (const [key, n] of c.values) lines.push(`${name}${key} ${n}`);
    }
    return lines.join('\n') + '\n';
  }
}

function labels(values: Record<string, string>): string {
  const parts = Object.entries(values).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}
