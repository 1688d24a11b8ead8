import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { toSeconds } from '../contracts/duration.js';
import { DEVICE_CODE_GRANT_TYPE, type AccessTokenFormat, type GrantType } from '../contracts/types.js';
import { parseTrustProxy, type TrustProxy } from './trusted-proxy.js';
import type { KeyLifecyclePolicy } from './key-lifecycle.js';
import { checkKeysSecret, type KeysSecrets } from './keys-at-rest.js';
import { isLogLevel, LOG_LEVELS, type LogLevel } from './log-level.js';
import { closestName } from './closest-name.js';

/**
 * The grant types the ready server can enable: each short name (`--grants`, {@link GrantName}) and the
 * {@link GrantType} it stands for, the `grant_type` wire value (RFC 6749 §4, RFC 8628 §3.4). The two are the same
 * except `device_code`, whose grant type is a URN.
 */
export const GRANT_NAMES = {
  authorization_code: 'authorization_code',
  client_credentials: 'client_credentials',
  refresh_token: 'refresh_token',
  device_code: DEVICE_CODE_GRANT_TYPE,
  password: 'password',
  implicit: 'implicit',
} as const satisfies Readonly<Record<string, GrantType>>;

/**
 * A grant's short name on the ready server's command line (`--grants`, `clients create --grant-types`): not a
 * second spelling of {@link GrantType} (the library's `grant_type` wire value), but a key for it;
 * `GRANT_NAMES[name]` is the grant type (`device_code` → `urn:ietf:params:oauth:grant-type:device_code`).
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
  readonly accessTokenTTL: number;
  /** The form of access tokens for clients that name none: RFC 9068 JWTs, or opaque tokens stored hashed. */
  readonly accessTokenFormat: AccessTokenFormat;
  readonly refreshTokenTTL: number;
  /** Absolute lifetime of a refresh-token family from the original authorization, whatever its rotations. */
  readonly refreshTokenAbsoluteTTL: number;
  /** Seconds within which a client retrying a refresh it just made gets a new pair, not a family revocation (0: off). */
  readonly refreshReuseGrace: number;
  readonly authCodeTTL: number;
  readonly deviceCodeTTL: number;
  /** Seconds a device waits between polls (RFC 8628 §3.2 `interval`). */
  readonly devicePollInterval: number;
  /** Failed guesses of one credential (client secret, password, user code) from one source within the window before 429. */
  readonly rateLimitMax: number;
  /** The sliding window of the brute-force limiter, in seconds. */
  readonly rateLimitWindow: number;
  /** Failed guesses from one source across all credentials (spraying) before its failed attempts get 429. */
  readonly rateLimitSourceMax: number;
  /** Failures of one credential from all sources before its failed answers are delayed and reported. */
  readonly slowdownAfter: number;
  /** Extra delay per failure past the slow-down threshold, in ms (0: off). */
  readonly slowdownMs: number;
  /** The longest delay of one failed answer, in ms. */
  readonly slowdownMaxMs: number;
  /** Failures of one credential from all sources that lock it for everyone (0: never, the default). */
  readonly lockoutThreshold: number;
  /** How long an account lockout lasts, in seconds. */
  readonly lockoutSeconds: number;
  /** Lifetime of a login session, in seconds. */
  readonly sessionTTL: number;
  /** Write one JSON line per request to stdout. */
  readonly requestLog: boolean;
  /** Refuse token requests without a DPoP proof (RFC 9449): every access token is sender-constrained. */
  readonly requireDpop: boolean;
  /** Require server-provided DPoP nonces (RFC 9449 §8) in proofs at the token endpoint. */
  readonly dpopNonce: boolean;
  /** Seconds a DPoP proof is accepted after its `iat` (its `jti` is remembered that long). */
  readonly dpopProofMaxAge: number;
  /** Which hops in front of the server are proxies whose `X-Forwarded-For` entries are believed (see {@link parseTrustProxy}). */
  readonly trustProxy: TrustProxy;
  /** PostgreSQL: seconds a statement may take before it is cancelled and answered 503. */
  readonly dbQueryTimeout: number;
  /** PostgreSQL: seconds to wait for a connection (new, or from a full pool). */
  readonly dbConnectTimeout: number;
  /** PostgreSQL: seconds an unused connection stays open. */
  readonly dbIdleTimeout: number;
  /** PostgreSQL: seconds of silence on a connection before TCP keepalive probes start. */
  readonly dbKeepaliveDelay: number;
  /** PostgreSQL: connections in the pool. */
  readonly dbPoolSize: number;
  /** Seconds from a key rotation to the new keys' first use (publish, then activate). */
  readonly keyActivationDelay: number;
  /** Rotate the keys automatically when the newest is this old, in seconds; 0: only `grantry keys rotate`. */
  readonly keyRotationInterval: number;
  /** The operator's secret that encrypts the stored keys (required with PostgreSQL), and the previous one. */
  readonly keysSecrets: KeysSecrets | undefined;
  /** Seconds between two runs of the continuous clean-up of expired records (the first runs soon after start). */
  readonly cleanupInterval: number;
  /** Seconds between readiness turning 503 on SIGTERM and the listener closing (for load balancers to notice). */
  readonly shutdownDelay: number;
  /** Seconds after SIGTERM by which the process has exited: connections still open then are destroyed. */
  readonly shutdownTimeout: number;
  /** The least severe log lines written (`debug` adds the request lines of probes and scrapes). */
  readonly logLevel: LogLevel;
  /** Serve `/metrics` on this port of `host` instead of the main port (0 picks a free one); `undefined`: main port. */
  readonly metricsPort: number | undefined;
  /** The bearer token `/metrics` requires (`--metrics-token-file` or `GRANTRY_METRICS_TOKEN`); `undefined`: none. */
  readonly metricsToken: string | undefined;
  /** A directory of templates replacing the built-in ones (layout.html, login.html, consent.html, device.html, error.html). */
  readonly pagesDir: string | undefined;
  /** A stylesheet served at /pages.css after the built-in styles. */
  readonly css: string | undefined;
  /** The name shown on every page and in its title. */
  readonly productName: string;
  /** An http(s) URL of a logo shown on every page. */
  readonly logoUrl: string | undefined;
  /** A JSON file of page strings replacing the English ones (a translation). */
  readonly strings: string | undefined;
  /** Dynamic client registration (RFC 7591) at /register: `off`, `open` to anyone, or `token` (an initial access token from `grantry registration-tokens create`). */
  readonly registration: 'off' | 'open' | 'token';
  /** Scopes a registered client may ask for (and gets when it names none); `undefined`: any scope the server knows. */
  readonly registrationScopes: readonly string[] | undefined;
  /** Resolve an https `client_id` that names no registered client by fetching its client ID metadata document. */
  readonly clientMetadataDocuments: boolean;
  /** Host patterns whose client ID metadata documents are fetched (`app.example`, `*.example.com`); `undefined`: all. */
  readonly clientMetadataAllowHosts: readonly string[] | undefined;
  /** Host patterns whose client ID metadata documents are never fetched. */
  readonly clientMetadataDenyHosts: readonly string[] | undefined;
  /** Fetch client ID metadata documents from loopback addresses too (a client on the same machine, tests). */
  readonly clientMetadataAllowLoopback: boolean;
  /** RFC 9126 §5: every authorization request must be pushed to /par first. */
  readonly requirePushedAuthorizationRequests: boolean;
  /** Seconds a pushed `request_uri` may wait for /authorize (RFC 9126 §2.2 `expires_in`). */
  readonly requestUriTTL: number;
  /** The longest lifetime of a JWT client assertion (`private_key_jwt`, `client_secret_jwt`), in seconds. */
  readonly clientAssertionMaxTTL: number;
  /** Also accept the token endpoint URL as a client assertion's `aud` (default: the issuer only). */
  readonly acceptTokenEndpointAudience: boolean;
}

