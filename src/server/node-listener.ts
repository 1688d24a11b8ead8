import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeIfBodyUnread } from '../http/close-if-body-unread.js';
import { resolveAdapterOptions, type ResolvedAdapterOptions } from '../http/fetch-handler.js';
import { serveNodeRequest } from '../http/serve-node-request.js';
import type { GrantryApp } from './grantry-app.js';
import { clientAddress, type TrustProxy } from './trusted-proxy.js';

/** Where request log lines go (one JSON object per line). */
export type LogSink = (line: Record<string, unknown>) => void;

/** Options of {@link listen}. */
export interface ListenOptions {
  readonly host: string;
  readonly port: number;
  /** The origin requests are resolved against (the issuer's scheme and host). */
  readonly origin: (port: number) => string;
  /** Which hops are proxies whose `X-Forwarded-For` entries name the client. */
  readonly trustProxy: TrustProxy;
  /** Request log; `undefined` for none. */
  readonly log: LogSink | undefined;
}

/** A listening server that can stop gracefully. */
export interface RunningServer {
  readonly port: number;
  readonly server: Server;
  /**
   * Starts draining: from now on every response carries `Connection: close` (those in flight too, if their headers
   * are not sent yet), so kept-alive clients reconnect elsewhere. The listener still accepts connections.
   */
  drain(): void;
  /**
   * Drains, stops accepting connections, closes idle kept-alive connections, and resolves `true` once every
   * in-flight request has been answered; after `timeoutMs`, connections still open are destroyed and it resolves
   * `false`.
   */
  close(timeoutMs?: number): Promise<boolean>;
}

/**
 * Serves a {@link GrantryApp} with `node:http` through the library's node adapter, and writes one JSON log line per request (method, route, path without query, status, latency: never a
 * query string, header or body, which carry secrets) and counts metrics.
 *
 * @example
 * ```ts
 * const origin = (port: number) => `http://127.0.0.1:${port}`;
 * const running = await listen((port) => createGrantryApp({ config, store, keys, issuer: origin(port) }),
 *   { host: '127.0.0.1', port: 0, origin, trustProxy: { kind: 'none' }, log: undefined });
 * await running.close();
 * ```
 */
export async function listen(appPromise: (port: number) => Promise<GrantryApp>, options: ListenOptions): Promise<RunningServer> {
  // Filled in once the port (and so the issuer) is known; until then requests get 503.
  const state: { app?: GrantryApp; adapter?: ResolvedAdapterOptions; closing: boolean } = { closing: false };
  const inFlight = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    if (!state.app || !state.adapter) {
      closeIfBodyUnread(req, res);
      res.writeHead(503, { 'retry-after': '1' }).end();
      return;
    }
    if (state.closing) res.setHeader('connection', 'close');
    inFlight.add(res);
    res.once('close', () => inFlight.delete(res));
    void handle(state.app, state.adapter, options, req, res);
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  // Request URLs are built on the issuer's origin, never on the Host header.
  state.adapter = resolveAdapterOptions({ baseUrl: new URL(options.origin(port)).origin, onError: () => undefined });
  try {
    state.app = await appPromise(port);
  } catch (error) {
    server.close();
    throw error;
  }
  const drain = (): void => {
    state.closing = true;
    for (const res of inFlight) if (!res.headersSent) res.setHeader('connection', 'close');
  };
  return {
    port,
    server,
    drain,
    close: (timeoutMs = Infinity) =>
      new Promise<boolean>((resolve) => {
        drain();
        let forced = false;
        // Stops accepting; resolves once the last connection has ended. Idle kept-alive connections are closed now
        // (and any that turn idle later), busy ones after their response, which carries Connection: close.
        const sweep = setInterval(() => server.closeIdleConnections(), 100);
        const deadline = Number.isFinite(timeoutMs)
          ? setTimeout(() => {
              forced = true;
              server.closeAllConnections();
            }, Math.max(0, timeoutMs))
          : undefined;
        server.close(() => {
          clearInterval(sweep);
          clearTimeout(deadline);
          resolve(!forced);
        });
      }),
  };
}

/** The routes of health probes and metric scrapes. */
const PROBES = new Set(['/livez', '/readyz', '/healthz', '/metrics']);

async function handle(app: GrantryApp, adapter: ResolvedAdapterOptions, options: ListenOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const started = process.hrtime.bigint();
  app.metrics.inFlight += 1;
  // The one client address that the limiter, the pages and the log line all use.
  const source = clientAddress(options.trustProxy, req.socket.remoteAddress, req.headers['x-forwarded-for']);
  let status = 500;
  let route = 'unknown';
  // The library's node:http adapter converts the request and writes the response (streaming, errors, limits).
  await serveNodeRequest(
    async (request) => {
      route = app.routeOf(request);
      const response = await app.fetch(request, { source });
      status = response.status;
      return response;
    },
    req,
    res,
    adapter,
  );
  app.metrics.inFlight -= 1;
  const elapsedNs = Number(process.hrtime.bigint() - started);
  const seconds = elapsedNs / 1e9;
  if (res.statusCode !== status && route === 'unknown') status = res.statusCode;
  app.metrics.observeRequest(route, req.method ?? 'GET', status, seconds);
  options.log?.({
    time: new Date().toISOString(),
    // Probes and scrapes come every few seconds: their lines are debug, so that the log shows the traffic.
    level: PROBES.has(route) ? 'debug' : status >= 500 ? 'error' : 'info',
    msg: 'request',
    method: req.method,
    route,
    path: (req.url ?? '/').split('?', 1)[0],
    status,
    duration_ms: Math.round(elapsedNs / 1e3) / 1e3, // whole microseconds, in ms
    source,
    ...(typeof req.headers['x-request-id'] === 'string' ? { request_id: req.headers['x-request-id'].slice(0, 64) } : {}),
  });
}
