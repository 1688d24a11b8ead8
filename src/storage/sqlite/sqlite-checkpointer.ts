import { statSync } from 'node:fs';
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
// of the log, so SQLite never restarts it and the file grows without bound (checkpoint starvation). The file's size
// is checked every 25 ms (a stat call); once it passes a quarter of the limit, a TRUNCATE checkpoint copies the few
// frames the last PASSIVE left and truncates the file to zero bytes. It needs the write lock, which the server's
// back-to-back write transactions may never leave free long enough for another thread to take: then the worker
// asks the server's connection to run that TRUNCATE itself, between two of its transactions.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { statSync } = require('node:fs');
const Database = require(workerData.driver);
const db = new Database(workerData.filename);
db.pragma('busy_timeout = 0');
db.pragma('journal_size_limit = ' + workerData.truncateAt);
const walSize = () => { try { return statSync(workerData.filename + '-wal').size; } catch { return 0; } };
const checkpoint = (mode) => { try { db.pragma('wal_checkpoint(' + mode + ')'); } catch {} };
let last = Date.now();
const tick = () => {
  if (Date.now() - last >= workerData.intervalMs) {
    last = Date.now();
    checkpoint('PASSIVE');
  }
  if (walSize() < workerData.truncateAt) return;
  checkpoint('TRUNCATE');
  if (walSize() >= workerData.truncateAt) parentPort.postMessage('truncate');
};
const timer = setInterval(tick, Math.min(25, workerData.intervalMs));
parentPort.on('message', () => {
  clearInterval(timer);
  db.pragma('busy_timeout = 2000');
  checkpoint('TRUNCATE');
  db.close();
  parentPort.close();
});
`;

/** The parts of a better-sqlite3 connection the checkpointer uses. */
export interface CheckpointedDatabase {
  pragma(source: string): unknown;
  readonly open: boolean;
  readonly inTransaction: boolean;
}

/** Settings of {@link SqliteCheckpointer.start}. */
export interface CheckpointerOptions {
  /** The bound of the `-wal` file in MiB; a TRUNCATE checkpoint runs once it passes a quarter of it. */
  readonly walLimitMiB?: number;
  /** How often the worker runs a PASSIVE checkpoint (default 250 ms); the file's size is checked every 25 ms. */
  readonly intervalMs?: number;
}

/**
 * Moves WAL checkpoints off the event loop and keeps the `-wal` file bounded: the server's connection stops
 * checkpointing itself (`wal_autocheckpoint = 0`) and a worker thread runs a PASSIVE checkpoint every `intervalMs`,
 * and a TRUNCATE checkpoint as soon as the file has grown past a quarter of `walLimitMiB`. If the worker cannot start
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

  private constructor(
    private readonly worker: Worker,
    private readonly db: CheckpointedDatabase,
    private readonly walFile: string,
    private readonly hardBytes: number,
  ) {
    this.#exited = new Promise((resolve) => worker.once('exit', () => resolve()));
  }

  /**
   * The backstop, run by the server's connection right after each of its commits: when the worker has been starved
   * (a busy machine) and the file has reached half the bound, the connection truncates it itself before writing
   * more, so the bound holds whatever the worker's timing. One `stat` per committed batch.
   */
  afterCommit(): void {
    let size: number;
    try {
      size = statSync(this.walFile).size;
    } catch {
      return;
    }
    if (size < this.hardBytes || !this.db.open || this.db.inTransaction) return;
    try {
      this.db.pragma('wal_checkpoint(TRUNCATE)');
    } catch {
      // another process's reader holds the log: the worker and the next commit try again
    }
  }

  static start(db: CheckpointedDatabase, filename: string, options: CheckpointerOptions = {}): SqliteCheckpointer | undefined {
    const truncateAt = walTruncateBytes(options.walLimitMiB);
    db.pragma(`journal_size_limit = ${truncateAt}`);
    const inline = (): unknown => db.pragma('wal_autocheckpoint = 1000');
    try {
      const driver = createRequire(import.meta.url).resolve('better-sqlite3');
      const workerData = { driver, filename, intervalMs: options.intervalMs ?? 250, truncateAt };
      const worker = new Worker(WORKER, { eval: true, workerData });
      worker.on('error', inline);
      let asked = false;
      worker.on('message', () => {
        if (asked) return;
        asked = true;
        // Between two of this connection's transactions: the write lock is free for it.
        setImmediate(() => {
          asked = false;
          try {
            if (db.open && !db.inTransaction) db.pragma('wal_checkpoint(TRUNCATE)');
          } catch {
            // busy with another process's reader: the worker asks again on its next check
          }
        });
      });
      worker.unref();
      db.pragma('wal_autocheckpoint = 0');
      return new SqliteCheckpointer(worker, db, `${filename}-wal`, 2 * truncateAt);
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
