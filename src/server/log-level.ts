import type { LogSink } from './node-listener.js';

/**
 * The log levels of the ready server, most severe first.
 *
 * @example
 * ```ts
 * LOG_LEVELS.includes(config.logLevel); // true: loadConfig accepts nothing else
 * ```
 */
export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;

/**
 * The lowest severity a log sink passes on (`--log-level`).
 *
 * @example
 * ```ts
 * const level: LogLevel = 'warn'; // errors and warnings only
 * ```
 */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Whether a value is one of {@link LOG_LEVELS}. */
export function isLogLevel(value: unknown): value is LogLevel {
  return LOG_LEVELS.some((level) => level === value);
}

/**
 * A sink that passes on the lines at `level` or more severe and drops the others. A line without a known `level`
 * counts as `info`, and so does an unknown `level` argument (a configuration built by hand without `logLevel`).
 *
 * @example
 * ```ts
 * const log = filterLog('warn', (line) => process.stdout.write(JSON.stringify(line) + '\n'));
 * log({ level: 'info', msg: 'request' }); // dropped
 * log({ level: 'error', msg: 'removing expired records failed' }); // written
 * ```
 */
export function filterLog(level: LogLevel, sink: LogSink): LogSink {
  const max = LOG_LEVELS.indexOf(isLogLevel(level) ? level : 'info');
  return (line) => {
    if (LOG_LEVELS.indexOf(isLogLevel(line.level) ? line.level : 'info') <= max) sink(line);
  };
}
