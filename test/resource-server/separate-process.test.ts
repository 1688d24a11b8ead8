import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/contracts/clock.js';
import { toNodeHandler } from '../../src/http/node.js';
import { signJwt } from '../../src/tokens/jwt.js';
import { loadCryptoBackend } from '../../src/tokens/crypto/crypto-backend.js';
import { SigningKeySet } from '../../src/tokens/signing-key-set.js';
import { ISSUER, mintTokens } from '../support/fixtures.js';
import { createEndpointServer } from '../endpoints/support.js';

const child = fileURLToPath(new URL('./support/resource-server-process.ts', import.meta.url));
let http: Server | undefined;

afterEach(async () => {
  await new Promise<void>((resolve) => (http ? http.close(() => resolve()) : resolve()));
  http = undefined;
});

/** Runs the resource-server process on the tokens; resolves with its results (killed after 20 s). */
function runResourceServer(env: Record<string, string>, tokens: string[]): Promise<Record<string, unknown>[]> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', child], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => proc.kill('SIGKILL'), 20_000);
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
    proc.on('error', reject);
    proc.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`resource server exited with ${code}: ${err}`));
      resolve(JSON.parse(out) as Record<string, unknown>[]);
    });
    proc.stdin.end(JSON.stringify(tokens));
  });
}

describe('a resource server in a separate process', () => {
  it('validates tokens using only the JWKS URL served over HTTP', async () => {
    const t = await createEndpointServer({ clock: systemClock });
    let jwksFetches = 0;
    http = createServer(
      toNodeHandler(async (request) => {
        if (new URL(request.url).pathname !== '/.well-known/jwks.json') return new Response(null, { status: 404 });
        jwksFetches++;
        return t.server.handleJwksRequest(request);
      }),
    );
    await new Promise<void>((resolve) => http!.listen(0, '127.0.0.1', resolve));
    const { port } = http.address() as AddressInfo;

    const valid = (await mintTokens(t, 'app', ['read'])).access_token;
    const now = Math.floor(Date.now() / 1000);
    const claims = { iss: ISSUER, sub: 'user-1', aud: ISSUER, client_id: 'app', iat: now - 7200, jti: 'x' };
    const expired = await signJwt((await t.server.context()).signingKeys.active, { ...claims, exp: now - 3600 }, 'at+jwt');
    const { kid } = (await t.server.context()).signingKeys.active;
    const foreign = await SigningKeySet.load(await loadCryptoBackend(), [{ key: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey as never, kid, status: 'active' }]);
    const forged = await signJwt(foreign.active, { ...claims, exp: now + 3600 }, 'at+jwt');

    const results = await runResourceServer(
      { JWKS_URL: `http://127.0.0.1:${port}/.well-known/jwks.json`, ISSUER, AUDIENCE: ISSUER },
      [valid, expired, forged],
    );
    expect(results).toEqual([
      { ok: true, sub: 'user-1', scope: 'read' },
      { ok: false, status: 401, challenge: 'Bearer error="invalid_token", error_description="The access token expired."' },
      { ok: false, status: 401, challenge: 'Bearer error="invalid_token", error_description="The access token signature is invalid."' },
    ]);
    expect(jwksFetches).toBe(1);
  });
});