/** One setting: its flag, environment variables, default and help text. */
export interface OptionSpec {
  readonly key: keyof ServerConfig | 'config' | 'keysSecretFile' | 'keysSecretPreviousFile' | 'metricsTokenFile';
  readonly flag: string;
  readonly env: readonly string[];
  readonly type: OptionType;
  readonly default: string | undefined;
  readonly help: string;
}

/**
 * What each row `type` of {@link SERVER_OPTIONS} reads its raw text into: the value type of its setting.
 *
 * @example
 * ```ts
 * const ttl: OptionTypes['duration'] = 3600; // a duration is read into seconds
 * ```
 */
export interface OptionTypes {
  readonly string: string;
  readonly number: number;
  /** Whole seconds (ISO 8601 duration or seconds). */
  readonly duration: number;
  /** Whole seconds; 0 for `off`. */
  readonly 'duration-or-off': number;
  readonly boolean: boolean;
  /** Grant short names (`--grants`), without duplicates. */
  readonly list: readonly GrantName[];
  readonly 'trust-proxy': TrustProxy;
  /** Host patterns (`app.example`, `*.example.com`, `*`), lower-cased. */
  readonly 'host-list': readonly string[];
}

/** The kinds of value a setting can have; each row's `type`. */
type OptionType = keyof OptionTypes;

