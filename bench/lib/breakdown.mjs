// Where grantry's CPU goes, in process and without HTTP: CPU µs per operation (process.cpuUsage, so that other work
// on the core does not count), for each step of W1/W2 and for the whole token endpoint. Prints JSON.
// Usage: node breakdown.mjs KEYS_DIR ALG ITERATIONS   (BENCH_GRANTRY_BUNDLE names the bundle)
import { sign, verify } from 'node:crypto';
import { create } from '../servers/grantry.mjs';
import { BASIC, CLIENT_ID } from './shared.mjs';

const [keysDir, alg, iterationsText = '2000'] = process.argv.slice(2);
const n = Number(iterationsText);
const app = await create({ impl: 'grantry', framework: 'node', alg, storage: 'memory', keysDir });
const { g, server, ctx, storage, client, keys, rs } = app.internals;
const digest = alg === 'EdDSA' ? null : 'sha256';

const form = (body) =>
  new Request('http://127.0.0.1/token', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: BASIC, host: '127.0.0.1' }, body });
const W1 = 'grantry_type=x'.replace('grantry_type=x', 'grant_type=client_credentials&scope=read%20write');

async function cpuPerOp(label, prepare, op) {
  const inputs = [];
  for (let i = 0; i < n; i++) inputs.push(await prepare(i));
  for (let i = 0; i < Math.min(200, n); i++) await op(inputs[i], i); // warm-up (on the first inputs)
  const fresh = [];
  for (let i = 0; i < n; i++) fresh.push(await prepare(i));
  const t0 = process.cpuUsage();
  for (let i = 0; i < n; i++) await op(fresh[i], i);
  const d = process.cpuUsage(t0);
  return { label, us: (d.user + d.system) / n };
}

const claims = () => ({ iss: 'http://127.0.0.1', sub: 'client:bench-client', aud: 'urn:bench:api', client_id: CLIENT_ID, scope: 'read write', iat: 1, exp: 2, jti: 'x'.repeat(22) });
const signingInput = Buffer.from(`${'h'.repeat(80)}.${'p'.repeat(250)}`);
const body = (await server.handleTokenRequest(form(W1))).text();
const sampleResponse = await body;
const results = [];
results.push(await cpuPerOp('node:crypto sign of a JWT-sized input (the floor’s signature)', () => undefined, () => sign(digest, signingInput, keys.privateKey)));
results.push(await cpuPerOp('signJwt: claims → JSON → base64url → sign', () => claims(), (c) => g.signJwt(ctx.signingKeys.active, c, 'at+jwt')));
results.push(await cpuPerOp('new Request (form body, 3 headers)', () => undefined, () => form(W1)));
results.push(await cpuPerOp('readForm (read the Request body, parse)', () => form(W1), (r) => g.readForm(r)));
results.push(await cpuPerOp('authenticateClient (Basic, SHA-256, compare)', async () => { const r = form(W1); return [r, await g.readForm(r)]; }, ([r, p]) => g.authenticateClient(r, p, ctx)));
results.push(await cpuPerOp('issueTokens, access token only (W1’s issuing)', () => undefined, () => g.issueTokens({ server: ctx, client, accessTokenTTL: 3600 }, { userId: undefined, subject: 'client:bench-client', scopes: ['read', 'write'], grantType: 'client_credentials' })));
results.push(await cpuPerOp('refresh token codec: issue (seal, AES-256-GCM)', () => undefined, () => ctx.refreshTokenCodec.issue(CLIENT_ID, 2e9)));
const sealed = await ctx.refreshTokenCodec.issue(CLIENT_ID, 2e9);
results.push(await cpuPerOp('refresh token codec: open (unseal)', () => sealed.token, (t) => ctx.refreshTokenCodec.open(t)));
results.push(await cpuPerOp('new Response(JSON) + response.text()', () => undefined, () => new Response(sampleResponse, { headers: { 'content-type': 'application/json' } }).text()));
results.push(await cpuPerOp('W1 whole core: handleTokenRequest(Request) → Response → text', () => form(W1), async (r) => (await server.handleTokenRequest(r)).text()));
const pool = await app.mintRefresh(n * 2 + 400);
let k = 0;
results.push(await cpuPerOp('W2 whole core: handleTokenRequest(Request) → Response → text', () => form(`grant_type=refresh_token&refresh_token=${encodeURIComponent(pool[k++])}`), async (r) => (await server.handleTokenRequest(r)).text()));
const signature = sign(digest, signingInput, keys.privateKey);
results.push(await cpuPerOp('node:crypto verify of a JWT-sized input (the floor’s W3 check)', () => undefined, () => verify(digest, signingInput, keys.publicKey, signature)));
const accessToken = await app.mintAccess();
const bearer = () => new Request('http://127.0.0.1/resource', { headers: { authorization: `Bearer ${accessToken}`, host: '127.0.0.1' } });
results.push(await cpuPerOp('W3 ResourceServer.validateAuthenticatedRequest (Request given)', () => bearer(), (r) => rs.validateAuthenticatedRequest(r)));
results.push(await cpuPerOp('W3 whole: new Request + validate + Response.json + text', () => undefined, async () => {
  const claims = await rs.validateAuthenticatedRequest(bearer());
  return Response.json({ sub: claims.sub, scope: claims.scope }).text();
}));
const introspect = () => form(`token=${accessToken}&token_type_hint=access_token`).constructor === Request
  ? new Request('http://127.0.0.1/introspect', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: BASIC, host: '127.0.0.1' }, body: `token=${accessToken}&token_type_hint=access_token` })
  : undefined;
results.push(await cpuPerOp('W4 whole core: handleIntrospectionRequest(Request) → text', () => introspect(), async (r) => (await server.handleIntrospectionRequest(r)).text()));
void storage;
process.stdout.write(JSON.stringify({ alg, iterations: n, results }));
