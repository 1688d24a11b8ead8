import type { Database, Statement } from 'better-sqlite3';

/**
 * Prepared statements, each prepared once on first use (after `migrate()` has created the tables) and reused for
 * the life of the connection: no per-call parsing or schema work.
 *
 * @example
 * ```ts
 * const sql = new SqliteStatements(db);
 * sql.get('SELECT * FROM grantry_clients WHERE id = ?').get('app');
 * ```
 */
export class SqliteStatements {
  readonly #cache = new Map<string, Statement>();
  constructor(readonly db: Database) {}

  get(sql: string): Statement {
    let statement = this.#cache.get(sql);
    if (!statement) this.#cache.set(sql, (statement = this.db.prepare(sql)));
    return statement;
  }
}
