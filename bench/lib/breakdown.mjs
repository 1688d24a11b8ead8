// Where grantry's CPU goes, in process and without HTTP: CPU µs per operation (process.cpuUsage, so that other work
// on the core does not count), for each step of W1-W4 on the path the Node adapters take (a PlainRequest in, a
// PlainResult out: no Fetch objects), beside the floor's own operations (the signature, the verification, the JSON).
// Steps overlap: the whole-core lines include everything above them. Prints JSON.
// Usage: node breakdown.mjs KEYS_DIR ALG ITERATIONS   (BENCH_GRANTRY_BUNDLE names the bundle)
import { randomBytes, sign, verify } from 'node:crypto';
import { create } from '../servers/grantry.mjs';
import { BASIC, CLIENT_ID } from './shared.mjs';

const [keysDir, alg, iterationsText = '2000'] = process.argv.slice(2);
const n = Number(iterationsText);
const app = await create({ impl: 'grantry', framework: 'node', alg, storage: 'memory', keysDir });
const { g, server, ctx, client, keys, rs } = app.internals;
const digest = alg === 'EdDSA' ? null : 'sha256';

// The Node adapters' view of a form POST: its headers read by name, its body already in memory.
const headers = (h) => ({ get: (name) => h[name] ?? null });
const plain = (path, body) =>
  new g.PlainRequest('POST', `http://127.0.0.1${path}`, headers({ 'content-type': 'application/x-www-form-urlencoded', authorization: BASIC, 'content-length': String(body.length) }), Buffer.from(body));
const W1 = 'grant_type=client_credentials&scope=read%20write';
const ok = (result) => {
  if (result.status !== 200) throw new Error(`${result.status} ${result.body}`);
  return result;
};

async function cpuPerOp(label, prepare, op) {
  // Warm-up on inputs of its own (a form is parsed once per request: reused inputs would not warm the parser up),
  // enough of them for V8 to optimise the path before it is timed.
  const warm = Math.max(1000, n);
  for (let i = 0; i < warm; i++) await op(await prepare(i), i);
  // Batches of n fresh inputs until at least 150 ms of CPU are measured: a cheap step timed over a few ms would
  // count a background GC or compiler burst as its own.
  let us = 0;
  let ops = 0;
  while (us < 150_000) {
    const fresh = [];
    for (let i = 0; i < n; i++) fresh.push(await prepare(i));
    const t0 = process.cpuUsage();
    for (let i = 0; i < n; i++) await op(fresh[i], i);
    const d = process.cpuUsage(t0);
    us += d.user + d.system;
    ops += n;
  }
  return { label, us: us / ops };
}

const claims = () => ({ iss: 'http://127.0.0.1', sub: 'client:bench-client', aud: 'urn:bench:api', client_id: CLIENT_ID, scope: 'read write', iat: 1, exp: 2, jti: randomBytes(16).toString('base64url') });
const header = Buffer.from(JSON.stringify({ alg, typ: 'at+jwt', kid: 'floor' })).toString('base64url');
const floorToken = () => {
  const input = `${header}.${Buffer.from(JSON.stringify(claims())).toString('base64url')}`;
  return `${input}.${sign(digest, Buffer.from(input), keys.privateKey).toString('base64url')}`;
};
const results = [];
results.push(await cpuPerOp('floor: claims → JSON → base64url → sign (its W1 work)', () => undefined, () => floorToken()));
results.push(await cpuPerOp('signJwt: claims → JSON → base64url → sign', () => claims(), (c) => g.signJwt(ctx.signingKeys.active, c, 'at+jwt')));
results.push(await cpuPerOp('new PlainRequest (what the adapter builds)', () => undefined, () => plain('/token', W1)));
results.push(await cpuPerOp('readForm (parse the form)', () => plain('/token', W1), (r) => g.readForm(r)));
results.push(await cpuPerOp('authenticateClient (Basic, SHA-256, compare)', async () => { const r = plain('/token', W1); return [r, await g.readForm(r)]; }, ([r, p]) => g.authenticateClient(r, p, ctx)));
results.push(await cpuPerOp('issueTokens, access token only (sign + record + events)', () => undefined, () => g.issueTokens({ server: ctx, client, accessTokenTTL: 3600 }, { userId: undefined, subject: 'client:bench-client', scopes: ['read', 'write'], grantType: 'client_credentials' })));
results.push(await cpuPerOp('refresh token codec: issue (seal, AES-256-GCM)', () => undefined, () => ctx.refreshTokenCodec.issue(CLIENT_ID, 2e9)));
const sealed = await ctx.refreshTokenCodec.issue(CLIENT_ID, 2e9);
results.push(await cpuPerOp('refresh token codec: open (unseal)', () => sealed.token, (t) => ctx.refreshTokenCodec.open(t)));
results.push(await cpuPerOp('W1 whole core: serveTokenRequest(PlainRequest) → PlainResult', () => plain('/token', W1), async (r) => ok(await server.serveTokenRequest(r))));
// Enough never-used tokens for the warm-up and every batch of the timing (a W2 request costs 100-600 µs).
const pool = await app.mintRefresh(Math.max(1000, n) + Math.ceil(150_000 / 80 / n + 1) * n);
let k = 0;
results.push(await cpuPerOp('W2 whole core: serveTokenRequest(PlainRequest) → PlainResult', () => plain('/token', `grant_type=refresh_token&refresh_token=${encodeURIComponent(pool[k++])}`), async (r) => ok(await server.serveTokenRequest(r))));
const token = floorToken();
const [h, p, s] = token.split('.');
const signature = Buffer.from(s, 'base64url');
results.push(await cpuPerOp('floor: verify + JSON.parse (its W3 work)', () => undefined, () => {
  if (!verify(digest, Buffer.from(`${h}.${p}`), keys.publicKey, signature)) throw new Error('bad signature');
  return JSON.parse(Buffer.from(p, 'base64url').toString());
}));
const accessToken = await app.mintAccess();
results.push(await cpuPerOp('W3 whole core: rs.validateAuthorization(header)', () => `Bearer ${accessToken}`, (value) => rs.validateAuthorization(value)));
const W4 = `token=${accessToken}&token_type_hint=access_token`;
results.push(await cpuPerOp('W4 whole core: serveIntrospectionRequest(PlainRequest) → PlainResult', () => plain('/introspect', W4), async (r) => ok(await server.serveIntrospectionRequest(r))));
process.stdout.write(JSON.stringify({ alg, iterations: n, results }));
