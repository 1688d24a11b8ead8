import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * The default bound of the write-ahead log file, in MiB ({@link SqliteCheckpointer}).
 *
 * @example
 * ```ts
 * const storage = openSqliteStorage({ filename: 'grantry.db', walLimitMiB: DEFAULT_WAL_LIMIT_MIB / 2 });
 * ```
 */
export const DEFAULT_WAL_LIMIT_MIB = 64;

// Runs in a worker thread with its own connection, so that the checkpoints' fsync happens off the event loop.
// PASSIVE checkpoints never block the server's writers, but under sustained writes they never catch up with the end
// of the log, so SQLite never restarts it and the file grows without bound (checkpoint starvation). Once the file
// passes a quarter of the limit, a TRUNCATE checkpoint briefly holds back new writers, copies the few frames the last
// PASSIVE left, and truncates the file to zero bytes.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { statSync } = require('node:fs');
const Database = require(workerData.driver);
const db = new Database(workerData.filename);
db.pragma('busy_timeout = ' + workerData.busyTimeoutMs);
db.pragma('journal_size_limit = ' + workerData.truncateAt);
const walSize = () => { try { return statSync(workerData.filename + '-wal').size; } catch { return 0; } };
const checkpoint = (mode) => { try { db.pragma('wal_checkpoint(' + mode + ')'); } catch {} };
const tick = () => {
  checkpoint('PASSIVE');
  if (walSize() >= workerData.truncateAt) checkpoint('TRUNCATE');
};
const timer = setInterval(tick, workerData.intervalMs);
parentPort.on('message', () => { clearInterval(timer); checkpoint('TRUNCATE'); db.close(); parentPort.close(); });
`;

/** Settings of {@link SqliteCheckpointer.start}. */
export interface CheckpointerOptions {
  /** The bound of the `-wal` file in MiB; a TRUNCATE checkpoint runs once it passes a quarter of it. */
  readonly walLimitMiB?: number;
  /** How often the worker checkpoints (default 250 ms). */
  readonly intervalMs?: number;
}

/**
 * Moves WAL checkpoints off the event loop and keeps the `-wal` file bounded: the server's connection stops
 * checkpointing itself (`wal_autocheckpoint = 0`) and a worker thread runs a PASSIVE checkpoint every `intervalMs`,
 * and a TRUNCATE checkpoint whenever the file has grown past a quarter of `walLimitMiB`. If the worker cannot start
 * or fails, the connection checkpoints itself again, as SQLite does by default (`journal_size_limit` then shrinks
 * the file each time the log restarts).
 *
 * @example
 * ```ts
 * const checkpointer = SqliteCheckpointer.start(db, 'grantry.db', { walLimitMiB: 64 });
 * await checkpointer?.stop();
 * ```
 */
export class SqliteCheckpointer {
  #exited: Promise<void>;

  private constructor(private readonly worker: Worker) {
    this.#exited = new Promise((resolve) => worker.once('exit', () => resolve()));
  }

  static start(db: { pragma(source: string): unknown }, filename: string, options: CheckpointerOptions = {}): SqliteCheckpointer | undefined {
    const truncateAt = walTruncateBytes(options.walLimitMiB);
    db.pragma(`journal_size_limit = ${truncateAt}`);
    const inline = (): unknown => db.pragma('wal_autocheckpoint = 1000');
    try {
      const driver = createRequire(import.meta.url).resolve('better-sqlite3');
      const workerData = { driver, filename, intervalMs: options.intervalMs ?? 250, truncateAt, busyTimeoutMs: 2000 };
      const worker = new Worker(WORKER, { eval: true, workerData });
      worker.on('error', inline);
      worker.unref();
      db.pragma('wal_autocheckpoint = 0');
      return new SqliteCheckpointer(worker);
    } catch {
      inline();
      return undefined;
    }
  }

  /** Runs a last checkpoint (which empties the `-wal` file) and ends the worker. */
  async stop(): Promise<void> {
    this.worker.postMessage('stop');
    const timeout = setTimeout(() => void this.worker.terminate(), 5000);
    await this.#exited;
    clearTimeout(timeout);
  }
}

/** The `-wal` size at which a TRUNCATE checkpoint runs: a quarter of the limit, so that the growth between two checks fits. */
export function walTruncateBytes(walLimitMiB: number = DEFAULT_WAL_LIMIT_MIB): number {
  if (!Number.isFinite(walLimitMiB) || walLimitMiB < 1) throw new TypeError('grantry: walLimitMiB must be at least 1');
  return Math.floor((walLimitMiB * 1024 * 1024) / 4);
}
