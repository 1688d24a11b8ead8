import { describe, expect, it } from 'vitest';
import { AuthorizationError } from '../../src/contracts/authorization-error.js';
import { OAuthError, toOAuthError } from '../../src/contracts/oauth-error.js';
import { AuthorizationCodeGrant } from '../../src/grants/authorization-code-grant.js';
import { ClientCredentialsGrant } from '../../src/grants/client-credentials-grant.js';
import { DeviceCodeGrant } from '../../src/grants/device-code-grant.js';
import { openSqliteStorage } from '../../src/storage/sqlite/index.js';
import { classifyStorageError, StorageUnavailableError, type StorageUnavailableReason } from '../../src/storage/storage-unavailable.js';
import { CLIENT_SECRET, ISSUER, basic, confidentialClient, createTestServer, serverOn, tokenRequest } from '../support/fixtures.js';

/** Every method of `repository` fails as a database outage would. */
function unavailable<T extends object>(repository: T): T {
  return new Proxy(repository, {
    get(target, key) {
      const value: unknown = Reflect.get(target, key, target);
      if (typeof value !== 'function') return value;
      return async () => {
        throw new StorageUnavailableError('connection', 'the database connection failed: connect ECONNREFUSED 127.0.0.1:5432', { retryAfterSeconds: 7 });
      };
    },
  });
}

async function expectUnavailable(response: Response, retryAfter = /^[1-9]\d*$/): Promise<void> {
  expect(response.status).toBe(503);
  expect(response.headers.get('retry-after')).toMatch(retryAfter);
  expect(response.headers.get('cache-control')).toBe('no-store');
  expect(await response.json()).toMatchObject({ error: 'temporarily_unavailable' });
}

const VERIFIER_CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

describe('unavailable storage is answered 503 temporarily_unavailable with Retry-After', () => {
  it.each([
    ['token', '/token', { grant_type: 'client_credentials' }],
    ['revocation', '/revoke', { token: 'whatever' }],
    ['introspection', '/introspect', { token: 'whatever' }],
    ['device authorization', '/device_authorization', {}],
  ])('at the %s endpoint, as JSON with no-store, and logs what failed', async (endpoint, path, params) => {
    const t = await createTestServer();
    const logged: Record<string, unknown>[] = [];
    const server = serverOn({ ...t.storage, clients: unavailable(t.storage.clients) }, t.clock, {
      refreshTokens: t.storage.refreshTokens,
      logger: { error: (msg, d) => logged.push({ level: 'error', msg, ...d }), warn: (msg, d) => logged.push({ level: 'warn', msg, ...d }) },
    });
    server.enableGrantType(new ClientCredentialsGrant(), 'PT1H');
    server.enableGrantType(new DeviceCodeGrant(t.storage.deviceCodes, { verificationUri: `${ISSUER}/device` }), 'PT1H');
    const request = tokenRequest(params, { authorization: basic('app', CLIENT_SECRET) }, `${ISSUER}${path}`);
    const handle = {
      token: (r: Request) => server.handleTokenRequest(r),
      revocation: (r: Request) => server.handleRevocationRequest(r),
      introspection: (r: Request) => server.handleIntrospectionRequest(r),
      'device authorization': (r: Request) => server.handleDeviceAuthorizationRequest(r),
    }[endpoint]!;
    const response = await handle(request);
    await expectUnavailable(response, /^7$/);
    expect(logged).toEqual([{ level: 'warn', msg: 'grantry: storage unavailable', reason: 'connection', error: expect.stringContaining('ECONNREFUSED') }]);
  });

  it('at the authorization endpoint: a redirect with error=temporarily_unavailable once the redirect URI is validated (RFC 6749 §4.1.2.1)', async () => {
    const t = await createTestServer();
    const server = serverOn({ ...t.storage, scopes: unavailable(t.storage.scopes) }, t.clock);
    server.enableGrantType(new AuthorizationCodeGrant(t.storage.authCodes), 'PT1H');
    const url = new URL(`${ISSUER}/authorize`);
    const query = { response_type: 'code', client_id: 'app', redirect_uri: 'https://app.example.test/callback', state: 'xyz', scope: 'read', code_challenge: VERIFIER_CHALLENGE, code_challenge_method: 'S256' };
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    const error = await server.validateAuthorizationRequest(new Request(url)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthorizationError);
    expect((error as AuthorizationError).redirectable).toBe(true);
    const response = await server.errorResponse(error);
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get('location')!);
    expect(location.origin + location.pathname).toBe('https://app.example.test/callback');
    expect(location.searchParams.get('error')).toBe('temporarily_unavailable');
    expect(location.searchParams.get('state')).toBe('xyz');
  });

  it('at the authorization endpoint: never a redirect while the client is unknown, but a 503', async () => {
    const t = await createTestServer();
    const server = serverOn({ ...t.storage, clients: unavailable(t.storage.clients) }, t.clock);
    server.enableGrantType(new AuthorizationCodeGrant(t.storage.authCodes), 'PT1H');
    const error = await server
      .validateAuthorizationRequest(new Request(`${ISSUER}/authorize?response_type=code&client_id=app&redirect_uri=https%3A%2F%2Fevil.example%2F`))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageUnavailableError);
    const response = await server.errorResponse(error);
    expect(response.headers.get('location')).toBeNull();
    await expectUnavailable(response);
  });

  it('from a real SQLite write refused (read-only): the engine throws StorageUnavailableError, the endpoint answers 503', async () => {
    const storage = openSqliteStorage({ filename: ':memory:' });
    await storage.migrate();
    await storage.admin.createClient(await confidentialClient());
    storage.database.pragma('query_only = ON'); // every write now fails with SQLITE_READONLY
    const server = serverOn(storage, { now: () => Date.now() });
    server.enableGrantType(new ClientCredentialsGrant(), 'PT1H');
    const response = await server.handleTokenRequest(tokenRequest({ grant_type: 'client_credentials' }, { authorization: basic('app', CLIENT_SECRET) }));
    await expectUnavailable(response);
    await expect(storage.accessTokens.revoke('nothing')).rejects.toMatchObject({ name: 'StorageUnavailableError', reason: 'read_only' });
    await storage.close();
  });

  it('keeps OAuth errors and unknown errors as they were', () => {
    expect(toOAuthError(OAuthError.invalidGrant()).code).toBe('invalid_grant');
    expect(toOAuthError(new Error('a bug')).code).toBe('server_error');
    expect(toOAuthError(new StorageUnavailableError('disk_full', 'the disk is full')).status).toBe(503);
  });
});

