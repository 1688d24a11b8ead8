import { AuthorizationServer } from '../core/authorization-server.js';
import { DpopNonces } from '../tokens/dpop-nonces.js';
import { systemClock, type Clock } from '../contracts/clock.js';
import { toOAuthError } from '../contracts/oauth-error.js';
import type { Logger } from '../contracts/server-context.js';
import { enableGrants } from './build-grants.js';
import type { ServerConfig } from './config.js';
import { handleAuthorize, handleConsentDecision } from './consent-page.js';
import { handleDevice, handleDeviceDecision } from './device-page.js';
import { homePage } from './home-page.js';
import { handleAccount } from './account-page.js';
import { encryptionKeyInputs, signingKeyInputs, type KeysFile } from './key-store.js';
import { limitClientAuthentication } from './limited-endpoint.js';
import { errorPage, handleLogin, handleLogout } from './login-page.js';
import { Metrics } from './metrics.js';
import { metricsEndpoint } from './metrics-endpoint.js';
import { ProcessMetrics } from './process-metrics.js';
import { PageView } from './page-view.js';
import { PageBodyTooLarge, tooLargePage, type PageContext, type PageRequest } from './page-context.js';
import type { LogSink } from './node-listener.js';
import { RateLimiter } from './rate-limiter.js';
import { watchSecurityEvents, withSource } from './security-log.js';
import type { ServerStore } from './server-store.js';
import { SessionManager } from './session.js';
import { checkStorage } from './storage-probe.js';

/**
 * What {@link createGrantryApp} composes.
 *
 * @example
 * ```ts
 * const options: GrantryAppOptions = { config, store, keys: await store.keys.load(), issuer: 'https://auth.example.com' };
 * ```
 */
export interface GrantryAppOptions {
  readonly config: ServerConfig;
  readonly store: ServerStore;
  readonly keys: KeysFile;
  /** The issuer, once the port is known (defaults to `config.issuer`). */
  readonly issuer: string;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Where security events go, one JSON object per line (failed authentications, throttling, replays). */
  readonly log?: LogSink;
}

/**
 * Facts about one request that the Fetch API does not carry.
 *
 * @example
 * ```ts
 * const info: RequestInfo = { source: req.socket.remoteAddress ?? 'unknown' };
 * const behindProxy: RequestInfo = { source: clientAddress(parseTrustProxy('1'), req.socket.remoteAddress, req.headers['x-forwarded-for']) };
 * ```
 */
export interface RequestInfo {
  /** The client's address (behind proxies: `clientAddress` of the socket's peer and `X-Forwarded-For`). */
  readonly source: string;
}

/**
 * The ready server as a Fetch handler: route table, pages, limiter and metrics around an `AuthorizationServer`.
 *
 * @example
 * ```ts
 * const app: GrantryApp = await createGrantryApp(options);
 * const response = await app.fetch(request, { source: '203.0.113.7' });
 * ```
 */
export interface GrantryApp {
  readonly server: AuthorizationServer;
  readonly metrics: Metrics;
  /**
   * The `/metrics` handler (the OAuth metrics, then the process metrics), behind the metrics token when one is
   * set; served by {@link GrantryApp.fetch} unless `--metrics-port` moves it to a listener of its own.
   */
  scrape(request: Request): Response;
  fetch(request: Request, info: RequestInfo): Promise<Response>;
  /** The route name of a path, for logs and metrics (never the raw path, which is unbounded). */
  routeOf(request: Request): string;
  /** Marks the server as shutting down: `/readyz` and `/healthz` answer 503 from now on, `/livez` stays 200. */
  drain(): void;
}

type Route = (request: Request, info: RequestInfo) => Promise<Response>;

/** The process's metrics: one set per process, however many apps it runs (the monitors are process-wide). */
let processMetrics: ProcessMetrics | undefined;

/**
 * Composes the ready server from the library's public API: an `AuthorizationServer` with the configured grants,
 * the storage engine's repositories, the keys from the data directory, and the pages (login, consent, device, account).
 *
 * @example
 * ```ts
 * const app = await createGrantryApp({ config, store, keys: await store.keys.load(), issuer });
 * const response = await app.fetch(new Request(`${issuer}/healthz`), { source: '127.0.0.1' });
 * ```
 */
