import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import type { AuthorizationServer } from '../core/authorization-server.js';
import type { Metrics } from './metrics.js';
import type { LogSink } from './node-listener.js';
import type { LimiterEvent } from './rate-limiter.js';
import { LOGIN_PAGE_CLIENT } from './server-store.js';

/**
 * The security events of the ready server; each one writes one JSON log line and adds one to its counter.
 *
 * @example
 * ```ts
 * const name: SecurityEventName = 'login_failed';
 * ```
 */
export type SecurityEventName =
  | 'client_authentication_failed'
  | 'login_failed'
  | 'rate_limited'
  | 'credential_guessing'
  | 'credential_locked'
  | 'refresh_token_reuse'
  | 'authorization_code_replay';

const COUNTERS: Record<SecurityEventName, { name: string; help: string; label?: string }> = {
  client_authentication_failed: { name: 'grantry_client_authentication_failures_total', help: 'Failed client authentications.', label: 'reason' },
  login_failed: { name: 'grantry_login_failures_total', help: 'Failed resource owner logins (login page and password grant).', label: 'via' },
  rate_limited: { name: 'grantry_rate_limited_total', help: 'Requests refused by the brute-force limiter (429).', label: 'reason' },
  credential_guessing: { name: 'grantry_credential_guessing_total', help: 'Credentials whose failures from all sources passed the slow-down threshold.', label: 'kind' },
  credential_locked: { name: 'grantry_credential_lockouts_total', help: 'Credentials locked by the account lockout.', label: 'kind' },
  refresh_token_reuse: { name: 'grantry_refresh_token_reuse_total', help: 'Refresh token replays detected (family revoked).' },
  authorization_code_replay: { name: 'grantry_authorization_code_replay_total', help: 'Authorization code replays detected (tokens revoked).' },
};

/** The source address of the request being served, for the log lines of events the core emits without it. */
const currentSource = new AsyncLocalStorage<string>();

/**
 * Runs `serve` with `source` as the address that security log lines name.
 *
 * @example
 * ```ts
 * return withSource(info.source, () => route(request, info));
 * ```
 */
export function withSource<T>(source: string, serve: () => Promise<T>): Promise<T> {
  return currentSource.run(source, serve);
}

/** Client input in a log line: bounded, so that a 16 KiB username cannot flood the log. */
const bounded = (value: string | undefined): string | undefined => (value === undefined || value.length <= 128 ? value : `${value.slice(0, 128)}…`);

/** A token family as a short hash prefix: enough to correlate lines, never the token or its id. */
const fingerprint = (value: string): string => createHash('sha256').update(value).digest('hex').slice(0, 12);

/**
 * Turns the security events of the core and of the limiter into JSON log lines and metrics: failed client
 * authentication (with the reason), failed login, throttling, credential guessing and lockout, refresh token
 * reuse and authorization code replay. Lines hold client ids and usernames, never a secret, a password or a
 * token (token families appear as a 12-hex-digit SHA-256 prefix).
 *
 * @example
 * ```ts
 * const security = watchSecurityEvents(server, metrics, (line) => console.log(JSON.stringify(line)));
 * const limiter = new RateLimiter(store, { max: 10, windowSeconds: 300, clock, onEvent: security.limiter });
 * ```
 */
export function watchSecurityEvents(server: AuthorizationServer, metrics: Metrics, log: LogSink | undefined): { limiter: (event: LimiterEvent) => void } {
  const report = (event: SecurityEventName, fields: Record<string, unknown>): void => {
    const counter = COUNTERS[event];
    const label = counter.label === undefined ? {} : { [counter.label]: String(fields[counter.label]) };
    metrics.increment(counter.name, counter.help, label);
    const source = currentSource.getStore();
    log?.({ time: new Date().toISOString(), level: 'warn', msg: 'security', event, ...(source === undefined ? {} : { source }), ...fields });
  };
  server.events.on('client.authentication_failed', ({ clientId, reason }) => report('client_authentication_failed', { reason, client_id: bounded(clientId) }));
  server.events.on('user.authentication_failed', ({ username, client }) =>
    report('login_failed', { via: client.id === LOGIN_PAGE_CLIENT.id ? 'login_page' : 'password_grant', username: bounded(username), client_id: bounded(client.id) }),
  );
  server.events.on('refresh_token.reuse_detected', ({ familyId, clientId }) => report('refresh_token_reuse', { client_id: clientId, family: fingerprint(familyId) }));
  server.events.on('authorization_code.reuse_detected', ({ familyId, clientId }) => report('authorization_code_replay', { client_id: clientId, family: fingerprint(familyId) }));
  return {
    limiter: (event) => {
      switch (event.type) {
        case 'throttled':
          return report('rate_limited', { reason: event.reason, kind: event.kind, subject: bounded(event.subject), retry_after: event.retryAfter, source: event.source });
        case 'credential_guessing':
          return report('credential_guessing', { kind: event.kind, subject: bounded(event.subject), failures: event.failures });
        case 'credential_locked':
          return report('credential_locked', { kind: event.kind, subject: bounded(event.subject), failures: event.failures, seconds: event.seconds });
      }
    },
  };
}
