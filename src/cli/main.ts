import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { loadConfig, SERVER_OPTIONS } from '../server/config.js';
import { startServer } from '../server/start-server.js';
import { runAdminCommand } from './admin-commands.js';
import { UsageError } from './cli-error.js';
import { helpText } from './help.js';

const ADMIN_FLAGS = {
  name: { type: 'string' },
  id: { type: 'string' },
  'grant-types': { type: 'string' },
  scopes: { type: 'string' },
  'redirect-uris': { type: 'string' },
  public: { type: 'boolean' },
  'secret-stdin': { type: 'boolean' },
  'secret-file': { type: 'string' },
  'can-introspect': { type: 'boolean' },
  'no-remember-consent': { type: 'boolean' },
  'remember-consent': { type: 'boolean' },
  permissions: { type: 'string' },
  username: { type: 'string' },
  password: { type: 'string' },
  description: { type: 'string' },
  scope: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const SERVER_FLAGS = Object.fromEntries(SERVER_OPTIONS.map((o) => [o.flag, { type: 'string' as const }]));

/**
 * The `grantry` command. Returns the exit status: 0 on success, 1 on a runtime failure, 2 on a usage mistake.
 * Errors are one line on stderr, never a stack trace (set `GRANTRY_DEBUG=1` for one).
 *
 * @example
 * ```ts
 * process.exitCode = await main(['clients', 'list', '--json'], process.env);
 * ```
 */
export async function main(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  let json = false;
  try {
    const { values, positionals } = parseArgs({ args: [...argv], options: { ...SERVER_FLAGS, ...ADMIN_FLAGS }, allowPositionals: true, strict: true });
    json = values.json === true;
    if (values.help === true || positionals.length === 0 || positionals[0] === 'help') {
      process.stdout.write(helpText());
      return 0;
    }
    const config = loadConfig(values, env);
    if (positionals[0] === 'serve') return await serve(config);
    const out = await runAdminCommand(positionals, values, config);
    process.stdout.write((json ? JSON.stringify(out.json, null, 2) : out.text) + '\n');
    return 0;
  } catch (error) {
    const usage = error instanceof UsageError || String((error as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS');
    const message = error instanceof Error ? error.message : String(error);
    if (json) process.stderr.write(JSON.stringify({ error: message }) + '\n');
    else process.stderr.write(`grantry: ${message}\n`);
    if (env.GRANTRY_DEBUG && error instanceof Error) process.stderr.write(`${error.stack ?? ''}\n`);
    return usage ? 2 : 1;
  }
}

async function serve(config: ReturnType<typeof loadConfig>): Promise<number> {
  const log = (line: Record<string, unknown>) => process.stdout.write(JSON.stringify({ time: new Date().toISOString(), ...line }) + '\n');
  const started = await startServer(config, { log });
  log({ level: 'info', msg: 'listening', issuer: started.issuer, port: started.port, database: started.store.storage.engine, grants: config.grants });
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log({ level: 'info', msg: 'shutting down', signal, shutdown_delay_s: config.shutdownDelay, shutdown_timeout_s: config.shutdownTimeout });
      // The drain is bounded by --shutdown-timeout; should the database then not close, exit anyway soon after.
      setTimeout(() => {
        log({ level: 'error', msg: 'shutdown did not finish in time; exiting' });
        process.exit(1);
      }, (config.shutdownTimeout + 2) * 1000).unref();
      started.stop().then(
        (clean) => {
          if (clean) log({ level: 'info', msg: 'stopped' });
          else log({ level: 'warn', msg: 'stopped; connections still open at --shutdown-timeout were cut' });
          resolve(clean ? 0 : 1);
        },
        (error: unknown) => {
          log({ level: 'error', msg: 'shutdown failed', error: error instanceof Error ? error.message : String(error) });
          resolve(1);
        },
      );
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}

// Run when started as a script (`tsx src/cli/main.ts`, `node dist/cli/main.js`); bin/grantry.js calls main() itself.
const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(realpathSync(entry)).href) {
  process.exitCode = await main(process.argv.slice(2), process.env);
}