export async function createGrantryApp(options: GrantryAppOptions): Promise<GrantryApp> {
  const { config, store, keys, issuer } = options;
  const clock = options.clock ?? systemClock;
  const storage = store.storage;
  const server = new AuthorizationServer({
    clients: storage.clients,
    accessTokens: storage.accessTokens,
    scopes: storage.scopes,
    privateKey: signingKeyInputs(keys, clock.now()),
    encryptionKey: encryptionKeyInputs(keys, clock.now()),
    issuer,
    clock,
    ...(options.logger ? { logger: options.logger } : {}),
    // Revocation and introspection of refresh tokens, and `username` in introspection answers.
    refreshTokens: storage.refreshTokens,
    users: storage.users,
    // Dynamic client registration (RFC 7591/7592): registered clients get the user-facing grants that are enabled,
    // never password, client_credentials or permissions; the scopes of --registration-scopes (default: any).
    ...(config.registration === 'off'
      ? {}
      : {
          registration: {
            mode: config.registration === 'open' ? ('open' as const) : ('initial-access-token' as const),
            clients: storage.registrations,
            initialAccessTokens: storage.initialAccessTokens,
            scopes: config.registrationScopes,
          },
        }),
    accessTokenFormat: config.accessTokenFormat,
    ...(config.clientMetadataDocuments
      ? {
          clientIdMetadataDocuments: {
            allowLoopback: config.clientMetadataAllowLoopback,
            ...(config.clientMetadataAllowHosts ? { allowHosts: config.clientMetadataAllowHosts } : {}),
            ...(config.clientMetadataDenyHosts ? { denyHosts: config.clientMetadataDenyHosts } : {}),
          },
        }
      : {}),
    // Single use in the shared storage of DPoP proof jtis (RFC 9449) and of client assertion jtis (RFC 7523): given,
    // `replays` also turns on private_key_jwt and client_secret_jwt. DPoP nonces are derived from the shared session
    // key, so every instance issues and accepts the same ones.
    replays: storage.replays,
    dpop: {
      required: config.requireDpop,
      maxAge: config.dpopProofMaxAge,
      ...(config.dpopNonce ? { nonces: new DpopNonces(`grantry-dpop-nonce:${keys.session}`) } : {}),
    },
    // RFC 8707: the resources registered with `grantry resources create`, read from the database on each request.
    resources: storage.resources,
    // Pushed authorization requests (RFC 9126) at /par.
    pushedAuthorizationRequests: storage.pushedAuthorizationRequests,
    requestUriTTL: config.requestUriTTL,
    requirePushedAuthorizationRequests: config.requirePushedAuthorizationRequests,
    clientAssertions: { maxTTL: config.clientAssertionMaxTTL, acceptTokenEndpointAudience: config.acceptTokenEndpointAudience },
  });
  enableGrants(server, storage, config, issuer);
  try {
    await server.context(); // import the keys now: a bad key is a start-up error, not a 500 later
  } catch (error) {
    throw new TypeError(`the keys in ${store.keys.location} cannot be used: ${(error as Error).message}`);
  }

  const metrics = new Metrics();
  const runtime = (processMetrics ??= new ProcessMetrics());
  const scrape = metricsEndpoint(() => metrics.render() + runtime.render(), config.metricsToken);
  server.events.on('access_token.issued', ({ grantType }) => metrics.increment('grantry_access_tokens_issued_total', 'Access tokens issued by grant type.', { grant_type: grantType }));
  const security = watchSecurityEvents(server, metrics, options.log);
  // Clients that register themselves (RFC 7591/7592): one info line each, and a counter.
  server.events.on('client.registered', ({ clientId, grantTypes, initialAccessToken }) => {
    metrics.increment('grantry_clients_registered_total', 'Clients that registered themselves (RFC 7591).', {});
    options.log?.({ time: new Date().toISOString(), level: 'info', msg: 'client registered', client_id: clientId, grant_types: grantTypes, initial_access_token: initialAccessToken });
  });
  server.events.on('client.registration_deleted', ({ clientId }) => {
    options.log?.({ time: new Date().toISOString(), level: 'info', msg: 'client registration deleted', client_id: clientId });
  });

  const limiter = new RateLimiter(store.rateLimits, {
    clock,
    max: config.rateLimitMax,
    windowSeconds: config.rateLimitWindow,
    sourceMax: config.rateLimitSourceMax,
    slowdownAfter: config.slowdownAfter,
    slowdownMs: config.slowdownMs,
    slowdownMaxMs: config.slowdownMaxMs,
    lockoutThreshold: config.lockoutThreshold,
    lockoutSeconds: config.lockoutSeconds,
    onEvent: security.limiter,
  });
  const sessions = new SessionManager(keys.session, storage.sessions, { ttlSeconds: config.sessionTTL, secure: issuer.startsWith('https:'), clock });
  // Templates, strings, CSS and logo are read and checked now: a mistake in them is a start-up error.
  const view = new PageView({ pagesDir: config.pagesDir, css: config.css, productName: config.productName, logoUrl: config.logoUrl, strings: config.strings });
  const pages: PageContext = { server, store, sessions, limiter, clock, issuer, view };
  const limited = (respond: (r: Request) => Promise<Response>): Route => {
    const wrapped = limitClientAuthentication(limiter, respond, (error) => server.errorResponse(error));
    return (request, info) => wrapped(request, info.source);
  };
  const page$ = (handler: (ctx: PageContext, req: PageRequest) => Promise<Response>): Route => async (request, info) => {
    const existing = await sessions.read(request);
    const session = existing ?? (await sessions.create());
    let response: Response;
    try {
      response = await handler(pages, { request, source: info.source, session, newSession: !existing });
    } catch (error) {
      if (error instanceof PageBodyTooLarge) return tooLargePage(view);
      // Unavailable storage on a page (login, consent, device): a 503 page with Retry-After, not a JSON error.
      const oauth = toOAuthError(error);
      if (oauth.code !== 'temporarily_unavailable') throw error;
      await server.errorResponse(error); // logs what failed
      return errorPage(view, oauth);
    }
    if (existing || response.headers.has('set-cookie')) return response;
    // A fresh copy of the headers: a Response may come with immutable ones.
    const headers = new Headers(response.headers);
    headers.append('set-cookie', sessions.cookie(session));
    return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
  };

  const routes: Record<string, Route> = {
    '/token': limited((r) => server.respondToAccessTokenRequest(r)),
    '/revoke': limited((r) => server.respondToRevocationRequest(r)),
    '/introspect': limited((r) => server.respondToIntrospectionRequest(r)),
    '/device_authorization': limited((r) => server.respondToDeviceAuthorizationRequest(r)),
    '/par': limited((r) => server.respondToPushedAuthorizationRequest(r)),
    '/.well-known/oauth-authorization-server': (r) => server.handleMetadataRequest(r),
    ...(config.registration === 'off' ? {} : { '/register': (r: Request) => server.handleRegistrationRequest(r) }),
    '/.well-known/jwks.json': (r) => server.handleJwksRequest(r),
    '/authorize': page$(handleAuthorize),
    '/authorize/decision': page$(handleConsentDecision),
    '/login': page$(handleLogin),
    '/logout': page$(handleLogout),
    '/device': page$(handleDevice),
    '/device/decision': page$(handleDeviceDecision),
    '/account': page$(handleAccount),
    '/pages.css': async () => view.stylesheet(),
    '/healthz': async () => health(store),
    // Readiness (take traffic?) is health, until SIGTERM starts the drain; liveness (restart me?) is only "running".
    '/readyz': async () => health(store),
    '/livez': async () => Response.json({ status: 'ok' }, { headers: { 'cache-control': 'no-store' } }),
    // With --metrics-port, /metrics is served there only (see start-server).
    ...(config.metricsPort === undefined ? { '/metrics': async (request: Request) => scrape(request) } : {}),
    '/': async () => homePage(issuer, view),
  };

  /** The route of a path: its own entry, or for `/register/{client_id}` (RFC 7592) the registration endpoint's. */
  const routeFor = (path: string): [name: string, route: Route] | undefined => {
    const exact = routes[path];
    if (exact) return [path, exact];
    const register = routes['/register'];
    return register && path.startsWith('/register/') ? ['/register/{client_id}', register] : undefined;
  };
  const routeOf = (request: Request): string => routeFor(new URL(request.url).pathname)?.[0] ?? 'unknown';

  let draining = false;
  return {
    server,
    metrics,
    scrape,
    routeOf,
    drain: () => void (draining = true),
    async fetch(request, info) {
      const path = new URL(request.url).pathname;
      if (draining && (path === '/readyz' || path === '/healthz')) {
        return Response.json({ status: 'draining' }, { status: 503, headers: { 'cache-control': 'no-store' } });
      }
      const route = routeFor(path)?.[1];
      if (!route) return new Response(JSON.stringify({ error: 'not_found' }), { status: 404, headers: { 'content-type': 'application/json' } });
      try {
        return await withSource(info.source, () => route(request, info));
      } catch (error) {
        return await server.errorResponse(error);
      }
    },
  };
}

/**
 * `/healthz`: ready only while the storage takes writes ({@link checkStorage}: a real small write, and free space
 * on SQLite's file system); otherwise 503 with `Retry-After` and the reason (`disk_full`, `connection`, …).
 */
async function health(store: ServerStore): Promise<Response> {
  const check = await checkStorage(store);
  if (check.ok) return Response.json({ status: 'ok' }, { headers: { 'cache-control': 'no-store' } });
  return Response.json({ status: 'unavailable', reason: check.reason }, { status: 503, headers: { 'cache-control': 'no-store', 'retry-after': '5' } });
}
