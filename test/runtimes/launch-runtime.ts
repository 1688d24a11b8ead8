// Starts the flows app (flows-app.ts) on Bun, Deno or workerd, each through its own HTTP serving, on a port the
// runtime chose, and says where it listens. The binaries come from the npm packages `bun`, `deno` and `workerd`
// (devDependencies): their per-platform packages hold the executables, so no install script has to have run.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { FlowsAppEnv } from './flows-app.js';

export type RuntimeName = 'bun' | 'deno' | 'workerd';

export interface RunningRuntime {
  readonly url: string;
  /** What the runtime printed on stderr so far, for failure messages. */
  stderr(): string;
  stop(): Promise<void>;
}

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const START_TIMEOUT_MS = 30_000;

const arch = process.arch;
const platform = process.platform;
// Where each package keeps the executable: its per-platform package, or the main package once its install script
// has moved (bun) or linked (deno, workerd) it there.
const BINARIES: Record<RuntimeName, string[]> = {
  bun: [join('@oven', `bun-${platform}-${arch === 'arm64' ? 'aarch64' : arch}`, 'bin', 'bun'), join('bun', 'bin', 'bun.exe')],
  deno: [join('@deno', `${platform}-${arch}${platform === 'linux' ? '-glibc' : ''}`, 'deno'), join('deno', 'deno')],
  workerd: [join('@cloudflare', `workerd-${platform}-${arch === 'x64' ? '64' : arch}`, 'bin', 'workerd')],
};
// The main packages hold small placeholder scripts until their install script ran; the real binaries are large.
const MIN_BINARY_BYTES = 1_000_000;

/** The runtime's executable, or `undefined` when its packages hold no build for this platform. */
export function runtimeBinary(name: RuntimeName): string | undefined {
  return BINARIES[name]
    .map((path) => join(root, 'node_modules', path))
    .find((path) => existsSync(path) && statSync(path).size > MIN_BINARY_BYTES);
}

/** Waits for the first `{"port":N}` JSON line on a stream; fails with the runtime's stderr after a bounded wait. */
function waitForPort(child: ChildProcess, stream: NodeJS.ReadableStream, stderr: () => string): Promise<number> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => fail(new Error(`did not listen within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
    const fail = (error: Error): void => {
      clearTimeout(timer);
      reject(new Error(`${error.message}\n${stderr()}`));
    };
    stream.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      for (const line of buffered.split('\n')) {
        const port = /"port":\s*(\d+)/.exec(line)?.[1];
        if (port) {
          clearTimeout(timer);
          resolve(Number(port));
        }
      }
    });
    child.once('exit', (code) => fail(new Error(`exited with code ${code} before listening`)));
    child.once('error', fail);
  });
}

async function start(command: string, args: string[], env: FlowsAppEnv, portFd: 1 | 3, cwd = root): Promise<RunningRuntime> {
  const child = spawn(command, args, {
    cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1' },
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
  child.stdout!.resume();
  const portStream = (portFd === 1 ? child.stdout : child.stdio[3]) as NodeJS.ReadableStream;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let port: number;
  try {
    port = await waitForPort(child, portStream, () => stderr);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    url: `http://127.0.0.1:${port}`,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(killer);
    },
  };
}

/** Bundles worker.ts for workerd: ESM, code-split so that the node:crypto backend stays in a chunk never loaded. */
async function bundleWorker(outdir: string): Promise<string[]> {
  await build({
    entryPoints: [join(here, 'worker.ts')],
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    external: ['node:*'],
    logLevel: 'silent',
  });
  return readdirSync(outdir).filter((f) => f.endsWith('.js'));
}

function workerdConfig(modules: string[], env: FlowsAppEnv): string {
  const list = ['worker.js', ...modules.filter((m) => m !== 'worker.js')]; // the main module comes first
  const bindings = Object.keys(env).map((name) => `(name = "${name}", fromEnvironment = "${name}")`);
  return `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "main", worker = .worker) ],
  sockets = [ (name = "http", address = "127.0.0.1:0", http = (), service = "main") ],
);
const worker :Workerd.Worker = (
  modules = [ ${list.map((m) => `(name = "${m}", esModule = embed "${m}")`).join(', ')} ],
  compatibilityDate = "2025-09-01",
  bindings = [ ${bindings.join(', ')} ],
);
`;
}

/** Starts the flows app on one runtime. */
export async function launchRuntime(name: RuntimeName, env: FlowsAppEnv): Promise<RunningRuntime> {
  const binary = runtimeBinary(name);
  if (!binary) throw new Error(`no ${name} binary for ${platform}-${arch}`);
  if (name === 'bun') return start(binary, [join(here, 'bun-serve.ts')], env, 1);
  if (name === 'deno') {
    const args = ['run', '--quiet', '--no-config', '--no-lock', '--sloppy-imports', '--allow-env', '--allow-net=127.0.0.1', join(here, 'deno-serve.ts')];
    return start(binary, args, env, 1);
  }
  const dir = mkdtempSync(join(tmpdir(), 'grantry-workerd-'));
  try {
    writeFileSync(join(dir, 'config.capnp'), workerdConfig(await bundleWorker(dir), env));
    const running = await start(binary, ['serve', 'config.capnp', '--control-fd=3'], env, 3, dir);
    return { ...running, stop: async () => { await running.stop(); rmSync(dir, { recursive: true, force: true }); } };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
