import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { configToEnv, type DeploymentConfig } from './deployment.js';

const SCRIPT = fileURLToPath(new URL('./storage-server.ts', import.meta.url));

/** A token endpoint in a separate OS process. */
export interface ChildServer {
  readonly url: string;
  readonly child: ChildProcess;
  /** Sends the signal and waits for the process to exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts `storage-server.ts` under `node --import tsx` and waits until it listens. */
export function spawnServer(config: DeploymentConfig): Promise<ChildServer> {
  const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT], {
    env: { ...process.env, ...configToEnv(config) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`the server did not start in time: ${stderr}`)), 30_000);
    const fail = (error: Error): void => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    };
    const early = (code: number | null): void => fail(new Error(`the server exited (${code}) before listening: ${stderr}`));
    child.once('exit', early);
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /LISTENING (\d+)/.exec(stdout);
      if (!match) return;
      clearTimeout(timer);
      child.off('exit', early);
      resolve({
        url: `http://127.0.0.1:${match[1]}/token`,
        child,
        stop: async (signal = 'SIGTERM') => {
          if (child.exitCode === null && child.signalCode === null) child.kill(signal);
          await exited;
        },
      });
    });
  });
}
