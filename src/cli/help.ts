import { SERVER_OPTIONS } from '../server/config.js';

const COMMANDS = `Usage: grantry <command> [options]

Commands:
  serve                               start the authorization server
  clients create --name N --grant-types a,b [--scopes "read write"] [--redirect-uris U1,U2] [--public] [--id ID]
                 [--can-introspect] [--secret-stdin | --secret-file PATH]
                                      register a client; prints its id and, once, its generated secret.
                                      Redirect URIs: https, http://127.0.0.1:PORT/… or http://[::1]:PORT/…, or a
                                      native app's scheme such as com.example.app:/cb; never a #fragment.
                                      --can-introspect: may introspect other clients' tokens (a resource server).
                                      --secret-stdin / --secret-file: import a chosen secret (first line) instead
                                      of generating one; under 32 characters it is stored under a slow hash.
                                      --no-remember-consent: the consent page always asks (no "Remember").
  clients update <id> [--name N] [--grant-types a,b] [--scopes S] [--redirect-uris U] [--can-introspect]
                 [--permissions LIST] [--secret-stdin | --secret-file PATH]
                                      change a client; --permissions "" removes every permission;
                                      --no-remember-consent / --remember-consent turn remembered consent off/on
  clients list                        list clients
  clients show <id>                   show one client
  clients delete <id>                 delete a client and revoke its tokens
  users create --username U --password P
                                      create a user (password stored as an scrypt hash)
  users list                          list users
  users delete <username>             delete a user, revoke their tokens, end their sessions
  scopes add <scope> [--description D] add (or describe) a scope
  scopes list                         list scopes
  keys list                           signing and encryption keys with their state (pending, active, retiring) and times
  keys rotate                         new keys, published now and used after --key-activation-delay; old ones kept while needed
  migrate                             apply database migrations
  cleanup                             delete everything expired: tokens, codes, device codes, sessions, limiter entries

Options of every command:
  --data-dir DIR      data directory: keys file and SQLite database    env GRANTRY_DATA_DIR   default ./data
                      (with PostgreSQL the keys live in the database, shared by every instance)
  --database DB       postgres://... URL or SQLite file                env GRANTRY_DATABASE, DATABASE_URL
                                                                       default <data-dir>/grantry.db
  --json              machine-readable output
  -h, --help          this help
`;

/**
 * The `--help` text: every command, and every flag of `serve` with its environment variables and default.
 *
 * @example
 * ```ts
 * process.stdout.write(helpText());
 * ```
 */
export function helpText(): string {
  const rows = SERVER_OPTIONS.filter((o) => o.flag !== 'data-dir' && o.flag !== 'database').map((o) => {
    const flag = `  --${o.flag}${o.type === 'boolean' ? ' true|false' : ' VALUE'}`;
    const env = `env ${o.env.join(', ')}`;
    const def = o.default === undefined ? '' : `   default ${o.default}`;
    return `${flag.padEnd(33)}${o.help}\n${''.padEnd(33)}${env}${def}`;
  });
  return `${COMMANDS}
Options of serve (flags win over environment, environment over the --config file):
${rows.join('\n')}

Durations are ISO 8601 (PT1H, P30D) or seconds. Grants password and implicit are off unless named in --grants.
`;
}
