import { SERVER_OPTIONS } from '../server/config.js';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from './password-policy.js';

/** Each command's usage, by its first word. */
const COMMAND_HELP: Readonly<Record<string, string>> = {
  serve: `  serve [options of serve]            start the authorization server
`,
  clients: `  clients create --name N --grant-types a,b [--scopes "read write"] [--redirect-uris U1,U2] [--public] [--id ID]
                 [--can-introspect] [--access-token-format jwt|opaque] [--dpop-bound]
                 [--secret-stdin | --secret-file PATH]
                 [--auth-method M] [--jwks-file FILE | --jwks-uri URL] [--require-par]
                                      register a client; prints its id and, once, its generated secret.
                                      Grant types: authorization_code, client_credentials, refresh_token,
                                      device_code, password, implicit. Scopes must exist (grantry scopes add).
                                      Redirect URIs (required with authorization_code and implicit): https,
                                      http://127.0.0.1:PORT/… or http://[::1]:PORT/…, or a native app's scheme
                                      such as com.example.app:/cb; never a #fragment.
                                      --can-introspect: may introspect other clients' tokens (a resource server).
                                      --access-token-format: this client's access tokens as JWTs or opaque
                                      (random, stored hashed); default: the server's --access-token-format.
                                      --dpop-bound: the client must use DPoP (RFC 9449); requests without a
                                      proof are refused (dpop_bound_access_tokens).
                                      --secret-stdin / --secret-file: import a chosen secret (first line) instead
                                      of generating one; under 32 characters it is stored under a slow hash.
                                      --no-remember-consent: the consent page always asks (no "Remember").
                                      --auth-method: client_secret_basic, client_secret_post, private_key_jwt
                                      (with --jwks-file, a JWK set of public keys, or --jwks-uri), client_secret_jwt
                                      (a generated secret the client signs with; stored as given, not hashed) or
                                      none (= --public). The client must then authenticate that way (RFC 7591 §2).
                                      --require-par: authorization requests must be pushed to /par (RFC 9126).
                                      --resource URI (repeatable): the resources (RFC 8707) it may ask tokens
                                      for, each registered (grantry resources create); none: any registered.
  clients update <id> [--name N] [--grant-types a,b] [--scopes S] [--redirect-uris U] [--can-introspect]
                 [--permissions LIST] [--access-token-format jwt|opaque|default] [--dpop-bound | --no-dpop-bound]
                 [--resource URI ...] [--secret-stdin | --secret-file PATH]
                 [--auth-method private_key_jwt --jwks-file FILE | --jwks-uri URL] [--require-par | --no-require-par]
                                      change a client; --permissions "" removes every permission;
                                      --resource replaces the allowed resources (--resource "": any);
                                      --no-remember-consent / --remember-consent turn remembered consent off/on
  clients list                        list clients
  clients show <id>                   show one client
  clients delete <id>                 delete a client and revoke its tokens
`,
  users: `  users create --username U [--password-stdin | --password P]
                                      create a user (password stored as an scrypt hash). The password is read
                                      from stdin (first line) with --password-stdin, else asked twice on a
                                      terminal; --password shows it to \`ps\` and the shell history.
                                      ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters, any characters; not a common password,
                                      one repeated character or the username.
  users list                          list users
  users delete <username>             delete a user, revoke their tokens, end their sessions
`,
  scopes: `  scopes add <scope> [--description D] add (or describe) a scope
  scopes list                         list scopes
`,
  'registration-tokens': `  registration-tokens create [--description D] [--expires-in P7D] [--uses N]
                                      an initial access token for dynamic client registration (serve
                                      --registration token): printed once, stored as a hash; a client sends it
                                      as "Authorization: Bearer" to POST /register (RFC 7591). Without
                                      --expires-in it never expires; without --uses any number of clients
                                      may register with it.
  registration-tokens list            tokens by id (their hash), with expiry and uses left
  registration-tokens delete <id>     delete a token: no more registrations with it
`,
  resources: `  resources create <uri> [--name N] [--scopes "a b"] [--access-token-ttl PT10M] [--access-token-format jwt|opaque]
                                      register a resource (RFC 8707): an absolute URI without #fragment, e.g.
                                      https://api.example.com/mcp. Clients name it with the resource parameter;
                                      its tokens get aud = the URI, only these scopes (none given: any), and
                                      this lifetime (default: the grant's).
  resources update <uri> [--name N] [--scopes S] [--access-token-ttl D] [--access-token-format F]
                                      change a resource
  resources list                      list resources
  resources show <uri>                show one resource
  resources delete <uri>              delete a resource (tokens for it are refused from then on)
`,
  keys: `  keys list                           signing and encryption keys with their state (pending, active, retiring) and times
  keys rotate                         new keys, published now and used after --key-activation-delay; old ones kept while needed
  keys generate                       print a new signing key (PEM; JWK too with --json) and encryption key, for
                                      a library's AuthorizationServer; stores nothing
`,
  migrate: `  migrate                             apply database migrations
`,
  cleanup: `  cleanup                             delete everything expired: tokens, codes, device codes, sessions, limiter entries
`,
};

/** The commands `grantry` knows, by their first word. */
export const COMMANDS: readonly string[] = Object.keys(COMMAND_HELP);

const COMMON = `Options of every command:
  --config FILE       JSON config file (keys: flag names)              env GRANTRY_CONFIG
  --data-dir DIR      data directory: keys file and SQLite database    env GRANTRY_DATA_DIR   default ./data
                      (with PostgreSQL the keys live in the database, shared by every instance)
  --database DB       postgres://... URL or SQLite file                env GRANTRY_DATABASE, DATABASE_URL
                                                                       default <data-dir>/grantry.db
  --json              machine-readable output on stdout; errors as {"error":{"code","message"}} on stderr
  -h, --help          help (grantry <command> --help: that command's)
  --version           the version of grantry

Exit status: 0 success, 1 runtime failure (database, keys, network), 2 usage error (bad command, flag, value or
configuration).
`;

function serveOptions(): string {
  const rows = SERVER_OPTIONS.filter((o) => o.flag !== 'data-dir' && o.flag !== 'database' && o.flag !== 'config').map((o) => {
    const flag = `  --${o.flag}${o.type === 'boolean' ? ' true|false' : ' VALUE'}`;
    const env = `env ${o.env.join(', ')}`;
    const def = o.default === undefined ? '' : `   default ${o.default}`;
    return `${flag.padEnd(33)}${o.help}\n${''.padEnd(33)}${env}${def}`;
  });
  return `Options of serve (flags win over environment, environment over the --config file):
${rows.join('\n')}

Durations are ISO 8601 (PT1H, P30D) or seconds. Grants password and implicit are off unless named in --grants.
`;
}

/**
 * The `--help` text: without a command, every command and every flag of `serve` with its environment variables
 * and default; with one (`grantry serve --help`), that command's usage and options only.
 *
 * @example
 * ```ts
 * process.stdout.write(helpText());
 * process.stdout.write(helpText('clients'));
 * ```
 */
export function helpText(command?: string): string {
  const section = command === undefined ? undefined : COMMAND_HELP[command];
  if (section !== undefined) {
    return `Usage: grantry ${command} ${command === 'serve' ? '[options]' : '<action> [options]'}

${section}
${COMMON}${command === 'serve' ? `\n${serveOptions()}` : ''}`;
  }
  return `Usage: grantry <command> [options]

Commands:
${Object.values(COMMAND_HELP).join('')}
${COMMON}
${serveOptions()}`;
}
