#!/usr/bin/env node
// Bytes allocated per W1 request, in process: the floor's W1 work (form, claims, sign, JSON) against grantry's core
// (serveTokenRequest on a PlainRequest), sampled by V8's heap profiler with collected objects included.
//   node bench/allocation.mjs [EdDSA|RS256]      (builds the bundle and keys under bench/.build as run.mjs does)
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildGrantry } from './lib/build-grantry.mjs';
import { writeKeys } from './lib/keys.mjs';
import { BASIC } from './lib/shared.mjs';

const alg = process.argv[2] ?? 'EdDSA';
const buildDir = join(fileURLToPath(new URL('.', import.meta.url)), '.build');
const keysDir = writeKeys(join(buildDir, 'keys'));
process.env.BENCH_GRANTRY_BUNDLE = (await buildGrantry(join(buildDir, 'grantry'))).outfile;
const { create: floorCreate } = await import('./servers/floor.mjs');
const { create: grantryCreate } = await import('./servers/grantry.mjs');
const n = 20000;

async function sample(label, fn) {
  for (let i = 0; i < 3000; i++) await fn();
  const session = new Session();
  session.connect();
  await session.post('HeapProfiler.enable');
  await session.post('HeapProfiler.startSampling', { samplingInterval: 256, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  for (let i = 0; i < n; i++) await fn();
  const { profile } = await session.post('HeapProfiler.stopSampling');
  let total = 0;
  const walk = (node) => { total += node.selfSize; node.children.forEach(walk); };
  walk(profile.head);
  session.disconnect();
  console.log(`${alg} ${label.padEnd(44)} ${(total / n).toFixed(0)} bytes allocated per request`);
}

const floor = await floorCreate({ alg, format: 'jwt', keysDir, framework: 'node' });
await sample('floor W1 work (form, claims, sign, JSON)', () =>
  JSON.stringify({ access_token: floor.mintAccess(), grant: new URLSearchParams('grant_type=client_credentials&scope=read%20write').get('grant_type') }));
const app = await grantryCreate({ impl: 'grantry', framework: 'node', alg, storage: 'memory', keysDir });
const { g, server } = app.internals;
const body = Buffer.from('grant_type=client_credentials&scope=read%20write');
const headers = { 'content-type': 'application/x-www-form-urlencoded', authorization: BASIC, 'content-length': String(body.length) };
await sample('grantry W1 core (serveTokenRequest)', async () => {
  const result = await server.serveTokenRequest(new g.PlainRequest('POST', 'http://127.0.0.1/token', { get: (name) => headers[name] ?? null }, body));
  if (result.status !== 200) throw new Error(result.body);
});
process.exit(0);
