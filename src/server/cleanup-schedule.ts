import { removeExpired } from './remove-expired.js';
import type { LogSink } from './node-listener.js';
import type { ServerStore } from './server-store.js';
import { secondsToMs } from '../tokens/time-units.js';

/**
 * Settings of {@link scheduleCleanup}.
 *
 * @example
 * ```ts
 * const options: CleanupScheduleOptions = { intervalSeconds: 300, rateLimitWindowSeconds: 300, log: undefined };
 * ```
 */
export interface CleanupScheduleOptions {
  /** Seconds between the end of one run and the start of the next (`--cleanup-interval`). */
  readonly intervalSeconds: number;
  readonly rateLimitWindowSeconds: number;
  /** Where a run that removed something, or failed, is reported. */
  readonly log: LogSink | undefined;
  /** The current time in ms (default `Date.now`). */
  readonly now?: () => number;
}

/**
 * A running clean-up schedule.
 *
 * @example
 * ```ts
 * const schedule: CleanupSchedule = scheduleCleanup(store, options);
 * await schedule.stop();
 * ```
 */
export interface CleanupSchedule {
  /** Ends the schedule; resolves once a run in progress has stopped at its next batch. */
  stop(): Promise<void>;
}

/** The first run starts this soon after start-up (or after one interval, if that is shorter). */
const FIRST_RUN_MS = 10_000;

/**
 * Removes expired records continuously while the server runs: a first run 10 seconds after start-up (sooner when
 * the interval is shorter), then one run every `intervalSeconds` after the previous one ended. Each run is
 * {@link removeExpired}: small batches, yielding to the event loop between them. A failed run (the database is
 * unavailable) is logged and retried at the next interval.
 *
 * @example
 * ```ts
 * const schedule = scheduleCleanup(store, { intervalSeconds: config.cleanupInterval, rateLimitWindowSeconds: config.rateLimitWindow, log });
 * process.once('SIGTERM', () => void schedule.stop());
 * ```
 */
export function scheduleCleanup(store: ServerStore, options: CleanupScheduleOptions): CleanupSchedule {
  const intervalMs = secondsToMs(Math.max(1, options.intervalSeconds));
  let stopped = false;
  let running: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  const run = async (): Promise<void> => {
    try {
      const removed = await removeExpired(store, {
        rateLimitWindowSeconds: options.rateLimitWindowSeconds,
        shouldStop: () => stopped,
        ...(options.now ? { now: options.now } : {}),
      });
      if (Object.values(removed).some((n) => n > 0)) options.log?.({ level: 'info', msg: 'expired records removed', ...removed });
    } catch (error) {
      options.log?.({ level: 'error', msg: 'removing expired records failed; retrying at the next interval', error: (error as Error).message });
    }
  };
  const schedule = (delayMs: number): void => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = run().then(() => schedule(intervalMs));
    }, delayMs);
    timer.unref();
  };
  schedule(Math.min(FIRST_RUN_MS, intervalMs));
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
