import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { toSeconds } from '../core/duration.js';

/** The grant types the ready server can enable, by their short names on the command line. */
export const GRANT_NAMES = {
  authorization_code: 'authorization_code',
  client_credentials: 'client_credentials',
  refresh_token: 'refresh_token',
  device_code: 'urn:ietf:params:oauth:grant-type:device_code',
  password: 'password',
  implicit: 'implicit',
} as const;

/**
 * A short grant name as `--grants` takes it.
 *
 * @example
 * ```ts
 * const grants: GrantName[] = ['client_credentials', 'device_code'];
 * ```
 */
export type GrantName = keyof typeof GRANT_NAMES;

/** Grants enabled when `--grants` is not given: password and implicit stay off unless named (RFC 9700 §2.4, §2.1.2). */
export const DEFAULT_GRANTS: readonly GrantName[] = ['authorization_code', 'client_credentials', 'refresh_token', 'device_code'];

/**
 * The ready server's settings, after flags, environment and config file are merged.
 *
 * @example
 * ```ts
 * const config = loadConfig({ port: '0' }, {});
 * config.issuer; // undefined without --issuer: startServer then uses http://<host>:<port> once the port is known
 * ```
 */
export interface ServerConfig {
  readonly host: string;
  readonly port: number;
  /** The issuer (RFC 8414 §2); defaults to `http://<host>:<port>`. */
  readonly issuer: string | undefined;
  readonly dataDir: string;
  /** `postgres://...` or a SQLite file path (default `<dataDir>/grantry.db`). */
  readonly database: string;
  readonly grants: readonly GrantName[];
  readonly accessTokenTtl: number;
  readonly refreshTokenTtl: number;
  /** Seconds within which a client retrying a refresh it just made gets a new pair, not a family revocation (0: off). */
  readonly refreshReuseGrace: number;
  readonly authCodeTtl: number;
  readonly deviceCodeTtl: number;
  /** Seconds a device waits between polls (RFC 8628 §3.2 `interval`). */
  readonly devicePollInterval: number;
  /** Failed attempts allowed per client id, username or source within the window. */
  readonly rateLimitMax: number;
  /** The sliding window of the brute-force limiter, in seconds. */
  readonly rateLimitWindow: number;
  /** Lifetime of a login session, in seconds. */
  readonly sessionTtl: number;
  /** Write one JSON line per request to stdout. */
  readonly requestLog: boolean;
  /** Take the client address from the first `X-Forwarded-For` entry (only behind a trusted proxy). */
  readonly trustProxy: boolean;
}

/** One setting: its flag, environment variables, default and help text. */
export interface OptionSpec {
  readonly key: keyof ServerConfig | 'config';
  readonly flag: string;
  readonly env: readonly string[];
  readonly type: 'string' | 'number' | 'duration' | 'boolean' | 'list';
  readonly default: string | undefined;
  readonly help: string;
}

/** Every setting of `grantry serve`; `--help` prints this table. */
export const SERVER_OPTIONS: readonly OptionSpec[] = [
  { key: 'config', flag: 'config', env: ['GRANTRY_CONFIG'], type: 'string', default: undefined, help: 'JSON config file; keys are the flag names (e.g. "access-token-ttl")' },
  { key: 'host', flag: 'host', env: ['GRANTRY_HOST'], type: 'string', default: '127.0.0.1', help: 'interface to listen on' },
  { key: 'port', flag: 'port', env: ['GRANTRY_PORT', 'PORT'], type: 'number', default: '8080', help: 'TCP port (0 picks a free one)' },
  { key: 'issuer', flag: 'issuer', env: ['GRANTRY_ISSUER'], type: 'string', default: undefined, help: 'issuer (RFC 8414), an origin such as https://auth.example.com; default http://<host>:<port>' },
  { key: 'dataDir', flag: 'data-dir', env: ['GRANTRY_DATA_DIR'], type: 'string', default: './data', help: 'directory for the SQLite database and the keys file' },
  { key: 'database', flag: 'database', env: ['GRANTRY_DATABASE', 'DATABASE_URL'], type: 'string', default: undefined, help: 'postgres://... URL or SQLite file; default <data-dir>/grantry.db' },
  { key: 'grants', flag: 'grants', env: ['GRANTRY_GRANTS'], type: 'list', default: DEFAULT_GRANTS.join(','), help: `enabled grants, comma-separated, of: ${Object.keys(GRANT_NAMES).join(', ')}` },
  { key: 'accessTokenTtl', flag: 'access-token-ttl', env: ['GRANTRY_ACCESS_TOKEN_TTL'], type: 'duration', default: 'PT1H', help: 'access token lifetime (ISO 8601 duration or seconds)' },
  { key: 'refreshTokenTtl', flag: 'refresh-token-ttl', env: ['GRANTRY_REFRESH_TOKEN_TTL'], type: 'duration', default: 'P30D', help: 'refresh token lifetime' },
  { key: 'refreshReuseGrace', flag: 'refresh-reuse-grace', env: ['GRANTRY_REFRESH_REUSE_GRACE'], type: 'number', default: '0', help: 'seconds within which a retried refresh gets a new pair instead of revoking the family (0: off)' },
  { key: 'authCodeTtl', flag: 'auth-code-ttl', env: ['GRANTRY_AUTH_CODE_TTL'], type: 'duration', default: 'PT10M', help: 'authorization code lifetime (at most 10 minutes, RFC 6749 §4.1.2)' },
  { key: 'deviceCodeTtl', flag: 'device-code-ttl', env: ['GRANTRY_DEVICE_CODE_TTL'], type: 'duration', default: 'PT10M', help: 'device code lifetime (RFC 8628)' },
  { key: 'devicePollInterval', flag: 'device-poll-interval', env: ['GRANTRY_DEVICE_POLL_INTERVAL'], type: 'number', default: '5', help: 'seconds between device polls (RFC 8628 interval)' },
  { key: 'rateLimitMax', flag: 'rate-limit-max', env: ['GRANTRY_RATE_LIMIT_MAX'], type: 'number', default: '10', help: 'failed attempts per client id, username or source before 429' },
  { key: 'rateLimitWindow', flag: 'rate-limit-window', env: ['GRANTRY_RATE_LIMIT_WINDOW'], type: 'duration', default: 'PT5M', help: 'sliding window of the brute-force limiter' },
  { key: 'sessionTtl', flag: 'session-ttl', env: ['GRANTRY_SESSION_TTL'], type: 'duration', default: 'PT1H', help: 'login session lifetime' },
  { key: 'requestLog', flag: 'request-log', env: ['GRANTRY_REQUEST_LOG'], type: 'boolean', default: 'true', help: 'one JSON log line per request on stdout' },
  { key: 'trustProxy', flag: 'trust-proxy', env: ['GRANTRY_TRUST_PROXY'], type: 'boolean', default: 'false', help: 'use X-Forwarded-For for the client address' },
];

