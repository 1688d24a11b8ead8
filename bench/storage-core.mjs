#!/usr/bin/env node
// The refresh grant's core (serveTokenRequest on a PlainRequest, a never-used token each time) on each storage, in
// process: CPU and wall µs per refresh. With --profile DIR, a CPU profile of the timed loop (sampled every 2 ms: a
// finer interval's signals cut SQLite's busy-handler sleeps short, which a server never sees).
//   node bench/storage-core.mjs [--alg EdDSA] [--n 3000] [--storages memory,sqlite,postgres] [--profile DIR]
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildGrantry } from './lib/build-grantry.mjs';
import { writeKeys } from './lib/keys.mjs';
import { BASIC } from './lib/shared.mjs';

const { values: args } = parseArgs({ options: { alg: { type: 'string', default: 'EdDSA' }, n: { type: 'string', default: '3000' }, storages: { type: 'string', default: 'memory,sqlite,postgres' }, profile: { type: 'string' } } });
const buildDir = join(fileURLToPath(new URL('.', import.meta.url)), '.build');
const keysDir = writeKeys(join(buildDir, 'keys'));
process.env.BENCH_GRANTRY_BUNDLE = (await buildGrantry(join(buildDir, 'grantry'))).outfile;
const { create } = await import('./servers/grantry.mjs');
const n = Number(args.n);
const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
for (const storage of args.storages.split(',')) {
  const app = await create({ impl: 'grantry', framework: 'node', alg: args.alg, storage, keysDir, scratchDir: buildDir, databaseUrl });
  const { g, server } = app.internals;
  const plain = (text) => {
    const headers = { 'content-type': 'application/x-www-form-urlencoded', authorization: BASIC, 'content-length': String(text.length) };
    return new g.PlainRequest('POST', 'http://127.0.0.1/token', { get: (name) => headers[name] ?? null }, Buffer.from(text));
  };
  const pool = await app.mintRefresh(n * 2);
  let k = 0;
  const refresh = async () => {
    const result = await server.serveTokenRequest(plain(`grant_type=refresh_token&refresh_token=${encodeURIComponent(pool[k++])}`));
    if (result.status !== 200) throw new Error(result.body);
  };
  for (let i = 0; i < n; i++) await refresh();
  let session;
  if (args.profile) {
    const { Session } = await import('node:inspector/promises');
    session = new Session();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 2000 });
    await session.post('Profiler.start');
  }
  const cpu = process.cpuUsage();
  const wall = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await refresh();
  const d = process.cpuUsage(cpu);
  console.log(`${storage} ${args.alg} W2 core: ${((d.user + d.system) / n).toFixed(1)} CPU µs, ${(Number(process.hrtime.bigint() - wall) / n / 1000).toFixed(1)} wall µs per refresh`);
  if (session) {
    const { profile } = await session.post('Profiler.stop');
    mkdirSync(args.profile, { recursive: true });
    writeFileSync(join(args.profile, `W2-${storage}-${args.alg}.cpuprofile`), JSON.stringify(profile));
  }
  await app.close();
}
process.exit(0);
