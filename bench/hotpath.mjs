// In-process CPU cost of grantry's Node hot path, with no peers and no taskset: each source tree given is bundled
// (esbuild) and served by its own child process (oauthEndpointsListener, with withBearerToken as the fallback for
// W3) on 127.0.0.1. The parent drives it with a keep-alive client; the child reports process.cpuUsage() around the
// requests, so the client's work and other processes on the machine do not count. Trees are measured in turns
// within each round, so their figures come from the same moment; the median over rounds is printed.
//
//   node bench/hotpath.mjs [--root DIR]... [--rounds 5] [--requests 3000] [--connections 8]
//
// With no --root, the current tree. To compare with a commit: git archive <commit> | tar -x -C /tmp/before, then
// `--root /tmp/before --root .`.
import { fork } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import http from 'node:http';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const SELF = fileURLToPath(import.meta.url);
const CLIENT_ID = 'bench-client';
const CLIENT_SECRET = 'bench-secret-3f9a1c7e5b2d4a6c8e0f1a3b5c7d9e1f';
const BASIC = 'Basic ' + Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64');

if (process.env.HOTPATH_CHILD) await child();
else await parent();

async function bundle(root, outDir) {
  const { build } = await import('esbuild');
  mkdirSync(outDir, { recursive: true });
  const outfile = join(outDir, 'grantry.mjs');
  const contents = [
    `export * from '${root}/src/index.ts';`,
    `export { createMemoryStorage } from '${root}/src/storage/memory/index.ts';`,
    `export * as nodeHttp from '${root}/src/http/node.ts';`,
  ].join('\n');
  await build({ stdin: { contents, resolveDir: root, loader: 'ts' }, outfile, bundle: true, format: 'esm', platform: 'node', target: 'node20', external: ['better-sqlite3', 'pg'], logLevel: 'error' });
  return outfile;
}

async function child() {
  const g = await import(process.env.HOTPATH_BUNDLE);
  const alg = process.env.HOTPATH_ALG;
  const { privateKey } = alg === 'EdDSA' ? generateKeyPairSync('ed25519') : generateKeyPairSync('rsa', { modulusLength: 2048 });
  const client = {
    id: CLIENT_ID, name: 'bench', secretHash: await g.hashClientSecret(CLIENT_SECRET), redirectUris: ['http://127.0.0.1/cb'],
    grantTypes: ['client_credentials'], scopes: ['read', 'write'],
  };
  const storage = g.createMemoryStorage({ clients: [client], scopes: ['read', 'write'] });
  const server = new g.AuthorizationServer({
    clients: storage.clients, accessTokens: storage.accessTokens, scopes: storage.scopes, refreshTokens: storage.refreshTokens,
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }), encryptionKey: Buffer.alloc(32, 7).toString('base64'),
    issuer: 'http://127.0.0.1', audience: 'urn:bench:api',
  });
  server.enableGrantType(new g.ClientCredentialsGrant(), 'PT1H');
  const rs = await g.ResourceServer.forAuthorizationServer(server, { checkRevocation: false });
  const api = g.nodeHttp.toNodeHandler(g.nodeHttp.withBearerToken(rs, async (_r, claims) => Response.json({ sub: claims.sub ?? null, scope: claims.scope })));
  const listener = g.nodeHttp.oauthEndpointsListener(server, { fallback: api });
  let count = 0;
  const srv = http.createServer((req, res) => { count++; listener(req, res); });
  srv.keepAliveTimeout = 60_000;
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  let start;
  process.on('message', (m) => {
    if (m === 'start') { count = 0; start = process.cpuUsage(); process.send({ started: true }); }
    else if (m === 'stop') { const u = process.cpuUsage(start); process.send({ us: (u.user + u.system) / count, count }); }
    else if (m === 'exit') process.exit(0);
  });
  process.send({ port: srv.address().port });
}

function ask(proc, message) {
  return new Promise((r) => { proc.once('message', r); proc.send(message); });
}

function request(agent, port, spec) {
  return new Promise((resolvePromise, reject) => {
    const req = http.request({ host: '127.0.0.1', port, agent, method: spec.method, path: spec.path, headers: spec.headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => (res.statusCode === 200 ? resolvePromise(Buffer.concat(chunks)) : reject(new Error(`${spec.path}: ${res.statusCode} ${Buffer.concat(chunks)}`))));
    });
    req.on('error', reject);
    req.end(spec.body);
  });
}

async function drive(agent, port, spec, n, connections) {
  let next = 0;
  const worker = async () => { while (next++ < n) await request(agent, port, spec); };
  await Promise.all(Array.from({ length: connections }, worker));
}

async function parent() {
  const { values } = parseArgs({ options: { root: { type: 'string', multiple: true }, rounds: { type: 'string', default: '5' }, requests: { type: 'string', default: '3000' }, connections: { type: 'string', default: '8' } } });
  const roots = (values.root ?? ['.']).map((r) => resolve(r));
  const rounds = Number(values.rounds), n = Number(values.requests), connections = Number(values.connections);
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const form = (body) => ({ method: 'POST', path: '/token', headers: { authorization: BASIC, 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) }, body });
  const servers = [];
  for (const [i, root] of roots.entries()) {
    const file = await bundle(root, `/tmp/hotpath-bundle-${process.pid}-${i}`);
    for (const alg of ['RS256', 'EdDSA']) {
      const proc = fork(SELF, [], { env: { ...process.env, HOTPATH_CHILD: '1', HOTPATH_BUNDLE: file, HOTPATH_ALG: alg } });
      const { port } = await new Promise((r) => proc.once('message', r));
      const token = JSON.parse(await request(agent, port, form('grant_type=client_credentials&scope=read'))).access_token;
      const workloads = {
        W1: form('grant_type=client_credentials&scope=read'),
        W3: { method: 'GET', path: '/resource', headers: { authorization: `Bearer ${token}` } },
        W4: { ...form(`token=${token}`), path: '/introspect' },
      };
      servers.push({ root, alg, proc, port, workloads });
    }
  }
  // One unrecorded pass first, so that every server is past V8's tiers before the rounds start.
  for (const s of servers) for (const spec of Object.values(s.workloads)) await drive(agent, s.port, spec, 1000, connections);
  const results = new Map();
  for (let round = 0; round < rounds; round++) {
    for (const s of servers) {
      for (const [name, spec] of Object.entries(s.workloads)) {
        const count = name === 'W1' && s.alg === 'RS256' ? Math.ceil(n / 4) : n;
        await drive(agent, s.port, spec, Math.min(200, count), connections); // warm-up
        await ask(s.proc, 'start');
        await drive(agent, s.port, spec, count, connections);
        const { us } = await ask(s.proc, 'stop');
        const key = `${name} ${s.alg}\t${s.root}`;
        results.set(key, [...(results.get(key) ?? []), us]);
      }
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(`CPU µs per request, median of ${rounds} rounds (${n} requests, ${connections} keep-alive connections)`);
  for (const [key, xs] of [...results].sort()) console.log(`${key}\t${median(xs).toFixed(1)}\t[${xs.map((x) => x.toFixed(0)).join(' ')}]`);
  for (const s of servers) s.proc.send('exit');
  agent.destroy();
}
