import type { PoolClient } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthorizationServer } from '../../src/core/authorization-server.js';
import { AuthorizationCodeGrant } from '../../src/grants/authorization-code-grant.js';
import { ClientCredentialsGrant } from '../../src/grants/client-credentials-grant.js';
import { RefreshTokenGrant } from '../../src/grants/refresh-token-grant.js';
import { openPostgresStorage, type PostgresStorage } from '../../src/storage/postgres/index.js';
import { basic, CLIENT_SECRET, confidentialClient, refreshRequest, serverOn, testClock, tokenRequest } from '../support/fixtures.js';
import { codeParams, obtainCode, VERIFIER } from '../grants/helpers.js';
import { dropSchema, DATABASE_URL, PG_SKIP, uniqueSchema } from './support/postgres.js';

/**
 * What a token request costs in PostgreSQL round trips once the client and its scopes are remembered (the storage's
 * `clientCacheMs`): every statement sent, on the pool or on a transaction's connection (BEGIN and COMMIT included),
 * is counted. BENCHMARKS.md quotes these figures.
 */
describe.skipIf(PG_SKIP)('PostgreSQL round trips per token request', () => {
  const schema = uniqueSchema();
  let storage: PostgresStorage;
  let server: AuthorizationServer;
  const sent: string[] = [];

  beforeAll(async () => {
    storage = openPostgresStorage({ connectionString: DATABASE_URL!, schema, clientCacheMs: 60_000 });
    await storage.migrate();
    await storage.admin.createClient(await confidentialClient({ grantTypes: ['authorization_code', 'client_credentials', 'refresh_token'] }));
    for (const id of ['read', 'write']) await storage.admin.addScope({ id });
    const pool = storage.pool;
    const query = pool.query.bind(pool) as (...args: unknown[]) => unknown;
    const text = (q: unknown): string => (typeof q === 'string' ? q : String((q as { text?: string }).text)).replace(/\s+/g, ' ').slice(0, 60);
    (pool as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
      sent.push(text(args[0]));
      return query(...args);
    };
    // Transactions check a connection out (a promise); pool.query checks one out with a callback, counted above.
    const connect = pool.connect.bind(pool) as (...args: unknown[]) => Promise<PoolClient>;
    (pool as unknown as { connect: (...args: unknown[]) => unknown }).connect = (...args: unknown[]) => {
      if (args.length > 0) return connect(...args);
      return connect().then(counted);
    };
    const wrapped = new WeakSet<PoolClient>();
    const counted = (client: PoolClient): PoolClient => {
      if (wrapped.has(client)) return client;
      wrapped.add(client);
      const own = client.query.bind(client) as (...args: unknown[]) => unknown;
      (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
        sent.push(text(args[0]));
        return own(...args);
      };
      return client;
    };
    server = serverOn(storage, testClock(Date.now()), { refreshTokens: storage.refreshTokens });
    server.enableGrantType(new AuthorizationCodeGrant(storage.authCodes, { refreshTokens: storage.refreshTokens }), 'PT1H');
    server.enableGrantType(new ClientCredentialsGrant(), 'PT1H');
    server.enableGrantType(new RefreshTokenGrant(storage.refreshTokens), 'PT1H');
    // The first request reads the client and the scopes; later ones find them remembered.
    expect((await server.handleTokenRequest(clientCredentials())).status).toBe(200);
  });
  afterAll(async () => {
    await storage?.close();
    await dropSchema(schema);
  });

  const clientCredentials = (): Request =>
    tokenRequest({ grant_type: 'client_credentials', scope: 'read write' }, { authorization: basic('app', CLIENT_SECRET) });

  /** The statements one token request sends. */
  async function statementsOf(request: Request): Promise<{ status: number; body: Record<string, unknown>; statements: string[] }> {
    sent.length = 0;
    const response = await server.handleTokenRequest(request);
    const statements = [...sent];
    return { status: response.status, body: (await response.json()) as Record<string, unknown>, statements };
  }

  it('client credentials: one statement (the access token record)', async () => {
    const { status, statements } = await statementsOf(clientCredentials());
    expect(status).toBe(200);
    expect(statements).toHaveLength(1);
  });

  it('authorization code redemption: two (read the code, then spend it and store the pair in one statement)', async () => {
    const code = await obtainCode({ server } as never);
    const { status, body, statements } = await statementsOf(
      tokenRequest(
        { grant_type: 'authorization_code', code, redirect_uri: codeParams().redirect_uri!, code_verifier: VERIFIER },
        { authorization: basic('app', CLIENT_SECRET) },
      ),
    );
    expect(status).toBe(200);
    expect(body.refresh_token).toEqual(expect.any(String));
    expect(statements).toHaveLength(2);
    expect(statements.some((s) => /BEGIN|COMMIT/.test(s))).toBe(false);
  });

  it('refresh with rotation: two (read the token, then spend it, revoke the old access token and store the pair in one statement)', async () => {
    const code = await obtainCode({ server } as never);
    const first = await statementsOf(
      tokenRequest(
        { grant_type: 'authorization_code', code, redirect_uri: codeParams().redirect_uri!, code_verifier: VERIFIER },
        { authorization: basic('app', CLIENT_SECRET) },
      ),
    );
    const { status, body, statements } = await statementsOf(refreshRequest(String(first.body.refresh_token)));
    expect(status).toBe(200);
    expect(body.refresh_token).not.toBe(first.body.refresh_token);
    expect(statements).toHaveLength(2);
    expect(statements.some((s) => /BEGIN|COMMIT/.test(s))).toBe(false);
  });
});