/**
 * Raw values by flag name, as the command line parser gives them.
 *
 * @example
 * ```ts
 * const flags: RawSettings = { port: '9000', 'access-token-ttl': 'PT15M' };
 * ```
 */
export type RawSettings = Readonly<Record<string, string | boolean | undefined>>;

/**
 * Merges settings: flags over environment over config file over defaults. Throws a `TypeError` naming the bad
 * setting (shown to the operator without a stack trace).
 *
 * @example
 * ```ts
 * const config = loadConfig({ port: '9000', grants: 'client_credentials,password' }, process.env);
 * ```
 */
export function loadConfig(flags: RawSettings, env: Readonly<Record<string, string | undefined>>): ServerConfig {
  const configPath = pick(flags, env, {}, SERVER_OPTIONS[0]!);
  const file = configPath === undefined ? {} : readConfigFile(String(configPath));
  const out: Record<string, unknown> = {};
  for (const spec of SERVER_OPTIONS) {
    if (spec.key === 'config') continue;
    const raw = pick(flags, env, file, spec) ?? spec.default;
    out[spec.key] = raw === undefined ? undefined : convert(spec, raw);
  }
  const dataDir = resolve(out.dataDir as string);
  const database = (out.database as string | undefined) ?? resolve(dataDir, 'grantry.db');
  // The ready server serves its endpoints and pages at the root of the issuer: an origin, without a path.
  if (out.issuer !== undefined && !/^https?:\/\/[^/?#]+$/.test(out.issuer as string)) {
    throw new TypeError(`--issuer must be an http(s) origin without a path, query or fragment, e.g. https://auth.example.com: ${out.issuer as string}`);
  }
  const port = out.port as number;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new TypeError(`--port must be 0..65535, got ${port}`);
  if ((out.devicePollInterval as number) < 1) throw new TypeError('--device-poll-interval must be at least 1 second');
  if ((out.rateLimitMax as number) < 1) throw new TypeError('--rate-limit-max must be at least 1');
  return { ...(out as unknown as ServerConfig), dataDir, database };
}

function pick(flags: RawSettings, env: Readonly<Record<string, string | undefined>>, file: Record<string, unknown>, spec: OptionSpec): string | boolean | undefined {
  const flag = flags[spec.flag];
  if (flag !== undefined) return flag;
  for (const name of spec.env) {
    const value = env[name];
    if (value !== undefined && value !== '') return value;
  }
  const fromFile = file[spec.flag] ?? file[spec.key];
  if (fromFile === undefined) return undefined;
  if (Array.isArray(fromFile)) return fromFile.join(',');
  if (typeof fromFile === 'boolean' || typeof fromFile === 'string') return fromFile;
  if (typeof fromFile === 'number') return String(fromFile);
  throw new TypeError(`config file: ${spec.flag} must be a string, number or boolean`);
}

function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new TypeError(`cannot read the config file ${path}`);
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
    return parsed as Record<string, unknown>;
  } catch {
    throw new TypeError(`the config file ${path} is not a JSON object`);
  }
}

function convert(spec: OptionSpec, raw: string | boolean): unknown {
  const bad = (why: string) => new TypeError(`--${spec.flag}: ${why} (got ${JSON.stringify(raw)})`);
  switch (spec.type) {
    case 'string':
      if (typeof raw !== 'string' || raw === '') throw bad('a value is required');
      return raw;
    case 'number': {
      const n = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : NaN;
      if (!Number.isSafeInteger(n)) throw bad('a whole number is required');
      return n;
    }
    case 'duration':
      try {
        return toSeconds(String(raw));
      } catch {
        throw bad('an ISO 8601 duration such as PT1H, or seconds, is required');
      }
    case 'boolean':
      if (raw === true || raw === 'true' || raw === '1' || raw === 'yes') return true;
      if (raw === false || raw === 'false' || raw === '0' || raw === 'no') return false;
      throw bad('true or false is required');
    case 'list': {
      const names = String(raw).split(',').map((s) => s.trim()).filter(Boolean);
      for (const name of names) if (!(name in GRANT_NAMES)) throw bad(`unknown grant ${name}; known: ${Object.keys(GRANT_NAMES).join(', ')}`);
      if (names.length === 0) throw bad('at least one grant is required');
      return [...new Set(names)];
    }
  }
}
