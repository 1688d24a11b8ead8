import { readFileSync, realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { loadConfig, SERVER_OPTIONS, type ServerConfig } from '../server/config.js';
import { closestName } from '../server/closest-name.js';
import { filterLog } from '../server/log-level.js';
import { startServer } from '../server/start-server.js';
import { startBanner } from '../server/home-page.js';
import { runAdminCommand } from './admin-commands.js';
import { UsageError } from './cli-error.js';
import { COMMANDS, helpText } from './help.js';
import { secondsToMs } from '../tokens/time-units.js';

/** The flags of each administrative command (every command also takes the options of serve, for the database). */
const COMMAND_FLAGS = {
  clients: {
    name: { type: 'string' },
    id: { type: 'string' },
    'grant-types': { type: 'string' },
    scopes: { type: 'string' },
    'redirect-uris': { type: 'string' },
    public: { type: 'boolean' },
    'secret-stdin': { type: 'boolean' },
    'secret-file': { type: 'string' },
    'can-introspect': { type: 'boolean' },
    'dpop-bound': { type: 'boolean' },
    'no-dpop-bound': { type: 'boolean' },
    permissions: { type: 'string' },
    'access-token-format': { type: 'string' },
    'no-remember-consent': { type: 'boolean' },
    'remember-consent': { type: 'boolean' },
    resource: { type: 'string', multiple: true },
    'auth-method': { type: 'string' },
    'jwks-file': { type: 'string' },
    'jwks-uri': { type: 'string' },
    'require-par': { type: 'boolean' },
    'no-require-par': { type: 'boolean' },
  },
  users: {
    username: { type: 'string' },
    password: { type: 'string' },
    'password-stdin': { type: 'boolean' },
  },
  scopes: {
    description: { type: 'string' },
    scope: { type: 'string' },
  },
  'registration-tokens': {
    description: { type: 'string' },
    'expires-in': { type: 'string' },
    uses: { type: 'string' },
  },
  resources: {
    name: { type: 'string' },
    scopes: { type: 'string' },
    'access-token-ttl': { type: 'string' },
    'access-token-format': { type: 'string' },
  },
} as const;

const GLOBAL_FLAGS = {
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as const;

const ADMIN_FLAGS = { ...COMMAND_FLAGS.clients, ...COMMAND_FLAGS.users, ...COMMAND_FLAGS.scopes, ...COMMAND_FLAGS['registration-tokens'], ...COMMAND_FLAGS.resources, ...GLOBAL_FLAGS };

const SERVER_FLAGS = Object.fromEntries(SERVER_OPTIONS.map((o) => [o.flag, { type: 'string' as const }]));

/** A problem in the settings (flag, environment variable, config file): a usage error, reported as `config_error`. */
class ConfigError extends UsageError {}

/** `grantry --version`: the version in the package's own package.json (two levels up from src/cli and dist/cli). */
function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** Refuses a flag of another command (`serve --name`), which would otherwise be ignored. */
function checkFlagsOf(command: string, values: Record<string, unknown>): void {
  const own: Record<string, unknown> = command in COMMAND_FLAGS ? COMMAND_FLAGS[command as keyof typeof COMMAND_FLAGS] : {};
  for (const [flag, value] of Object.entries(values)) {
    if (value === undefined || flag in GLOBAL_FLAGS || flag in SERVER_FLAGS || flag in own) continue;
    throw new UsageError(`${command} does not take --${flag}; see grantry ${command} --help`);
  }
}

/**
 * The `grantry` command. Returns the exit status: 0 on success, 1 on a runtime failure (database, keys, network), 2
 * on a usage mistake (unknown command or flag, bad value, bad configuration). Errors are one line on stderr, never a
 * stack trace (set `GRANTRY_DEBUG=1` for one); with `--json` they are `{"error":{"code","message"}}` on stderr, the
 * code being `usage_error`, `config_error` or `runtime_error`. A bare `grantry` prints the help on stderr and exits 2.
 *
 * @example
 * ```ts
 * process.exitCode = await main(['clients', 'list', '--json'], process.env);
 * ```
 */
export async function main(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const json = argv.includes('--json');
  const print = (value: unknown, text: string) => process.stdout.write((json ? JSON.stringify(value, null, 2) : text) + '\n');
  try {
    const { values, positionals } = parseArgs({ args: [...argv], options: { ...SERVER_FLAGS, ...ADMIN_FLAGS }, allowPositionals: true, strict: true });
    const [command, ...rest] = positionals;
    if (values.version === true) {
      print({ version: version() }, `grantry ${version()}`);
      return 0;
    }
    if (command === undefined && values.help !== true) {
      process.stderr.write(helpText());
      return 2;
    }
    const helpOf = command === 'help' ? rest[0] : command;
    if (helpOf !== undefined && !COMMANDS.includes(helpOf)) {
      const near = closestName(helpOf, COMMANDS);
      throw new UsageError(`unknown command ${[command, ...rest].join(' ')}${near ? ` (did you mean ${near}?)` : ''}; see grantry --help`);
    }
    if (values.help === true || command === 'help') {
      const text = helpText(helpOf);
      print({ help: text }, text.trimEnd());
      return 0;
    }
    checkFlagsOf(command!, values);
    let config: ServerConfig;
    try {
      const { resource: _resources, ...settings } = values; // the one repeatable flag is no setting
      config = loadConfig(settings, env);
    } catch (error) {
      throw new ConfigError(error instanceof Error ? error.message : String(error));
    }
    if (command === 'serve') {
      if (rest.length > 0) throw new UsageError(`serve takes no argument (got ${rest.join(' ')})`);
      return await serve(config);
    }
    const out = await runAdminCommand(positionals, values, config);
    print(out.json, out.text);
    return 0;
  } catch (error) {
    const usage = error instanceof UsageError || String((error as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS');
    const code = error instanceof ConfigError ? 'config_error' : usage ? 'usage_error' : 'runtime_error';
    const message = error instanceof Error ? error.message : String(error);
    if (json) process.stderr.write(JSON.stringify({ error: { code, message } }) + '\n');
    else process.stderr.write(`grantry: ${message}\n`);
    if (env.GRANTRY_DEBUG && error instanceof Error) process.stderr.write(`${error.stack ?? ''}\n`);
    return usage ? 2 : 1;
  }
}

async function serve(config: ServerConfig): Promise<number> {
  const log = filterLog(config.logLevel, (line) => process.stdout.write(JSON.stringify({ time: new Date().toISOString(), ...line }) + '\n'));
  const started = await startServer(config, { log });
  log({
    level: 'info',
    msg: 'listening',
    issuer: started.issuer,
    port: started.port,
    ...(started.metricsPort === undefined ? {} : { metrics_port: started.metricsPort }),
    database: started.store.storage.engine,
    grants: config.grants,
  });
  // For a person: where the server is and the next commands (stderr, so stdout stays one JSON object per line).
  process.stderr.write(startBanner(started.issuer, cliFlagsOf(config)));
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
      }, secondsToMs(config.shutdownTimeout + 2)).unref();
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

/** The flags that point `grantry <command>` at the store this server runs on, when it is not the default. */
function cliFlagsOf(config: ReturnType<typeof loadConfig>): string {
  if (/^postgres(ql)?:/.test(config.database)) return ' --database "$DATABASE_URL"'; // never the URL: it may hold a password
  const defaultDir = resolve('./data');
  if (config.dataDir !== defaultDir) return ` --data-dir ${JSON.stringify(config.dataDir)}`;
  return config.database === resolve(defaultDir, 'grantry.db') ? '' : ` --database ${JSON.stringify(config.database)}`;
}

// Run when started as a script (`tsx src/cli/main.ts`, `node dist/cli/main.js`); bin/grantry.js calls main() itself.
const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(realpathSync(entry)).href) {
  process.exitCode = await main(process.argv.slice(2), process.env);
}
