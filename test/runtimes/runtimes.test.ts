// The core's token flows on Bun (Bun.serve), Deno (Deno.serve) and workerd (a Worker `fetch` handler), with the
// memory storage, driven over HTTP from Node: client credentials, refresh with rotation and reuse detection,
// resource-server validation, and password hashing (scrypt through node:crypto where it exists, PBKDF2 through
// Web Crypto in workerd). The app is test/runtimes/flows-app.ts; the launchers are in launch-runtime.ts.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword } from '../../src/storage/password-hash.js';
import { API, ISSUER, PASSWORD, USERNAME, type FlowsAppEnv } from './flows-app.js';
import { launchRuntime, runtimeBinary, type RunningRuntime, type RuntimeName } from './launch-runtime.js';

const CLIENT_SECRET = randomBytes(32).toString('base64url');
const env: FlowsAppEnv = {
  GRANTRY_PRIVATE_KEY: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  GRANTRY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
  GRANTRY_CLIENT_SECRET: CLIENT_SECRET,
};
const basic = (secret = CLIENT_SECRET): string => `Basic ${Buffer.from(`app:${encodeURIComponent(secret)}`).toString('base64')}`;

interface Expected {
  name: RuntimeName;
  cryptoBackend: 'node-crypto' | 'web-crypto';
  passwordHashScheme: 'scrypt' | 'pbkdf2-sha256';
  hasProcessVersionsNode: boolean;
}

const RUNTIMES: Expected[] = [
  { name: 'bun', cryptoBackend: 'node-crypto', passwordHashScheme: 'scrypt', hasProcessVersionsNode: true },
  { name: 'deno', cryptoBackend: 'node-crypto', passwordHashScheme: 'scrypt', hasProcessVersionsNode: true },
  { name: 'workerd', cryptoBackend: 'web-crypto', passwordHashScheme: 'pbkdf2-sha256', hasProcessVersionsNode: false },
];

for (const expected of RUNTIMES) {
  if (!runtimeBinary(expected.name)) {
    console.warn(`\n!!! SKIPPED: no ${expected.name} binary for ${process.platform}-${process.arch}: the ${expected.name} runtime tests did not run !!!\n`);
  }
}

