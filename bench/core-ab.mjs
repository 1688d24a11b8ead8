#!/usr/bin/env node
// In-process A/B of grantry's core (no HTTP): each source tree given is bundled into this one process, a server built
// on each (in memory), and the rounds alternate between the trees, so that both see the same moment of a drifting
// machine; prints CPU µs per call (median over rounds) of W1-W4 on the Node adapters' plain path. Run it in both
// orders: the tree measured first can come out a few percent slower.
//   git archive <commit> | tar -x -C /tmp/before && ln -s "$PWD/node_modules" /tmp/before/node_modules
//   node bench/core-ab.mjs /tmp/before .        (env: ALG=EdDSA|RS256, ROUNDS, N, WORK=W1,W2; PROFILE=dir or
//                                                HEAPPROF=file for a CPU or allocation profile of the rounds)
import { tmpdir } from 'node:os';
import { resolve } from 'node:path';
import { build } from 'esbuild';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
const roots = process.argv.slice(2).map((r) => resolve(r));
const alg = process.env.ALG ?? 'EdDSA';
const ROUNDS = Number(process.env.ROUNDS ?? 7), N = Number(process.env.N ?? (alg === 'EdDSA' ? 4000 : 800));
const { privateKey } = alg === 'EdDSA' ? generateKeyPairSync('ed25519') : generateKeyPairSync('rsa', { modulusLength: 2048 });
const pem = privateKey.export({ type: 'pkcs8', format: 'pem' });
const CLIENT_ID = 'bench-client', SECRET = 'bench-secret-3f9a1c7e5b2d4a6c8e0f1a3b5c7d9e1f';
const BASIC = 'Basic ' + Buffer.from(`${CLIENT_ID}:${SECRET}`).toString('base64');
const setups = [];
for (const [i, root] of roots.entries()) {
  const out = `${tmpdir()}/grantry-core-ab-${process.pid}-${i}.mjs`;
  await build({ stdin: { contents: [`export * from '${root}/src/index.ts';`, `export { createMemoryStorage } from '${root}/src/storage/memory/index.ts';`, `export { PlainRequest } from '${root}/src/contracts/plain-request.ts';`].join('\n'), resolveDir: root, loader: 'ts' }, outfile: out, bundle: true, format: 'esm', platform: 'node', target: 'node20', external: ['better-sqlite3', 'pg'], logLevel: 'error' });
  const g = await import(out);
  const client = { id: CLIENT_ID, name: 'b', secretHash: await g.hashClientSecret(SECRET), redirectUris: ['http://127.0.0.1/cb'], grantTypes: ['client_credentials', 'refresh_token'], scopes: ['read', 'write'] };
  const storage = g.createMemoryStorage({ clients: [client], scopes: ['read', 'write'] });
  const server = new g.AuthorizationServer({ clients: storage.clients, accessTokens: storage.accessTokens, scopes: storage.scopes, refreshTokens: storage.refreshTokens, privateKey: pem, encryptionKey: Buffer.alloc(32, 7).toString('base64'), issuer: 'http://127.0.0.1', audience: 'urn:bench:api' });
  server.enableGrantType(new g.ClientCredentialsGrant(), 'PT1H');
  server.enableGrantType(new g.RefreshTokenGrant(storage.refreshTokens), 'PT1H');
  const ctx = await server.context();
  const rs = await g.ResourceServer.forAuthorizationServer(server, { checkRevocation: false });
  const hdr = (h) => ({ get: (n) => h[n] ?? null });
  const mk = (b, path = '/token') => new g.PlainRequest('POST', 'http://127.0.0.1' + path, hdr({ authorization: BASIC, 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(b.length) }), b);
  const w1 = Buffer.from('grant_type=client_credentials&scope=read%20write');
  const at = JSON.parse((await server.serveTokenRequest(mk(w1))).body).access_token;
  const ib = Buffer.from('token=' + encodeURIComponent(at) + '&token_type_hint=access_token');
  const mint = async (n) => {
    const out = []; const iat = Math.floor(Date.now() / 1000);
    for (let k = 0; k < n; k++) {
      const familyId = randomBytes(16).toString('base64url'); const jti = randomBytes(16).toString('base64url');
      const { token, id } = await ctx.refreshTokenCodec.issue(CLIENT_ID, iat + 30 * 86400);
      await storage.accessTokens.save({ id: jti, clientId: CLIENT_ID, userId: 'user-1', scopes: ['read', 'write'], expiresAt: (iat + 3600) * 1000, familyId });
      await storage.refreshTokens.save({ id, familyId, clientId: CLIENT_ID, userId: 'user-1', scopes: ['read', 'write'], expiresAt: (iat + 30 * 86400) * 1000, accessTokenId: jti });
      out.push(Buffer.from('grant_type=refresh_token&refresh_token=' + encodeURIComponent(token)));
    }
    return out;
  };
  const ok = (r) => { if (r.status !== 200) throw new Error(r.body); };
  setups.push({ root, work: {
    W1: async () => ok(await server.serveTokenRequest(mk(w1))),
    W2: { prepare: mint, run: async (body) => ok(await server.serveTokenRequest(mk(body))) },
    W3: async () => { await rs.validateAuthorization('Bearer ' + at); },
    W4: async () => ok(await server.serveIntrospectionRequest(mk(ib, '/introspect'))),
  } });
}
const results = {};
const pools = new Map();
for (const s of setups) if (!process.env.WORK || process.env.WORK.includes('W2')) pools.set(s, await s.work.W2.prepare(N * (ROUNDS + 1)));
let session;
if (process.env.HEAPPROF) {
  const { Session } = await import('node:inspector/promises');
  session = new Session(); session.connect();
  await session.post('HeapProfiler.enable');
  await session.post('HeapProfiler.startSampling', { samplingInterval: 512, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
}
if (process.env.PROFILE) {
  const { Session } = await import('node:inspector/promises');
  session = new Session(); session.connect();
  await session.post('Profiler.enable'); await session.post('Profiler.setSamplingInterval', { interval: 100 }); await session.post('Profiler.start');
}
for (let round = -1; round < ROUNDS; round++) {
  for (const s of setups) {
    for (const [name, w] of Object.entries(s.work).filter(([n]) => !process.env.WORK || process.env.WORK.split(',').includes(n))) {
      let fn = w, bodies;
      if (w.prepare) { bodies = pools.get(s).splice(0, N); let k = 0; fn = () => w.run(bodies[k++]); }
      const t0 = process.cpuUsage();
      for (let i = 0; i < N; i++) await fn();
      const d = process.cpuUsage(t0);
      if (round >= 0) ((results[name] ??= {})[s.root] ??= []).push((d.user + d.system) / N);
    }
  }
}
if (session && process.env.HEAPPROF) { const { profile } = await session.post('HeapProfiler.stopSampling'); const fs = await import('node:fs'); fs.writeFileSync(process.env.HEAPPROF, JSON.stringify(profile)); session = undefined; }
if (session) { const { profile } = await session.post('Profiler.stop'); const fs = await import('node:fs'); fs.mkdirSync(process.env.PROFILE, { recursive: true }); fs.writeFileSync(process.env.PROFILE + '/x.cpuprofile', JSON.stringify(profile)); }
const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const [name, byRoot] of Object.entries(results)) {
  const base = med(byRoot[roots[0]]);
  console.log(alg, name, roots.map((r) => `${r.split('/').pop()}=${med(byRoot[r]).toFixed(1)}`).join('  '), roots.length > 1 ? `  ratio ${(med(byRoot[roots[1]]) / base).toFixed(3)}` : '');
}
