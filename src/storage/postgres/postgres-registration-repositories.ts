import type {
  ClientRegistration,
  ClientRegistrationRepository,
  InitialAccessTokenRecord,
  InitialAccessTokenRepository,
} from '../../contracts/client-registration-repository.js';
import type { Client } from '../../contracts/types.js';
import { checkClient } from '../check-client.js';
import { clientColumns, toClientRegistration, toInitialAccessToken, insertClientSql, updateClientSql } from '../sql/rows.js';
import { DuplicateRecordError, type StorageAdmin } from '../storage-admin.js';
import type { ClientCache } from './postgres-admin.js';
import { hasNul, isUniqueViolation, type PostgresQueries } from './postgres-queries.js';

/**
 * Clients that registered themselves (RFC 7591) in PostgreSQL: the client row (`origin = 'registration'`) and its
 * `grantry_client_registrations` row are written in one transaction.
 *
 * @example
 * ```ts
 * const storage = openPostgresStorage({ connectionString: process.env.DATABASE_URL! });
 * await storage.migrate();
 * await storage.registrations.find(clientId); // { clientId, accessTokenHash, metadata, issuedAt }
 * ```
 */
export class PostgresClientRegistrationRepository implements ClientRegistrationRepository {
  constructor(
    private readonly sql: PostgresQueries,
    private readonly admin: Pick<StorageAdmin, 'deleteClient'>,
    private readonly cache: ClientCache,
  ) {}

  async register(client: Client, r: ClientRegistration): Promise<void> {
    checkClient(client);
    try {
      await this.sql.transaction(async (db) => {
        await this.sql.count(
          insertClientSql((i) => `$${i}`, ['created_at', 'origin']),
          [...clientColumns(client), r.issuedAt, 'registration'],
          db,
        );
        await this.sql.count(
          'INSERT INTO grantry_client_registrations (client_id, access_token_hash, metadata, issued_at) VALUES ($1, $2, $3, $4)',
          [client.id, r.accessTokenHash, JSON.stringify(r.metadata), r.issuedAt],
          db,
        );
      });
    } catch (e) {
      throw isUniqueViolation(e) ? new DuplicateRecordError('client', client.id) : e;
    }
  }

  async find(clientId: string): Promise<ClientRegistration | undefined> {
    if (hasNul(clientId)) return undefined; // PostgreSQL text cannot hold NUL: no such registration
    const row = await this.sql.row('SELECT client_id, access_token_hash, metadata, issued_at FROM grantry_client_registrations WHERE client_id = $1', [clientId]);
    return row && toClientRegistration(row);
  }

  async update(client: Client, r: ClientRegistration): Promise<boolean> {
    checkClient(client);
    this.cache.invalidate(client.id);
    return this.sql.transaction(async (db) => {
      const changed = await this.sql.count(
        updateClientSql((i) => `$${i}`, " AND origin = 'registration'"),
        clientColumns(client),
        db,
      );
      if (changed !== 1) return false;
      const stored = await this.sql.count(
        'UPDATE grantry_client_registrations SET access_token_hash = $2, metadata = $3 WHERE client_id = $1',
        [client.id, r.accessTokenHash, JSON.stringify(r.metadata)],
        db,
      );
      return stored === 1;
    });
  }

  async delete(clientId: string): Promise<boolean> {
    if (!(await this.find(clientId))) return false;
    // The admin deletes the client, its registration and its grants in one transaction (and forgets the cache).
    return this.admin.deleteClient(clientId);
  }
}

/**
 * Initial access tokens in PostgreSQL (`grantry_initial_access_tokens`); `use` is one `UPDATE … WHERE` uses are
 * left, so concurrent registrations on several instances spend one use once.
 *
 * @example
 * ```ts
 * const storage = openPostgresStorage({ connectionString: process.env.DATABASE_URL! });
 * await storage.initialAccessTokens.list(); // oldest first, hashes only
 * ```
 */
export class PostgresInitialAccessTokenRepository implements InitialAccessTokenRepository {
  constructor(private readonly sql: PostgresQueries) {}

  async save(r: InitialAccessTokenRecord): Promise<void> {
    await this.sql.count(
      'INSERT INTO grantry_initial_access_tokens (id, description, created_at, expires_at, uses_left) VALUES ($1, $2, $3, $4, $5)',
      [r.id, r.description ?? null, r.createdAt, r.expiresAt ?? null, r.usesLeft ?? null],
    );
  }

  async use(id: string, now: number): Promise<boolean> {
    if (hasNul(id)) return false;
    const changed = await this.sql.count(
      `UPDATE grantry_initial_access_tokens SET uses_left = uses_left - 1
       WHERE id = $1 AND (expires_at IS NULL OR expires_at > $2) AND (uses_left IS NULL OR uses_left > 0)`,
      [id, now],
    );
    return changed === 1;
  }

  async list(): Promise<InitialAccessTokenRecord[]> {
    return (await this.sql.rows('SELECT id, description, created_at, expires_at, uses_left FROM grantry_initial_access_tokens ORDER BY created_at, id')).map(toInitialAccessToken);
  }

  async delete(id: string): Promise<boolean> {
    if (hasNul(id)) return false;
    return (await this.sql.count('DELETE FROM grantry_initial_access_tokens WHERE id = $1', [id])) === 1;
  }
}
