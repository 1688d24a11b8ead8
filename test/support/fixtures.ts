import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { AuthorizationServer, type AuthorizationServerOptions } from '../../src/core/authorization-server.js';
import { hashClientSecret } from '../../src/contracts/client-secret.js';
import type { Clock } from '../../src/contracts/clock.js';
import type { Client } from '../../src/contracts/types.js';
import { RefreshTokenGrant } from '../../src/grants/refresh-token-grant.js';
import { issueTokens } from '../../src/grants/issue-tokens.js';
import { createMemoryStorage } from '../../src/storage/memory/index.js';
import type { Storage } from '../../src/contracts/repositories.js';

/** One RSA key for the whole test run: generating keys is slow. */
export const rsaKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
export const privateKeyPem = rsaKey.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
export const publicKeyPem = rsaKey.publicKey.export({ type: 'spki', format: 'pem' }).toString();
export const encryptionKey = randomBytes(32).toString('base64');

export const ISSUER = 'https://auth.example.test';
/** Special characters for the Basic encoding, and 32+ characters: shorter secrets are stored under a slow hash. */
export const CLIENT_SECRET = 's3cr:et+with special/chars%, long enough';

/** A settable clock for tests. */
export function testClock(start = Date.parse('2026-01-01T00:00:00Z')): Clock & { advance(seconds: number): void; set(ms: number): void } {
  let now = start;
  return { now: () => now, advance: (s) => void (now += s * 1000), set: (ms) => void (now = ms) };
}

export async function confidentialClient(overrides: Partial<Client> = {}): Promise<Client> {
  return {
    id: 'app',
    name: 'Test app',
    secretHash: await hashClientSecret(CLIENT_SECRET),
    redirectUris: ['https://app.example.test/callback'],
    grantTypes: ['authorization_code', 'refresh_token', 'client_credentials', 'password'],
    scopes: [],
    ...overrides,
  };
}

export interface TestServer {
  server: AuthorizationServer;
  storage: Storage & ReturnType<typeof createMemoryStorage>;
  clock: ReturnType<typeof testClock>;
}

/** A server with the refresh token grant, in-memory storage, clients `app` (confidential) and `spa` (public). */
export async function createTestServer(options: Partial<AuthorizationServerOptions> = {}): Promise<TestServer> {
  const clock = testClock();
  const storage = createMemoryStorage({
    clients: [
      await confidentialClient(),
      await confidentialClient({ id: 'other', name: 'Other app' }),
      { id: 'spa', name: 'SPA', redirectUris: ['http://127.0.0.1/cb'], grantTypes: ['authorization_code', 'refresh_token'], scopes: [] },
    ],
    scopes: ['read', 'write', 'admin'],
    users: [{ id: 'user-1', username: 'alice', password: 'wonderland' }],
  }, { clock }); // the storage's automatic sweep must see the test clock, not the wall clock
  const server = serverOn(storage, clock, options);
  server.enableGrantType(new RefreshTokenGrant(storage.refreshTokens), 'PT1H');
  return { server, storage, clock };
}

/** A new server object (no grants enabled) over existing storage, with the test keys: as after a restart. */
export function serverOn(storage: Storage, clock: Clock, options: Partial<AuthorizationServerOptions> = {}): AuthorizationServer {
  return new AuthorizationServer({
    clients: storage.clients,
    accessTokens: storage.accessTokens,
    scopes: storage.scopes,
    privateKey: privateKeyPem,
    encryptionKey,
    issuer: ISSUER,
    clock,
    logger: { error: () => undefined },
    ...options,
  });
}

/** Issues a token pair as a grant would, for tests of the refresh grant. */
export async function mintTokens(t: TestServer, clientId = 'app', scopes = ['read', 'write']) {
  const ctx = await t.server.context();
  const client = (await t.storage.clients.getClient(clientId))!;
  return issueTokens(
    { server: ctx, client, accessTokenTTL: 3600 },
    { userId: 'user-1', scopes, grantType: 'password', refresh: { repository: t.storage.refreshTokens, ttl: 30 * 86400, scopes } },
  );
}

export function basic(id: string, secret: string): string {
  const enc = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
  return 'Basic ' + Buffer.from(`${enc(id)}:${enc(secret)}`).toString('base64');
}

/** A form POST to the token endpoint. */
export function tokenRequest(params: Record<string, string>, headers: Record<string, string> = {}, url = `${ISSUER}/token`): Request {
  return new Request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(params).toString(),
  });
}

export function refreshRequest(refreshToken: string, extra: Record<string, string> = {}): Request {
  return tokenRequest({ grant_type: 'refresh_token', refresh_token: refreshToken, ...extra }, { authorization: basic('app', CLIENT_SECRET) });
}
