import type { Database, Statement } from 'better-sqlite3';

interface PendingWork {
  readonly work: () => unknown;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Prepared statements, each prepared once on first use (after `migrate()` has created the tables) and reused for
 * the life of the connection: no per-call parsing or schema work.
 *
 * Work that writes (saves, revocations, consumes) goes through {@link batch}: everything queued in one turn of the
 * event loop commits in one transaction, and every promise settles only after that commit. Each piece of work
 * writes with one statement, so a failing piece leaves nothing behind and fails alone. Concurrent token requests thus share one WAL commit instead of paying one each. The transaction is
 * `BEGIN IMMEDIATE`: it takes the write lock first (waiting up to the busy timeout for another process), so it
 * never fails half-way on a stale snapshot.
 *
 * @example
 * ```ts
 * const sql = new SqliteStatements(db);
 * sql.get('SELECT * FROM grantry_clients WHERE id = ?').get('app');
 * await sql.write('UPDATE grantry_access_tokens SET revoked = 1 WHERE id = ?', [jti]);
 * ```
 */
export class SqliteStatements {
  readonly #cache = new Map<string, Statement>();
  #pending: PendingWork[] = [];
  /** `afterCommit` runs after each committed batch (the WAL bound's backstop, see `SqliteCheckpointer`). */
  constructor(
    readonly db: Database,
    private readonly afterCommit: () => void = () => undefined,
  ) {}

  get(sql: string): Statement {
    let statement = this.#cache.get(sql);
    if (!statement) this.#cache.set(sql, (statement = this.db.prepare(sql)));
    return statement;
  }

  /** Runs a write statement in this turn's transaction; resolves once it is committed. */
  write(sql: string, params: readonly unknown[]): Promise<void> {
    const statement = this.get(sql);
    return this.batch(() => void statement.run(...params));
  }

  /** Runs `work` (synchronous statements) in this turn's transaction; resolves with its result once committed. */
  batch<T>(work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const pending: PendingWork = { work, resolve: resolve as (value: unknown) => void, reject };
      if (this.#pending.push(pending) === 1) setImmediate(() => this.#flush());
    });
  }

  #flush(): void {
    const batch = this.#pending;
    this.#pending = [];
    if (batch.length === 1) {
      const [only] = batch as [PendingWork];
      let result: unknown;
      try {
        result = this.db.transaction(only.work).immediate();
      } catch (error) {
        return only.reject(error);
      }
      this.afterCommit();
      return only.resolve(result);
    }
    const outcomes: { ok: boolean; value: unknown }[] = [];
    try {
      this.db.transaction(() => {
        for (const p of batch) {
          try {
            outcomes.push({ ok: true, value: p.work() });
          } catch (error) {
            // A failed statement is undone alone (SQLite statements are atomic); an error that ended the
            // transaction itself fails the whole batch.
            if (!this.db.inTransaction) throw error;
            outcomes.push({ ok: false, value: error });
          }
        }
      }).immediate();
    } catch (error) {
      for (const p of batch) p.reject(error);
      return;
    }
    this.afterCommit();
    batch.forEach((p, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) p.resolve(outcome.value);
      else p.reject(outcome.value);
    });
  }
}
