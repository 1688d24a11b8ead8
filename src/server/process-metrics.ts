import { readdirSync } from 'node:fs';
import { constants, monitorEventLoopDelay, performance, PerformanceObserver, type EventLoopUtilization, type IntervalHistogram } from 'node:perf_hooks';
import { msToSeconds } from '../tokens/time-units.js';

/** prom-client's buckets for `nodejs_gc_duration_seconds`. */
const GC_BUCKETS = [0.001, 0.01, 0.1, 1, 2, 5];
const GC_KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};

interface GcHistogram {
  buckets: number[];
  sum: number;
  count: number;
}

/**
 * The process's own metrics in the Prometheus text format, under prom-client's default names: CPU, memory,
 * event-loop delay and utilization, garbage collection pauses by kind, open file descriptors, active resources,
 * start time, uptime and the Node.js version. Event-loop delay percentiles and utilization cover the time since the
 * previous {@link ProcessMetrics.render} (prom-client resets them on each scrape too); everything else is cumulative
 * or current.
 *
 * @example
 * ```ts
 * const processMetrics = new ProcessMetrics();
 * const text = metrics.render() + processMetrics.render(); // one exposition, OAuth metrics first
 * processMetrics.close();
 * ```
 */
export class ProcessMetrics {
  readonly #delay: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });
  readonly #gc = new Map<string, GcHistogram>();
  readonly #observer: PerformanceObserver;
  #utilization: EventLoopUtilization = performance.eventLoopUtilization();

  constructor() {
    for (const kind of Object.values(GC_KINDS)) this.#gc.set(kind, { buckets: GC_BUCKETS.map(() => 0), sum: 0, count: 0 });
    this.#delay.enable();
    this.#observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        const kind = GC_KINDS[(entry as { detail?: { kind?: number } }).detail?.kind ?? -1] ?? 'unknown';
        let h = this.#gc.get(kind);
        if (!h) this.#gc.set(kind, (h = { buckets: GC_BUCKETS.map(() => 0), sum: 0, count: 0 }));
        const seconds = msToSeconds(entry.duration);
        GC_BUCKETS.forEach((le, i) => {
          if (seconds <= le) h.buckets[i]! += 1;
        });
        h.sum += seconds;
        h.count += 1;
      }
    });
    this.#observer.observe({ entryTypes: ['gc'] });
  }

  /** The exposition text of the process metrics (ends with a newline). */
  render(): string {
    const out: string[] = [];
    const one = (name: string, type: 'counter' | 'gauge', help: string, value: number, labels = ''): void => {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, `${name}${labels} ${value}`);
    };
    const cpu = process.cpuUsage();
    one('process_cpu_user_seconds_total', 'counter', 'User CPU time spent in seconds.', cpu.user / 1e6);
    one('process_cpu_system_seconds_total', 'counter', 'System CPU time spent in seconds.', cpu.system / 1e6);
    one('process_cpu_seconds_total', 'counter', 'Total user and system CPU time spent in seconds.', (cpu.user + cpu.system) / 1e6);
    one('process_start_time_seconds', 'gauge', 'Start time of the process since unix epoch in seconds.', Math.round(msToSeconds(performance.timeOrigin)));
    one('process_uptime_seconds', 'gauge', 'Seconds since the process started.', process.uptime());
    const memory = process.memoryUsage();
    one('process_resident_memory_bytes', 'gauge', 'Resident memory size in bytes.', memory.rss);
    one('nodejs_heap_size_total_bytes', 'gauge', 'Process heap size from Node.js in bytes.', memory.heapTotal);
    one('nodejs_heap_size_used_bytes', 'gauge', 'Process heap size used from Node.js in bytes.', memory.heapUsed);
    one('nodejs_external_memory_bytes', 'gauge', 'Node.js external memory size in bytes.', memory.external);
    const fds = openFileDescriptors();
    if (fds !== undefined) one('process_open_fds', 'gauge', 'Number of open file descriptors.', fds);

    // A histogram without samples reports NaN and huge percentiles: 0 until the first sample.
    const d = this.#delay;
    const delay = (ns: number): number => (d.count > 0 && Number.isFinite(ns) ? ns / 1e9 : 0);
    one('nodejs_eventloop_lag_mean_seconds', 'gauge', 'The mean of the recorded event loop delays since the previous scrape.', delay(d.mean));
    one('nodejs_eventloop_lag_p50_seconds', 'gauge', 'The 50th percentile of the recorded event loop delays since the previous scrape.', delay(d.percentile(50)));
    one('nodejs_eventloop_lag_p99_seconds', 'gauge', 'The 99th percentile of the recorded event loop delays since the previous scrape.', delay(d.percentile(99)));
    one('nodejs_eventloop_lag_max_seconds', 'gauge', 'The maximum recorded event loop delay since the previous scrape.', delay(d.max));
    d.reset();
    const utilization = performance.eventLoopUtilization(this.#utilization);
    this.#utilization = performance.eventLoopUtilization();
    one('nodejs_eventloop_utilization_ratio', 'gauge', 'Share of the time since the previous scrape that the event loop was busy (0..1).', finite(utilization.utilization));

    out.push('# HELP nodejs_gc_duration_seconds Garbage collection duration by kind, one of major, minor, incremental or weakcb.', '# TYPE nodejs_gc_duration_seconds histogram');
    for (const [kind, h] of this.#gc) {
      GC_BUCKETS.forEach((le, i) => out.push(`nodejs_gc_duration_seconds_bucket{kind="${kind}",le="${le}"} ${h.buckets[i]}`));
      out.push(`nodejs_gc_duration_seconds_bucket{kind="${kind}",le="+Inf"} ${h.count}`);
      out.push(`nodejs_gc_duration_seconds_sum{kind="${kind}"} ${h.sum}`, `nodejs_gc_duration_seconds_count{kind="${kind}"} ${h.count}`);
    }

    out.push('# HELP nodejs_active_resources Resources keeping the event loop alive, by type.', '# TYPE nodejs_active_resources gauge');
    const resources = new Map<string, number>();
    for (const type of process.getActiveResourcesInfo()) resources.set(type, (resources.get(type) ?? 0) + 1);
    for (const [type, n] of resources) out.push(`nodejs_active_resources{type="${escapeLabel(type)}"} ${n}`);

    const [major = '', minor = '', patch = ''] = process.versions.node.split('.');
    one('nodejs_version_info', 'gauge', 'Node.js version info.', 1, `{version="${escapeLabel(process.version)}",major="${escapeLabel(major)}",minor="${escapeLabel(minor)}",patch="${escapeLabel(patch)}"}`);
    return out.join('\n') + '\n';
  }

  /** Stops the event-loop delay monitor and the garbage collection observer. */
  close(): void {
    this.#delay.disable();
    this.#observer.disconnect();
  }
}

/** Open file descriptors on Linux (`/proc/self/fd`, less the one reading it); `undefined` elsewhere. */
function openFileDescriptors(): number | undefined {
  try {
    return readdirSync('/proc/self/fd').length - 1;
  } catch {
    return undefined;
  }
}

function finite(n: number): number {
  return Number.isFinite(n) ? n : 0;
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}