describe('classifyStorageError', () => {
  const coded = (code: string, message = 'x') => Object.assign(new Error(message), { code });
  it.each<[string, unknown, StorageUnavailableReason]>([
    ['a refused connection', coded('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432'), 'connection'],
    ['a reset connection', coded('ECONNRESET'), 'connection'],
    ['a refused connection on every address', Object.assign(new AggregateError([coded('ECONNREFUSED'), coded('ECONNREFUSED')]), { code: 'ECONNREFUSED' }), 'connection'],
    ['the pool timing out', new Error('timeout exceeded when trying to connect'), 'timeout'],
    ['a query timing out', new Error('Query read timeout'), 'timeout'],
    ['a connection ending', new Error('Connection terminated unexpectedly'), 'connection'],
    ['statement_timeout (57014)', coded('57014', 'canceling statement due to statement timeout'), 'timeout'],
    ['a database shutting down (57P01)', coded('57P01'), 'connection'],
    ['a connection exception (08006)', coded('08006'), 'connection'],
    ['PostgreSQL disk full (53100)', coded('53100'), 'disk_full'],
    ['a read-only standby (25006)', coded('25006'), 'read_only'],
    ['SQLite disk full', coded('SQLITE_FULL', 'database or disk is full'), 'disk_full'],
    ['SQLite read-only', coded('SQLITE_READONLY_DBMOVED'), 'read_only'],
    ['SQLite busy', coded('SQLITE_BUSY'), 'busy'],
    ['SQLite I/O error', coded('SQLITE_IOERR_WRITE'), 'io'],
    ['a file system full', coded('ENOSPC'), 'disk_full'],
    ['a read-only file system', coded('EROFS'), 'read_only'],
  ])('classifies %s', (_what, error, reason) => {
    const classified = classifyStorageError(error);
    expect(classified).toBeInstanceOf(StorageUnavailableError);
    expect(classified!.reason).toBe(reason);
    expect(classified!.cause).toBe(error);
  });

  it.each([
    ['a unique violation', coded('23505')],
    ['a SQLite constraint', coded('SQLITE_CONSTRAINT_UNIQUE')],
    ['a syntax error', coded('42601')],
    ['a plain bug', new TypeError('x is undefined')],
    ['not an error', 'text'],
  ])('leaves %s alone', (_what, error) => {
    expect(classifyStorageError(error)).toBeUndefined();
  });
});
