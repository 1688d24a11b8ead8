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
  const max = LOG_LEVELS.indexOf(LOG_LEVELS.includes(level) ? level : 'info');
  return (line) => {
    const at = LOG_LEVELS.indexOf(line.level as LogLevel);
    if ((at === -1 ? LOG_LEVELS.indexOf('info') : at) <= max) sink(line);
  };
}
