import Database from 'better-sqlite3';
import pg from 'pg';
import { AuthorizationServer, type AuthorizationServerOptions } from '../../src/core/authorization-server.js';
import { hashClientSecret } from '../../src/contracts/client-secret.js';
import type { Client } from '../../src/contracts/types.js';
import { ClientCredentialsGrant } from '../../src/grants/client-credentials-grant.js';
import { PasswordGrant } from '../../src/grants/password-grant.js';
import { RefreshTokenGrant } from '../../src/grants/refresh-token-grant.js';
import type { ManagedStorage } from '../../src/storage/managed-storage.js';
import { createMemoryStorage } from '../../src/storage/memory/index.js';
import { openSqliteStorage } from '../../src/storage/sqlite/index.js';
import { CLIENT_SECRET, ISSUER, basic, encryptionKey, privateKeyPem, testClock, tokenRequest } from '../support/fixtures.js';
import { DATABASE_URL, PG_SKIP, openTestPostgres } from '../storage/support/postgres.js';
import { tempDir } from '../storage/support/temp-sqlite.js';

export { CLIENT_SECRET, ISSUER, basic };

/** A storage engine under test, with a way to read the raw access-token rows as the database holds them. */
export interface Engine {
  readonly storage: ManagedStorage;
  /** Every stored access-token row, each column as text (memory: the records, as JSON). */
  rawAccessTokens(): Promise<string[]>;
  close(): Promise<void>;
}

export const ENGINES: readonly { name: string; skip: string | undefined; open: () => Promise<Engine> }[] = [
  {
    name: 'memory',
    skip: undefined,
    open: async () => {
      const storage = createMemoryStorage();
      return {
        storage,
        rawAccessTokens: async () => [...storage.accessTokens.records.entries()].map((e) => JSON.stringify(e)),
        close: () => storage.close(),
      };
    },
  },
  {
    name: 'SQLite',
    skip: undefined,
    open: async () => {
      const tmp = tempDir('grantry-opaque-');
      const file = tmp.file('grantry.db');
      const storage = openSqliteStorage({ filename: file });
      await storage.migrate();
      return {
        storage,
        rawAccessTokens: async () => {
          const db = new Database(file, { readonly: true });
          try {
            return (db.prepare('SELECT * FROM grantry_access_tokens').all() as Record<string, unknown>[]).map((r) => JSON.stringify(r));
          } finally {
            db.close();
          }
        },
        close: async () => {
          await storage.close();
          tmp.remove();
        },
      };
    },
  },
  {
    name: 'PostgreSQL',
    skip: PG_SKIP,
    open: async () => {
      const { storage, schema, drop } = await openTestPostgres(`grantry_h16c_opaque_${Math.random().toString(36).slice(2, 10)}`);
      return {
        storage,
        rawAccessTokens: async () => {
          const client = new pg.Client({ connectionString: DATABASE_URL });
          await client.connect();
          try {
            const { rows } = await client.query(`SELECT * FROM "${schema}".grantry_access_tokens`);
            return rows.map((r) => JSON.stringify(r));
          } finally {
            await client.end();
          }
        },
        close: drop,
      };
    },
  },
];

/** The clients of these tests: `app` (confidential; opaque unless overridden), the resource server `orders-api`. */
export async function registerClients(storage: ManagedStorage, app: Partial<Client> = {}): Promise<void> {
  const secretHash = await hashClientSecret(CLIENT_SECRET);
  await storage.admin.createClient({
    id: 'app', name: 'App', secretHash, redirectUris: [], grantTypes: ['client_credentials', 'password', 'refresh_token'], scopes: [],
    accessTokenFormat: 'opaque', ...app,
  });
  await storage.admin.createClient({ id: 'jwt-app', name: 'JWT app', secretHash, redirectUris: [], grantTypes: ['client_credentials'], scopes: [], accessTokenFormat: 'jwt' });
  await storage.admin.createClient({ id: 'plain-app', name: 'Plain app', secretHash, redirectUris: [], grantTypes: ['client_credentials'], scopes: [] });
  await storage.admin.createClient({ id: 'orders-api', name: 'Orders API', secretHash, redirectUris: [], grantTypes: [], scopes: [], permissions: ['introspect'] });
  for (const id of ['read', 'write']) await storage.admin.addScope({ id });
  await storage.admin.createUser({ id: 'user-1', username: 'alice', password: 'wonderland-rabbit-hole' });
}

/** A server over the engine's storage with the client credentials, password and refresh token grants. */
export function serverOver(storage: ManagedStorage, options: Partial<AuthorizationServerOptions> = {}) {
  const clock = testClock();
  const server = new AuthorizationServer({
    clients: storage.clients,
    accessTokens: storage.accessTokens,
    scopes: storage.scopes,
    refreshTokens: storage.refreshTokens,
    users: storage.users,
    privateKey: privateKeyPem,
    encryptionKey,
    issuer: ISSUER,
    clock,
    logger: { error: () => undefined },
    ...options,
  });
  server.enableGrantType(new ClientCredentialsGrant(), 'PT10M');
  server.enableGrantType(new PasswordGrant(storage.users, { refreshTokens: storage.refreshTokens }), 'PT10M');
  server.enableGrantType(new RefreshTokenGrant(storage.refreshTokens), 'PT10M');
  return { server, clock };
}

/** A client credentials token request of `clientId`. */
export const clientCredentials = (clientId = 'app', scope = 'read'): Request =>
  tokenRequest({ grant_type: 'client_credentials', scope }, { authorization: basic(clientId, CLIENT_SECRET) });

/** A form POST to an endpoint of the server, authenticated as `clientId`. */
export function endpointPost(path: string, params: Record<string, string>, clientId = 'app'): Request {
  return new Request(`${ISSUER}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(clientId, CLIENT_SECRET) },
    body: new URLSearchParams(params).toString(),
  });
}

/** A request to the API with a bearer token. */
export const apiRequest = (token: string): Request => new Request('https://api.example.test/orders', { headers: { authorization: `Bearer ${token}` } });

/** The token response body. */
export interface TokenBody {
  access_token: string;
  token_type: string;
  expires_in: number;
  refresh_token?: string;
  scope?: string;
}
