import type { Pool, PoolClient, QueryResultRow } from 'pg';
import type { Row, SqlValue } from '../sql/rows.js';
import { StorageUnavailableError, toStorageError } from '../storage-unavailable.js';

/** A statement parameter: a value, or a text array (`$1::text[]`). */
export type SqlParam = SqlValue | readonly string[];

/**
 * Runs SQL as named prepared statements: each distinct statement is parsed once per connection and then only
 * bound and executed, one round trip per call.
 *
 * @example
 * ```ts
 * const sql = new PostgresQueries(pool);
 * const rows = await sql.rows('SELECT * FROM grantry_clients WHERE id = $1', ['app']);
 * ```
 */
export class PostgresQueries {
  readonly #names = new Map<string, string>();
  constructor(readonly pool: Pool) {}

  #name(text: string): string {
    let name = this.#names.get(text);
    if (!name) this.#names.set(text, (name = `grantry_${this.#names.size + 1}`));
    return name;
  }

  /**
   * The rows of a statement, on the pool or on a transaction's client. PostgreSQL text cannot hold a NUL byte, so
   * no row can match a key that has one: such a lookup (a client's input) answers no rows instead of a query error.
   */
  async rows(text: string, values: readonly SqlParam[] = [], on: Pool | PoolClient = this.pool): Promise<Row[]> {
    if (values.some(hasNul)) return [];
    const result = await on.query<QueryResultRow>({ name: this.#name(text), text, values: values as unknown[] }).catch(unavailable);
    return result.rows;
  }

  /** The first row, if any. */
  async row(text: string, values: readonly SqlParam[] = [], on?: Pool | PoolClient): Promise<Row | undefined> {
    return (await this.rows(text, values, on))[0];
  }

  /** The number of rows a statement changed. */
  async count(text: string, values: readonly SqlParam[] = [], on: Pool | PoolClient = this.pool): Promise<number> {
    const result = await on.query({ name: this.#name(text), text, values: values as unknown[] }).catch(unavailable);
    return result.rowCount ?? 0;
  }

  /** Runs `fn` in a transaction on one connection; rolls back if it throws. */
  async transaction<T>(fn: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect().catch(unavailable);
    let failure: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      const wrapped = toStorageError(error);
      // A connection that failed (reset, timed out) leaves the pool instead of serving the next request.
      if (wrapped instanceof StorageUnavailableError) failure = wrapped;
      else await client.query('ROLLBACK').catch((rollback: unknown) => (failure = rollback as Error));
      throw wrapped;
    } finally {
      client.release(failure);
    }
  }
}

/** Whether a parameter holds a NUL byte, which PostgreSQL text cannot. */
export function hasNul(value: SqlParam): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  return Array.isArray(value) && (value as readonly string[]).some((v) => v.includes('\u0000'));
}

/** Whether an error is PostgreSQL's unique violation (SQLSTATE 23505). */
export const isUniqueViolation = (e: unknown): boolean => typeof e === 'object' && e !== null && 'code' in e && e.code === '23505';

/** Rethrows a driver error, as a `StorageUnavailableError` when it means the database cannot serve now. */
const unavailable = (error: unknown): never => {
  throw toStorageError(error);
};