describe.each(RUNTIMES)('the token flows on $name', (expected) => {
  let runtime: RunningRuntime;
  const runs = runtimeBinary(expected.name) !== undefined;

  beforeAll(async () => {
    if (runs) runtime = await launchRuntime(expected.name, env);
  });
  afterAll(async () => {
    await runtime?.stop();
  });

  const token = async (params: Record<string, string>, authorization = basic()): Promise<Response> =>
    fetch(`${runtime.url}/token`, {
      method: 'POST',
      headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(params),
    });
  const api = (accessToken: string): Promise<Response> =>
    fetch(`${runtime.url}/api/me`, { headers: { authorization: `Bearer ${accessToken}` } });
  const post = async (path: string, params: Record<string, string>): Promise<Response> =>
    fetch(`${runtime.url}${path}`, { method: 'POST', body: new URLSearchParams(params) });

  it.runIf(runs)('takes the crypto path of its runtime', async () => {
    const response = await fetch(`${runtime.url}/runtime`);
    expect(await response.json()).toEqual({
      cryptoBackend: expected.cryptoBackend,
      passwordHashScheme: expected.passwordHashScheme,
      hasProcessVersionsNode: expected.hasProcessVersionsNode,
    });
  });

  it.runIf(runs)('issues a client credentials token that its resource server and a JWKS client both accept (RFC 6749 §4.4)', async () => {
    const response = await token({ grant_type: 'client_credentials', scope: 'read' });
    expect(response.status, runtime.stderr()).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const body = (await response.json()) as { access_token: string; token_type: string; scope: string; refresh_token?: string };
    expect(body).toMatchObject({ token_type: 'Bearer', scope: 'read' });
    // RFC 6749 §4.4.3: a refresh token SHOULD NOT be included.
    expect(body.refresh_token).toBeUndefined();

    const me = await api(body.access_token);
    expect(me.status).toBe(200);
    expect(await me.json()).toEqual({ sub: 'client:app', client_id: 'app', scope: 'read' });

    // The signature the runtime made checks out in Node against the JWKS the runtime serves.
    const jwks = createRemoteJWKSet(new URL(`${runtime.url}/.well-known/jwks.json`));
    const { payload, protectedHeader } = await jwtVerify(body.access_token, jwks, { issuer: ISSUER, audience: API });
    expect(protectedHeader).toMatchObject({ alg: 'ES256', typ: 'at+jwt' });
    expect(payload).toMatchObject({ client_id: 'app', scope: 'read' });
  });

  it.runIf(runs)('refuses a wrong client secret with invalid_client (RFC 6749 §5.2)', async () => {
    const response = await token({ grant_type: 'client_credentials' }, basic('wrong-secret'));
    expect(response.status).toBe(401);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toMatchObject({ error: 'invalid_client' });
  });

  it.runIf(runs)('answers a missing or altered bearer token with 401 invalid_token (RFC 6750 §3.1)', async () => {
    const missing = await fetch(`${runtime.url}/api/me`);
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer/);

    const { access_token } = (await (await token({ grant_type: 'client_credentials' })).json()) as { access_token: string };
    const [header, payload, signature] = access_token.split('.');
    const altered = `${header}.${payload}.${signature!.slice(0, -4)}${signature!.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA'}`;
    const response = await api(altered);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it.runIf(runs)('rotates refresh tokens, and a replayed one revokes the whole family (RFC 9700 §4.14.2)', async () => {
    const first = await token({ grant_type: 'password', username: USERNAME, password: PASSWORD, scope: 'read write' });
    expect(first.status, runtime.stderr()).toBe(200);
    const pair0 = (await first.json()) as { access_token: string; refresh_token: string };
    expect(pair0.refresh_token).toEqual(expect.any(String));
    const me = await api(pair0.access_token);
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ client_id: 'app', scope: 'read write' });

    const rotated = await token({ grant_type: 'refresh_token', refresh_token: pair0.refresh_token });
    expect(rotated.status).toBe(200);
    const pair1 = (await rotated.json()) as { access_token: string; refresh_token: string; scope: string };
    expect(pair1.refresh_token).not.toBe(pair0.refresh_token);
    expect(pair1.scope).toBe('read write');
    expect((await api(pair1.access_token)).status).toBe(200);

    const replay = await token({ grant_type: 'refresh_token', refresh_token: pair0.refresh_token });
    expect(replay.status).toBe(400);
    expect(replay.headers.get('cache-control')).toBe('no-store');
    expect(await replay.json()).toMatchObject({ error: 'invalid_grant' });

    // The family is revoked: the newest refresh token no longer works either.
    const newest = await token({ grant_type: 'refresh_token', refresh_token: pair1.refresh_token });
    expect(newest.status).toBe(400);
    expect(await newest.json()).toMatchObject({ error: 'invalid_grant' });
  });

  it.runIf(runs)('refuses a wrong password with invalid_grant (RFC 6749 §5.2)', async () => {
    const response = await token({ grant_type: 'password', username: USERNAME, password: 'not the password' });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'invalid_grant' });
  });

  it.runIf(runs)('hashes passwords with PBKDF2 through Web Crypto, readable by Node and back', async () => {
    // Each PBKDF2 derivation costs 600 000 rounds: five of them here, one per check that matters.
    const made = (await (await post('/password/hash', { password: 'hunter2 hunter2' })).json()) as { hash: string };
    expect(made.hash).toMatch(/^pbkdf2-sha256\$600000\$[\w-]{22}\$[\w-]{43}$/);
    expect(await verifyPassword('hunter2 hunter2', made.hash)).toBe(true);

    const nodeHash = await hashPassword('from node', { scheme: 'pbkdf2-sha256' });
    expect(await (await post('/password/verify', { password: 'from node', hash: nodeHash })).json()).toEqual({ ok: true });
    expect(await (await post('/password/verify', { password: 'wrong', hash: nodeHash })).json()).toEqual({ ok: false });
  });

  it.runIf(runs)('checks an scrypt hash only where node:crypto exists, and says so elsewhere', async () => {
    const scryptHash = await hashPassword('from node');
    expect(scryptHash).toMatch(/^scrypt\$/);
    const response = await post('/password/verify', { password: 'from node', hash: scryptHash });
    if (expected.hasProcessVersionsNode) {
      expect(await response.json()).toEqual({ ok: true });
    } else {
      expect(response.status).toBe(422);
      expect(((await response.json()) as { error: string }).error).toContain('needs node:crypto');
    }
  });
});
