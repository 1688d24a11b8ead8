import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

// Runs in a worker thread with its own connection: PASSIVE checkpoints never block the server's writers, and the
// fsync they end with happens off the event loop.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.filename);
db.pragma('busy_timeout = 0');
const checkpoint = () => { try { db.pragma('wal_checkpoint(PASSIVE)'); } catch {} };
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', () => { clearInterval(timer); checkpoint(); db.close(); parentPort.close(); });
`;

/**
 * Moves WAL checkpoints off the event loop: the server's connection stops checkpointing itself
 * (`wal_autocheckpoint = 0`) and a worker thread checkpoints every `intervalMs`. If the worker cannot start or
 * fails, the connection checkpoints itself again, as SQLite does by default.
 *
 * @example
 * ```ts
 * const checkpointer = SqliteCheckpointer.start(db, 'grantry.db');
 * await checkpointer?.stop();
 * ```
 */
export class SqliteCheckpointer {
  #exited: Promise<void>;

  private constructor(private readonly worker: Worker) {
    this.#exited = new Promise((resolve) => worker.once('exit', () => resolve()));
  }

  static start(db: { pragma(source: string): unknown }, filename: string, intervalMs = 250): SqliteCheckpointer | undefined {
    const inline = (): unknown => db.pragma('wal_autocheckpoint = 1000');
    try {
      const driver = createRequire(import.meta.url).resolve('better-sqlite3');
      const worker = new Worker(WORKER, { eval: true, workerData: { driver, filename, intervalMs } });
      worker.on('error', inline);
      worker.unref();
      db.pragma('wal_autocheckpoint = 0');
      return new SqliteCheckpointer(worker);
    } catch {
      inline();
      return undefined;
    }
  }

  /** Runs a last checkpoint and ends the worker. */
  async stop(): Promise<void> {
    this.worker.postMessage('stop');
    const timeout = setTimeout(() => void this.worker.terminate(), 5000);
    await this.#exited;
    clearTimeout(timeout);
  }
}
