import type { Pool, PoolClient } from 'pg';
import { generateKeys, parseKeys, rotatedKeys, rotationDue, type KeySource, type KeysFile } from './key-store.js';
import { openKeysDocument, sealKeysDocument, type KeysSecrets } from './keys-at-rest.js';

const TABLE = 'grantry_server_keys';
const LOCATION = `the PostgreSQL table ${TABLE}`;

/**
 * The server's keys in one PostgreSQL row, so that every instance on the database signs access tokens and seals
 * refresh tokens with the same keys (a refresh token sealed by one instance opens on another). The row is
 * encrypted with the operator's secret ({@link KeysSecrets}): whoever can read the table (a replica, a dump, a
 * reporting role) cannot forge tokens. The first instance to start generates the keys
 * (`INSERT … ON CONFLICT DO NOTHING`: concurrent first starts agree); a rotation, and the re-encryption of a row
 * in clear or under the previous secret, is a row update under `SELECT … FOR UPDATE`; instances poll the version.
 *
 * @example
 * ```ts
 * const source = await openPostgresKeySource(pool, { current: process.env.GRANTRY_KEYS_SECRET! });
 * const keys = await source.load();
 * ```
 */
export async function openPostgresKeySource(pool: Pool, secrets: KeysSecrets): Promise<KeySource> {
  await pool.query(`CREATE TABLE IF NOT EXISTS ${TABLE} (id SMALLINT PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL, keys TEXT NOT NULL)`).catch(async (error: unknown) => {
    // Two first starts racing on CREATE TABLE: the loser sees a duplicate type; the table exists either way.
    const exists = await pool.query(`SELECT to_regclass($1) AS t`, [TABLE]);
    if ((exists.rows[0] as { t: string | null }).t === null) throw error;
  });
  const open = (text: string) => {
    const { plaintext, sealedWith } = openKeysDocument(text, secrets, LOCATION);
    return { keys: parseKeys(LOCATION, plaintext), sealedWith };
  };
  const seal = (keys: KeysFile): string => sealKeysDocument(JSON.stringify(keys), secrets.current);
  /** Runs `change` on the locked row; what it returns (if anything) is written back with a new version. */
  const update = async (change: (keys: KeysFile, sealedWith: string) => KeysFile | undefined): Promise<KeysFile> => {
    const client: PoolClient = await pool.connect();
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<{ keys: string }>(`SELECT keys FROM ${TABLE} WHERE id = 1 FOR UPDATE`);
      const { keys, sealedWith } = open(rows[0]!.keys);
      const next = change(keys, sealedWith);
      if (next) await client.query(`UPDATE ${TABLE} SET keys = $1, version = version + 1 WHERE id = 1`, [seal(next)]);
      await client.query('COMMIT');
      return next ?? keys;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  };
  const load = async (): Promise<KeysFile> => {
    const { rows } = await pool.query<{ keys: string }>(`SELECT keys FROM ${TABLE} WHERE id = 1`);
    if (rows[0] === undefined) {
      await pool.query(`INSERT INTO ${TABLE} (id, version, keys) VALUES (1, 1, $1) ON CONFLICT (id) DO NOTHING`, [seal(generateKeys())]);
      return load();
    }
    const { keys, sealedWith } = open(rows[0].keys);
    if (sealedWith === 'current') return keys;
    // In clear (written before encryption at rest) or under the previous secret: sealed again under the current one.
    return update((locked, lockedWith) => (lockedWith === 'current' ? undefined : locked));
  };
  return {
    location: LOCATION,
    load,
    async rotate(policy, options) {
      await load();
      return update((keys) => (options?.ifOlderThan !== undefined && !rotationDue(keys, options.ifOlderThan) ? undefined : rotatedKeys(keys, policy)));
    },
    async version() {
      const { rows } = await pool.query<{ version: number }>(`SELECT version FROM ${TABLE} WHERE id = 1`);
      return String(rows[0]?.version ?? 0);
    },
  };
}
