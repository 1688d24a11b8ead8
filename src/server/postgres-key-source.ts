import type { Pool } from 'pg';
import { generateKeys, parseKeys, rotatedKeys, type KeySource, type KeysFile } from './key-store.js';

const TABLE = 'grantry_server_keys';
const LOCATION = `the PostgreSQL table ${TABLE}`;

/**
 * The server's keys in one PostgreSQL row, so that every instance on the database signs access tokens and seals
 * refresh tokens with the same keys (a refresh token sealed by one instance opens on another). The first
 * instance to start generates them (`INSERT … ON CONFLICT DO NOTHING`: concurrent first starts agree); a
 * rotation is a row update under `SELECT … FOR UPDATE`, and instances poll the row's version.
 *
 * @example
 * ```ts
 * const source = await openPostgresKeySource(pool);
 * const keys = await source.load();
 * ```
 */
export async function openPostgresKeySource(pool: Pool): Promise<KeySource> {
  await pool.query(`CREATE TABLE IF NOT EXISTS ${TABLE} (id SMALLINT PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL, keys TEXT NOT NULL)`).catch(async (error: unknown) => {
    // Two first starts racing on CREATE TABLE: the loser sees a duplicate type; the table exists either way.
    const exists = await pool.query(`SELECT to_regclass($1) AS t`, [TABLE]);
    if ((exists.rows[0] as { t: string | null }).t === null) throw error;
  });
  const read = async (): Promise<{ version: number; keys: KeysFile } | undefined> => {
    const { rows } = await pool.query<{ version: number; keys: string }>(`SELECT version, keys FROM ${TABLE} WHERE id = 1`);
    const row = rows[0];
    return row && { version: row.version, keys: parseKeys(LOCATION, row.keys) };
  };
  const load = async (): Promise<KeysFile> => {
    const existing = await read();
    if (existing) return existing.keys;
    await pool.query(`INSERT INTO ${TABLE} (id, version, keys) VALUES (1, 1, $1) ON CONFLICT (id) DO NOTHING`, [JSON.stringify(generateKeys())]);
    return (await read())!.keys;
  };
  return {
    location: LOCATION,
    load,
    async rotate() {
      await load();
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const { rows } = await client.query<{ keys: string }>(`SELECT keys FROM ${TABLE} WHERE id = 1 FOR UPDATE`);
        const next = rotatedKeys(parseKeys(LOCATION, rows[0]!.keys));
        await client.query(`UPDATE ${TABLE} SET keys = $1, version = version + 1 WHERE id = 1`, [JSON.stringify(next)]);
        await client.query('COMMIT');
        return next;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    async version() {
      const { rows } = await pool.query<{ version: number }>(`SELECT version FROM ${TABLE} WHERE id = 1`);
      return String(rows[0]?.version ?? 0);
    },
  };
}
