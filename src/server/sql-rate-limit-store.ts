import type Database from 'better-sqlite3';
import type { Pool } from 'pg';
import type { RateLimitStore } from './rate-limiter.js';

const TABLE = 'grantry_server_rate_limit_failures';

/**
 * The limiter's failures in a SQLite table of the server's own database file (one machine, several processes).
 *
 * @example
 * ```ts
 * const store = SqliteRateLimitStore.open(new Database('./data/grantry.db'));
 * ```
 */
export class SqliteRateLimitStore implements RateLimitStore {
  private constructor(private readonly db: Database.Database) {}

  /** Creates the table if needed (idempotent) and returns the store. */
  static open(db: Database.Database): SqliteRateLimitStore {
    db.exec(`CREATE TABLE IF NOT EXISTS ${TABLE} (key TEXT NOT NULL, at INTEGER NOT NULL);
             CREATE INDEX IF NOT EXISTS ${TABLE}_key_at ON ${TABLE} (key, at);
             CREATE INDEX IF NOT EXISTS ${TABLE}_at ON ${TABLE} (at);`);
    return new SqliteRateLimitStore(db);
  }

  async record(keys: readonly string[], now: number): Promise<void> {
    const insert = this.db.prepare(`INSERT INTO ${TABLE} (key, at) VALUES (?, ?)`);
    this.db.transaction(() => keys.forEach((key) => insert.run(key, now)))();
  }

  async count(keys: readonly string[], since: number): Promise<Map<string, { count: number; oldest: number }>> {
    const select = this.db.prepare(`SELECT COUNT(*) AS n, MIN(at) AS oldest FROM ${TABLE} WHERE key = ? AND at > ?`);
    const out = new Map<string, { count: number; oldest: number }>();
    for (const key of keys) {
      const row = select.get(key, since) as { n: number; oldest: number | null };
      if (row.n > 0 && row.oldest !== null) out.set(key, { count: row.n, oldest: row.oldest });
    }
    return out;
  }

  async prune(before: number, limit?: number): Promise<number> {
    if (limit === undefined) return this.db.prepare(`DELETE FROM ${TABLE} WHERE at <= ?`).run(before).changes;
    const sql = `DELETE FROM ${TABLE} WHERE rowid IN (SELECT rowid FROM ${TABLE} WHERE at <= ? LIMIT ?)`;
    return this.db.prepare(sql).run(before, Math.max(1, Math.floor(limit))).changes;
  }
}

/**
 * The limiter's failures in a PostgreSQL table, shared by every instance on the database.
 *
 * @example
 * ```ts
 * const store = await PostgresRateLimitStore.open(new pg.Pool({ connectionString: process.env.DATABASE_URL }));
 * ```
 */
export class PostgresRateLimitStore implements RateLimitStore {
  private constructor(private readonly pool: Pool) {}

  /** Creates the table if needed; safe from several processes at once (an advisory lock serialises it). */
  static async open(pool: Pool): Promise<PostgresRateLimitStore> {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query("SELECT pg_advisory_xact_lock(hashtext('grantry_server_rate_limit'))");
      await client.query(`CREATE TABLE IF NOT EXISTS ${TABLE} (key TEXT NOT NULL, at BIGINT NOT NULL)`);
      await client.query(`CREATE INDEX IF NOT EXISTS ${TABLE}_key_at ON ${TABLE} (key, at)`);
      await client.query(`CREATE INDEX IF NOT EXISTS ${TABLE}_at ON ${TABLE} (at)`);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
    return new PostgresRateLimitStore(pool);
  }

  async record(keys: readonly string[], now: number): Promise<void> {
    if (keys.length === 0) return;
    await this.pool.query(`INSERT INTO ${TABLE} (key, at) SELECT unnest($1::text[]), $2`, [keys, now]);
  }

  async count(keys: readonly string[], since: number): Promise<Map<string, { count: number; oldest: number }>> {
    const { rows } = await this.pool.query<{ key: string; n: string; oldest: string }>(
      `SELECT key, COUNT(*) AS n, MIN(at) AS oldest FROM ${TABLE} WHERE key = ANY($1::text[]) AND at > $2 GROUP BY key`,
      [keys, since],
    );
    return new Map(rows.map((r) => [r.key, { count: Number(r.n), oldest: Number(r.oldest) }]));
  }

  async prune(before: number, limit?: number): Promise<number> {
    const result =
      limit === undefined
        ? await this.pool.query(`DELETE FROM ${TABLE} WHERE at <= $1`, [before])
        : await this.pool.query(`DELETE FROM ${TABLE} WHERE ctid IN (SELECT ctid FROM ${TABLE} WHERE at <= $1 LIMIT $2)`, [before, Math.max(1, Math.floor(limit))]);
    return result.rowCount ?? 0;
  }
}
