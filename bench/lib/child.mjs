// Starts a server child pinned to one core and talks to it over IPC.
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SERVER = fileURLToPath(new URL('../servers/server.mjs', import.meta.url));
export const HAS_TASKSET = spawnSync('taskset', ['-c', '0', 'true']).status === 0;

/** Runs `node ARGS` pinned to `core` (when taskset exists). */
export function spawnPinned(core, args, options) {
  return HAS_TASKSET
    ? spawn('taskset', ['-c', String(core), process.execPath, ...args], options)
    : spawn(process.execPath, args, options);
}

/**
 * Starts one server (`spec` names the implementation and its configuration) on core 0.
 * Resolves with `{ port, workloads, format, call(cmd, arg), stop() }` once it listens.
 */
export function startServer(spec, { core = 0, nodeArgs = [], timeoutMs = 60_000 } = {}) {
  const child = spawnPinned(core, [...nodeArgs, SERVER], {
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    env: { ...process.env, BENCH_SPEC: JSON.stringify(spec) },
  });
  // oidc-provider's start-up notices (development adapter, Node version) are expected: keep the rest.
  let pendingText = '';
  child.stderr.on('data', (chunk) => {
    const lines = (pendingText + chunk).split('\n');
    pendingText = lines.pop();
    for (const line of lines) if (!/^oidc-provider (WARNING|NOTICE)/.test(line)) process.stderr.write(`  [${spec.name}] ${line}\n`);
  });
  let next = 0;
  const pending = new Map();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${spec.name}: did not start within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      for (const { reject: r } of pending.values()) r(new Error(`${spec.name}: exited (${code ?? signal})`));
      pending.clear();
      reject(new Error(`${spec.name}: exited before it was ready (${code ?? signal})`));
    });
    child.on('message', (msg) => {
      if (msg.ready !== undefined) {
        clearTimeout(timer);
        const call = (cmd, arg) =>
          new Promise((res, rej) => {
            const id = next++;
            pending.set(id, { resolve: res, reject: rej });
            child.send({ id, cmd, arg });
          });
        const stop = async () => {
          if (child.exitCode !== null) return;
          const exited = new Promise((r) => child.once('exit', r));
          await Promise.race([call('stop').catch(() => undefined), new Promise((r) => setTimeout(r, 3000))]);
          const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
          await exited;
          clearTimeout(killer);
        };
        resolve({ port: msg.ready, workloads: msg.workloads, format: msg.format, notes: msg.notes, pid: child.pid, call, stop });
        return;
      }
      const p = pending.get(msg.id);
      if (!p) return;
      pending.delete(msg.id);
      if (msg.error) p.reject(new Error(`${spec.name}: ${msg.error}`));
      else p.resolve(msg.result);
    });
  });
}