/** Every setting of `grantry serve`; `--help` prints this table. */
export const SERVER_OPTIONS = [
  { key: 'config', flag: 'config', env: ['GRANTRY_CONFIG'], type: 'string', default: undefined, help: 'JSON config file; keys are the flag names (e.g. "access-token-ttl")' },
  { key: 'host', flag: 'host', env: ['GRANTRY_HOST'], type: 'string', default: '127.0.0.1', help: 'interface to listen on' },
  { key: 'port', flag: 'port', env: ['GRANTRY_PORT', 'PORT'], type: 'number', default: '8080', help: 'TCP port (0 picks a free one)' },
  { key: 'issuer', flag: 'issuer', env: ['GRANTRY_ISSUER'], type: 'string', default: undefined, help: 'issuer (RFC 8414), an origin such as https://auth.example.com; default http://<host>:<port>' },
  { key: 'dataDir', flag: 'data-dir', env: ['GRANTRY_DATA_DIR'], type: 'string', default: './data', help: 'directory for the SQLite database and the keys file' },
  { key: 'database', flag: 'database', env: ['GRANTRY_DATABASE', 'DATABASE_URL'], type: 'string', default: undefined, help: 'postgres://... URL or SQLite file; default <data-dir>/grantry.db' },
  { key: 'grants', flag: 'grants', env: ['GRANTRY_GRANTS'], type: 'list', default: DEFAULT_GRANTS.join(','), help: `enabled grants, comma-separated, of: ${Object.keys(GRANT_NAMES).join(', ')}` },
  { key: 'accessTokenTTL', flag: 'access-token-ttl', env: ['GRANTRY_ACCESS_TOKEN_TTL'], type: 'duration', default: 'PT1H', help: 'access token lifetime (ISO 8601 duration or seconds)' },
  { key: 'accessTokenFormat', flag: 'access-token-format', env: ['GRANTRY_ACCESS_TOKEN_FORMAT'], type: 'string', default: 'jwt', help: 'access tokens of clients that name no format: jwt (RFC 9068) or opaque (random, stored hashed, checked by introspection; revocation at once)' },
  { key: 'refreshTokenTTL', flag: 'refresh-token-ttl', env: ['GRANTRY_REFRESH_TOKEN_TTL'], type: 'duration', default: 'P30D', help: 'refresh token lifetime' },
  { key: 'refreshTokenAbsoluteTTL', flag: 'refresh-token-absolute-ttl', env: ['GRANTRY_REFRESH_TOKEN_ABSOLUTE_TTL'], type: 'duration', default: 'P90D', help: 'absolute lifetime of a refresh token family from sign-in, whatever its rotations' },
  { key: 'refreshReuseGrace', flag: 'refresh-reuse-grace', env: ['GRANTRY_REFRESH_REUSE_GRACE'], type: 'number', default: '0', help: 'seconds within which a retried refresh gets a new pair instead of revoking the family (0: off)' },
  { key: 'authCodeTTL', flag: 'auth-code-ttl', env: ['GRANTRY_AUTH_CODE_TTL'], type: 'duration', default: 'PT10M', help: 'authorization code lifetime (at most 10 minutes, RFC 6749 §4.1.2)' },
  { key: 'deviceCodeTTL', flag: 'device-code-ttl', env: ['GRANTRY_DEVICE_CODE_TTL'], type: 'duration', default: 'PT10M', help: 'device code lifetime (RFC 8628)' },
  { key: 'devicePollInterval', flag: 'device-poll-interval', env: ['GRANTRY_DEVICE_POLL_INTERVAL'], type: 'number', default: '5', help: 'seconds between device polls (RFC 8628 interval)' },
  { key: 'rateLimitMax', flag: 'rate-limit-max', env: ['GRANTRY_RATE_LIMIT_MAX'], type: 'number', default: '10', help: 'failed guesses of one client secret, password or user code from one address before that address gets 429 for it' },
  { key: 'rateLimitWindow', flag: 'rate-limit-window', env: ['GRANTRY_RATE_LIMIT_WINDOW'], type: 'duration', default: 'PT5M', help: 'sliding window of the brute-force limiter' },
  { key: 'rateLimitSourceMax', flag: 'rate-limit-source-max', env: ['GRANTRY_RATE_LIMIT_SOURCE_MAX'], type: 'number', default: '100', help: 'failed guesses from one address across credentials (spraying) before its failed attempts get 429; correct ones still pass' },
  { key: 'slowdownAfter', flag: 'slowdown-after', env: ['GRANTRY_SLOWDOWN_AFTER'], type: 'number', default: '5', help: 'failures of one credential from all addresses before failed answers are delayed and reported' },
  { key: 'slowdownMs', flag: 'slowdown-ms', env: ['GRANTRY_SLOWDOWN_MS'], type: 'number', default: '100', help: 'extra delay of a failed answer per failure past the threshold, in ms (0: off)' },
  { key: 'slowdownMaxMs', flag: 'slowdown-max-ms', env: ['GRANTRY_SLOWDOWN_MAX_MS'], type: 'number', default: '1000', help: 'longest delay of a failed answer, in ms' },
  { key: 'lockoutThreshold', flag: 'lockout-threshold', env: ['GRANTRY_LOCKOUT_THRESHOLD'], type: 'number', default: '0', help: 'failures of one credential from all addresses that lock it, even for its owner (0: off; see README)' },
  { key: 'lockoutSeconds', flag: 'lockout-seconds', env: ['GRANTRY_LOCKOUT_SECONDS'], type: 'duration', default: '900', help: 'how long a lockout lasts (seconds or ISO 8601 duration)' },
  { key: 'sessionTTL', flag: 'session-ttl', env: ['GRANTRY_SESSION_TTL'], type: 'duration', default: 'PT1H', help: 'login session lifetime' },
  { key: 'requestLog', flag: 'request-log', env: ['GRANTRY_REQUEST_LOG'], type: 'boolean', default: 'true', help: 'one JSON log line per request on stdout' },
  { key: 'requireDpop', flag: 'require-dpop', env: ['GRANTRY_REQUIRE_DPOP'], type: 'boolean', default: 'false', help: 'refuse token requests without a DPoP proof (RFC 9449); per client: --dpop-bound of grantry clients' },
  { key: 'dpopNonce', flag: 'dpop-nonce', env: ['GRANTRY_DPOP_NONCE'], type: 'boolean', default: 'false', help: 'require server-provided DPoP nonces (RFC 9449 §8), the same on every instance' },
  { key: 'dpopProofMaxAge', flag: 'dpop-proof-max-age', env: ['GRANTRY_DPOP_PROOF_MAX_AGE'], type: 'duration', default: 'PT60S', help: 'how long a DPoP proof is accepted after its iat' },
  { key: 'trustProxy', flag: 'trust-proxy', env: ['GRANTRY_TRUST_PROXY'], type: 'trust-proxy', default: 'false', help: 'proxies whose X-Forwarded-For is believed: a hop count (1 = one proxy; true means 1) or addresses and CIDR ranges (10.0.0.0/8,::1); the client is the right-most untrusted address' },
  { key: 'dbQueryTimeout', flag: 'db-query-timeout', env: ['GRANTRY_DB_QUERY_TIMEOUT'], type: 'duration', default: 'PT5S', help: 'PostgreSQL: longest statement; past it the request is answered 503' },
  { key: 'dbConnectTimeout', flag: 'db-connect-timeout', env: ['GRANTRY_DB_CONNECT_TIMEOUT'], type: 'duration', default: 'PT5S', help: 'PostgreSQL: longest wait for a connection' },
  { key: 'dbIdleTimeout', flag: 'db-idle-timeout', env: ['GRANTRY_DB_IDLE_TIMEOUT'], type: 'duration', default: 'PT30S', help: 'PostgreSQL: an unused connection is closed after this' },
  { key: 'dbKeepaliveDelay', flag: 'db-keepalive-delay', env: ['GRANTRY_DB_KEEPALIVE_DELAY'], type: 'duration', default: 'PT10S', help: 'PostgreSQL: TCP keepalive starts after this much silence' },
  { key: 'dbPoolSize', flag: 'db-pool-size', env: ['GRANTRY_DB_POOL_SIZE'], type: 'number', default: '10', help: 'PostgreSQL: connections in the pool' },
  { key: 'keyActivationDelay', flag: 'key-activation-delay', env: ['GRANTRY_KEY_ACTIVATION_DELAY'], type: 'duration-or-off', default: 'PT15M', help: 'after `keys rotate`, new keys are published at once and used after this delay (> the JWKS cache lifetime)' },
  { key: 'keyRotationInterval', flag: 'key-rotation-interval', env: ['GRANTRY_KEY_ROTATION_INTERVAL'], type: 'duration-or-off', default: 'off', help: 'rotate the keys automatically when the newest is this old (e.g. P30D); off by default' },
  { key: 'keysSecretFile', flag: 'keys-secret-file', env: ['GRANTRY_KEYS_SECRET_FILE'], type: 'string', default: undefined, help: 'file holding the secret that encrypts the stored keys (or set GRANTRY_KEYS_SECRET); required with PostgreSQL' },
  { key: 'keysSecretPreviousFile', flag: 'keys-secret-previous-file', env: ['GRANTRY_KEYS_SECRET_PREVIOUS_FILE'], type: 'string', default: undefined, help: 'the previous keys secret while rotating it (or set GRANTRY_KEYS_SECRET_PREVIOUS)' },
  { key: 'cleanupInterval', flag: 'cleanup-interval', env: ['GRANTRY_CLEANUP_INTERVAL'], type: 'duration', default: 'PT5M', help: 'time between runs of the clean-up of expired records (the first runs 10 s after start)' },
  { key: 'shutdownDelay', flag: 'shutdown-delay', env: ['GRANTRY_SHUTDOWN_DELAY'], type: 'number', default: '0', help: 'seconds between /readyz turning 503 on SIGTERM and the listener closing' },
  { key: 'pagesDir', flag: 'pages-dir', env: ['GRANTRY_PAGES_DIR'], type: 'string', default: undefined, help: 'directory of page templates replacing the built-in ones: layout.html, login.html, consent.html, device.html, error.html' },
  { key: 'css', flag: 'css', env: ['GRANTRY_CSS'], type: 'string', default: undefined, help: 'stylesheet file served at /pages.css after the built-in styles' },
  { key: 'productName', flag: 'product-name', env: ['GRANTRY_PRODUCT_NAME'], type: 'string', default: 'grantry', help: 'name shown on every page' },
  { key: 'logoUrl', flag: 'logo-url', env: ['GRANTRY_LOGO_URL'], type: 'string', default: undefined, help: 'http(s) URL of a logo shown on every page' },
  { key: 'strings', flag: 'strings', env: ['GRANTRY_STRINGS'], type: 'string', default: undefined, help: 'JSON file of page strings replacing the English ones (a translation)' },
  { key: 'shutdownTimeout', flag: 'shutdown-timeout', env: ['GRANTRY_SHUTDOWN_TIMEOUT'], type: 'number', default: '10', help: 'seconds after SIGTERM by which the process exits, cutting connections still open' },
  { key: 'logLevel', flag: 'log-level', env: ['GRANTRY_LOG_LEVEL'], type: 'string', default: 'info', help: `least severe log lines written, one of ${LOG_LEVELS.join(', ')} (debug adds probe and scrape requests)` },
  { key: 'metricsPort', flag: 'metrics-port', env: ['GRANTRY_METRICS_PORT'], type: 'number', default: undefined, help: 'serve /metrics on this port of --host instead of the main port (0 picks a free one)' },
  { key: 'clientMetadataDocuments', flag: 'client-metadata-documents', env: ['GRANTRY_CLIENT_METADATA_DOCUMENTS'], type: 'boolean', default: 'off', help: 'on: an https client_id that names no registered client is resolved by fetching its client ID metadata document (MCP clients use them)' },
  { key: 'clientMetadataAllowHosts', flag: 'client-metadata-allow-hosts', env: ['GRANTRY_CLIENT_METADATA_ALLOW_HOSTS'], type: 'host-list', default: undefined, help: 'only these hosts may serve client ID metadata documents, comma-separated: app.example, *.example.com (default: any)' },
  { key: 'clientMetadataDenyHosts', flag: 'client-metadata-deny-hosts', env: ['GRANTRY_CLIENT_METADATA_DENY_HOSTS'], type: 'host-list', default: undefined, help: 'hosts whose client ID metadata documents are refused, comma-separated patterns as above' },
  { key: 'clientMetadataAllowLoopback', flag: 'client-metadata-allow-loopback', env: ['GRANTRY_CLIENT_METADATA_ALLOW_LOOPBACK'], type: 'boolean', default: 'false', help: 'also fetch client ID metadata documents from loopback addresses (127.0.0.1, ::1): development and tests only' },
  { key: 'requirePushedAuthorizationRequests', flag: 'require-pushed-authorization-requests', env: ['GRANTRY_REQUIRE_PUSHED_AUTHORIZATION_REQUESTS'], type: 'boolean', default: 'false', help: 'every authorization request must be pushed to /par first (RFC 9126); per client: --require-par of grantry clients' },
  { key: 'requestUriTTL', flag: 'request-uri-ttl', env: ['GRANTRY_REQUEST_URI_TTL'], type: 'duration', default: 'PT60S', help: 'how long a pushed request_uri may wait for /authorize (RFC 9126)' },
  { key: 'clientAssertionMaxTTL', flag: 'client-assertion-max-ttl', env: ['GRANTRY_CLIENT_ASSERTION_MAX_TTL'], type: 'duration', default: 'PT5M', help: 'longest lifetime of a private_key_jwt or client_secret_jwt assertion (RFC 7523)' },
  { key: 'acceptTokenEndpointAudience', flag: 'accept-token-endpoint-audience', env: ['GRANTRY_ACCEPT_TOKEN_ENDPOINT_AUDIENCE'], type: 'boolean', default: 'false', help: 'also accept <issuer>/token as a client assertion audience (default: the issuer only, draft-ietf-oauth-rfc7523bis)' },
  { key: 'metricsTokenFile', flag: 'metrics-token-file', env: ['GRANTRY_METRICS_TOKEN_FILE'], type: 'string', default: undefined, help: 'file holding a token that /metrics requires as "Authorization: Bearer" (or set GRANTRY_METRICS_TOKEN)' },
  { key: 'registration', flag: 'registration', env: ['GRANTRY_REGISTRATION'], type: 'string', default: 'off', help: 'dynamic client registration (RFC 7591/7592) at /register: off, open (anyone), or token (an initial access token from grantry registration-tokens create)' },
  { key: 'registrationScopes', flag: 'registration-scopes', env: ['GRANTRY_REGISTRATION_SCOPES'], type: 'string', default: undefined, help: 'scopes a registered client may ask for, comma- or space-separated (default: every scope); also what it gets when it names none' },
] as const satisfies readonly OptionSpec[];

/** One row of {@link SERVER_OPTIONS}, with its literal key, type and default. */
type OptionRow = (typeof SERVER_OPTIONS)[number];

/** The settings read from the rows (everything but `config` itself, which names the file they may come from). */
type SettingKey = Exclude<OptionRow['key'], 'config'>;

/** Each setting's row `type`, by key. */
type TypeOf = { readonly [R in OptionRow as R['key']]: R['type'] };

/**
 * What a table of rows reads: each key's value of its row `type` ({@link OptionTypes}), and `undefined` where the row
 * has no default (nothing may set it). `SettingsOf<typeof SERVER_OPTIONS>` is what `loadConfig` reads before it checks
 * and completes it into a {@link ServerConfig}: a row added to the table is read, typed and checked against
 * `ServerConfig` by the compiler, without a cast.
 *
 * @example
 * ```ts
 * type Port = SettingsOf<typeof SERVER_OPTIONS>['port']; // number
 * ```
 */
export type SettingsOf<Rows extends readonly OptionSpec[]> = {
  readonly [R in Rows[number] as R['key']]: OptionTypes[R['type']] | (R['default'] extends string ? never : undefined);
};

/** Every setting as its row reads it (the config file's own path excluded). */
type Settings = Omit<SettingsOf<typeof SERVER_OPTIONS>, 'config'>;

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
 * setting where it came from (the flag, the environment variable, or the config file and its key), shown to the
 * operator without a stack trace. A config file must be a JSON object whose keys are flag names (or their camelCase
 * setting names); an unknown key is refused with the closest known one.
 *
 * @example
 * ```ts
 * const config = loadConfig({ port: '9000', grants: 'client_credentials,password' }, process.env);
 * ```
 */
export function loadConfig(flags: RawSettings, env: Readonly<Record<string, string | undefined>>): ServerConfig {
  const configSpec = SERVER_OPTIONS[0];
  const configPath = pick(flags, env, undefined, configSpec);
  const file = configPath === undefined ? undefined : readConfigFile(String(configPath.value));
  const read: ReadSettings<SettingKey> = {};
  const sources: { [K in SettingKey]?: string } = {};
  for (const spec of SERVER_OPTIONS) {
    if (spec.key === 'config') continue;
    const picked = pick(flags, env, file, spec) ?? (spec.default === undefined ? undefined : { value: spec.default, source: `--${spec.flag}` });
    if (picked !== undefined) sources[spec.key] = picked.source;
    setSetting(read, spec.key, spec.type, picked);
  }
  if (!isComplete(read)) throw new Error('a setting with a default was not read'); // cannot happen: every row was read above
  const { keysSecretFile, keysSecretPreviousFile, metricsTokenFile, ...settings } = read;
  const name = (key: SettingKey) => sources[key] ?? `--${SERVER_OPTIONS.find((o) => o.key === key)!.flag}`;
  const dataDir = resolve(settings.dataDir);
  const database = settings.database ?? resolve(dataDir, 'grantry.db');
  // The ready server serves its endpoints and pages at the root of the issuer: an origin, without a path.
  if (settings.issuer !== undefined && !/^https?:\/\/[^/?#]+$/.test(settings.issuer)) {
    throw new TypeError(`${name('issuer')} must be an http(s) origin without a path, query or fragment, e.g. https://auth.example.com: ${settings.issuer}`);
  }
  const port = settings.port;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new TypeError(`${name('port')} must be 0..65535, got ${port}`);
  if (settings.devicePollInterval < 1) throw new TypeError(`${name('devicePollInterval')} must be at least 1 second`);
  if (settings.rateLimitMax < 1) throw new TypeError(`${name('rateLimitMax')} must be at least 1`);
  if (settings.rateLimitSourceMax < 1) throw new TypeError(`${name('rateLimitSourceMax')} must be at least 1`);
  if (settings.rateLimitWindow <= 0) throw new TypeError(`${name('rateLimitWindow')} must be positive`);
  if (settings.lockoutSeconds <= 0) throw new TypeError(`${name('lockoutSeconds')} must be positive`);
  if (settings.dbPoolSize < 1) throw new TypeError(`${name('dbPoolSize')} must be at least 1`);
  if (settings.shutdownTimeout <= settings.shutdownDelay) {
    throw new TypeError(`${name('shutdownTimeout')} must be longer than ${name('shutdownDelay')}`);
  }
  const keysSecrets = readKeysSecrets(keysSecretFile, keysSecretPreviousFile, env);
  const logLevel = settings.logLevel;
  if (!isLogLevel(logLevel)) throw new TypeError(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got ${logLevel}`);
  const accessTokenFormat = settings.accessTokenFormat;
  if (accessTokenFormat !== 'jwt' && accessTokenFormat !== 'opaque') throw new TypeError(`${name('accessTokenFormat')} must be jwt or opaque, got ${accessTokenFormat}`);
  const metricsPort = settings.metricsPort;
  if (metricsPort !== undefined && (metricsPort > 65535 || (metricsPort !== 0 && metricsPort === port))) {
    throw new TypeError(`--metrics-port must be 0..65535 and differ from --port, got ${metricsPort}`);
  }
  const registration = settings.registration;
  if (!isRegistrationMode(registration)) throw new TypeError(`${name('registration')} must be off, open or token, got ${registration}`);
  const scopesText = settings.registrationScopes;
  const registrationScopes = scopesText === undefined ? undefined : [...new Set(scopesText.split(/[\s,]+/).filter(Boolean))];
  const metricsToken = readMetricsToken(metricsTokenFile, env);
  return { ...settings, logLevel, accessTokenFormat, registration, registrationScopes, dataDir, database, keysSecrets, metricsToken };
}

/** Settings as they are read one by one, each of its row's value type. */
type ReadSettings<K extends SettingKey> = { -readonly [P in K]?: OptionTypes[TypeOf[P]] | undefined };

/** Reads one setting into its typed slot: the row's `type` (correlated with its key) decides the value type. */
function setSetting<K extends SettingKey>(read: ReadSettings<K>, key: K, type: TypeOf[K], picked: Picked | undefined): void {
  read[key] = picked === undefined ? undefined : convert(type, picked.value, picked.source);
}

/** Whether every setting was read (those without a default and not set are read as `undefined`). */
function isComplete(read: ReadSettings<SettingKey>): read is Settings {
  return SERVER_OPTIONS.every((o) => o.key === 'config' || (o.key in read && (o.default === undefined || read[o.key] !== undefined)));
}

/** Whether a `--registration` value is one of the modes. */
const isRegistrationMode = (value: string): value is ServerConfig['registration'] => value === 'off' || value === 'open' || value === 'token';

/** The keys secret from `GRANTRY_KEYS_SECRET` or `--keys-secret-file` (never a flag: it would show in `ps`). */
function readKeysSecrets(file: string | undefined, previousFile: string | undefined, env: Readonly<Record<string, string | undefined>>): KeysSecrets | undefined {
  const read = (path: string | undefined, variable: string, flag: string): string | undefined => {
    if (path !== undefined) {
      try {
        return checkKeysSecret(readFileSync(path, 'utf8'), `--${flag} ${path}`);
      } catch (error) {
        if (error instanceof TypeError) throw error;
        throw new TypeError(`--${flag}: cannot read ${path}: ${(error as Error).message}`);
      }
    }
    const value = env[variable];
    return value === undefined || value === '' ? undefined : checkKeysSecret(value, variable);
  };
  const current = read(file, 'GRANTRY_KEYS_SECRET', 'keys-secret-file');
  const previous = read(previousFile, 'GRANTRY_KEYS_SECRET_PREVIOUS', 'keys-secret-previous-file');
  if (current === undefined) {
    if (previous !== undefined) throw new TypeError('GRANTRY_KEYS_SECRET_PREVIOUS is set without GRANTRY_KEYS_SECRET: set the new secret too');
    return undefined;
  }
  return { current, ...(previous === undefined ? {} : { previous }) };
}

/** The `/metrics` token from `--metrics-token-file` (first line) or `GRANTRY_METRICS_TOKEN` (never a flag: it would show in `ps`). */
function readMetricsToken(file: string | undefined, env: Readonly<Record<string, string | undefined>>): string | undefined {
  let token: string | undefined;
  let source = 'GRANTRY_METRICS_TOKEN';
  if (file !== undefined) {
    source = `--metrics-token-file ${file}`;
    try {
      token = readFileSync(file, 'utf8').split(/\r?\n/, 1)[0]!;
    } catch (error) {
      throw new TypeError(`--metrics-token-file: cannot read ${file}: ${(error as Error).message}`);
    }
  } else {
    token = env.GRANTRY_METRICS_TOKEN === '' ? undefined : env.GRANTRY_METRICS_TOKEN;
  }
  // RFC 6750 §2.1: a bearer token is b64token characters; at least 16 so that it cannot be guessed in a few tries.
  if (token !== undefined && !/^[A-Za-z0-9\-._~+/]{16,}=*$/.test(token)) {
    throw new TypeError(`${source}: the metrics token must be at least 16 characters of A-Z a-z 0-9 - . _ ~ + / (e.g. openssl rand -hex 32)`);
  }
  return token;
}

/** A config file: its path (for messages) and its keys. */
interface ConfigFile {
  readonly path: string;
  readonly values: Record<string, unknown>;
}

/** One setting's raw value and where it came from, as the operator would name it: `--port`, `GRANTRY_PORT`, or `config file ./grantry.json: "port"`. */
interface Picked {
  readonly value: string | boolean;
  readonly source: string;
}

function pick(flags: RawSettings, env: Readonly<Record<string, string | undefined>>, file: ConfigFile | undefined, spec: OptionSpec): Picked | undefined {
  const flag = flags[spec.flag];
  if (flag !== undefined) return { value: flag, source: `--${spec.flag}` };
  for (const name of spec.env) {
    const value = env[name];
    if (value !== undefined && value !== '') return { value, source: name };
  }
  if (file === undefined) return undefined;
  const key = spec.flag in file.values ? spec.flag : spec.key;
  const fromFile = file.values[key];
  if (fromFile === undefined) return undefined;
  const source = `config file ${file.path}: ${JSON.stringify(key)}`;
  if (Array.isArray(fromFile) && fromFile.every((v) => typeof v === 'string')) return { value: fromFile.join(','), source };
  if (typeof fromFile === 'boolean' || typeof fromFile === 'string') return { value: fromFile, source };
  if (typeof fromFile === 'number') return { value: String(fromFile), source };
  throw new TypeError(`${source} must be a string, number or boolean`);
}

/** The config file as a JSON object; a syntax error is reported with its line and column, an unknown key by name. */
function readConfigFile(path: string): ConfigFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : (error as Error).message;
    throw new TypeError(`cannot read the config file ${path}: ${why}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new TypeError(`the config file ${path} is not valid JSON: ${jsonSyntaxProblem(text, error as Error)}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new TypeError(`the config file ${path} must hold a JSON object ({"port": 8080, ...}), not ${parsed === null ? 'null' : Array.isArray(parsed) ? 'an array' : `a ${typeof parsed}`}`);
  }
  const known: readonly string[] = SERVER_OPTIONS.filter((o) => o.key !== 'config').flatMap((o) => [o.flag, o.key]);
  for (const key of Object.keys(parsed)) {
    if (known.includes(key)) continue;
    const near = closestName(key, known);
    throw new TypeError(`the config file ${path} has an unknown key ${JSON.stringify(key)}${near === undefined ? '' : `; did you mean ${JSON.stringify(near)}?`} (keys are the flag names of grantry serve --help)`);
  }
  const values: Record<string, unknown> = Object.fromEntries(Object.entries(parsed));
  return { path, values };
}

/** The parser's message with the line and column of the mistake (Node gives a character position). */
function jsonSyntaxProblem(text: string, error: Error): string {
  const message = error.message.replace(/\s*\(line \d+ column \d+\)$/, '');
  const position = /at position (\d+)/.exec(message)?.[1];
  const offset = position === undefined ? (/end of (JSON|data) input/i.test(message) ? text.length : undefined) : Number(position);
  if (offset === undefined) return message;
  const before = text.slice(0, offset).split('\n');
  return `${message.replace(/ in JSON at position \d+/, '')} at line ${before.length}, column ${before.at(-1)!.length + 1}`;
}

/** How each row `type` reads a raw value; `bad` makes the error naming the setting's source. */
const CONVERTERS: { readonly [T in OptionType]: (raw: string | boolean, bad: (why: string) => TypeError) => OptionTypes[T] } = {
  string: (raw, bad) => {
    if (typeof raw !== 'string' || raw === '') throw bad('a value is required');
    return raw;
  },
  number: (raw, bad) => {
    const n = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isSafeInteger(n)) throw bad('a whole number is required');
    return n;
  },
  'duration-or-off': (raw, bad) => (raw === 'off' || raw === '0' || raw === false ? 0 : CONVERTERS.duration(raw, bad)),
  duration: (raw, bad) => {
    try {
      return toSeconds(String(raw));
    } catch {
      throw bad('an ISO 8601 duration such as PT1H, or seconds, is required');
    }
  },
  boolean: (raw, bad) => {
    if (raw === true || raw === 'true' || raw === '1' || raw === 'yes' || raw === 'on') return true;
    if (raw === false || raw === 'false' || raw === '0' || raw === 'no' || raw === 'off') return false;
    throw bad('true or false (on or off) is required');
  },
  'host-list': (raw, bad) => {
    const patterns = String(raw).split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
    // A host name or IP address, `*.` before a name for its subdomains, or `*` alone for every host.
    for (const p of patterns) if (!/^(\*|(\*\.)?[a-z0-9-]+(\.[a-z0-9-]+)*|\[[0-9a-f:.]+\])$/.test(p)) throw bad(`${p} is not a host pattern (app.example, *.example.com, 192.0.2.7 or *)`);
    if (patterns.length === 0) throw bad('at least one host pattern is required');
    return patterns;
  },
  'trust-proxy': (raw, bad) => {
    try {
      return parseTrustProxy(raw);
    } catch (error) {
      throw bad((error as Error).message);
    }
  },
  list: (raw, bad) => {
    const names = String(raw).split(',').map((s) => s.trim()).filter(Boolean);
    const grants = names.filter(isGrantName);
    for (const name of names) if (!isGrantName(name)) throw bad(`unknown grant ${name}; known: ${Object.keys(GRANT_NAMES).join(', ')}`);
    if (grants.length === 0) throw bad('at least one grant is required');
    return [...new Set(grants)];
  },
};

/** A raw value read as its row `type` says; a `TypeError` naming `source` if it cannot be. */
function convert<T extends OptionType>(type: T, raw: string | boolean, source: string): OptionTypes[T] {
  return CONVERTERS[type](raw, (why) => new TypeError(`${source}: ${why} (got ${JSON.stringify(raw)})`));
}

/** Whether a name is one of the grant short names of `--grants`. */
function isGrantName(name: string): name is GrantName {
  return Object.hasOwn(GRANT_NAMES, name);
}

/**
 * The key lifecycle the settings imply: new keys used after `--key-activation-delay`; a retired signing key kept
 * for the access-token lifetime, an encryption key for the longest lifetime of what it seals; five minutes of
 * clock skew on both.
 *
 * @example
 * ```ts
 * await store.keys.rotate(keyLifecyclePolicy(config));
 * ```
 */
export function keyLifecyclePolicy(config: ServerConfig): KeyLifecyclePolicy {
  const skew = 300;
  return {
    activationDelay: config.keyActivationDelay,
    signingRetention: config.accessTokenTTL + skew,
    encryptionRetention: Math.max(config.refreshTokenTTL, config.authCodeTTL, config.deviceCodeTTL, config.sessionTTL) + skew,
  };
}
