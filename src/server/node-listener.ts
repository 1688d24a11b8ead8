import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import type { GrantryApp } from './grantry-app.js';

/** Where request log lines go (one JSON object per line). */
export type LogSink = (line: Record<string, unknown>) => void;

/** Options of {@link listen}. */
export interface ListenOptions {
  readonly host: string;
  readonly port: number;
  /** The origin requests are resolved against (the issuer's scheme and host). */
  readonly origin: (port: number) => string;
  readonly trustProxy: boolean;
  /** Request log; `undefined` for none. */
  readonly log: LogSink | undefined;
}

/** A listening server that can stop gracefully. */
export interface RunningServer {
  readonly port: number;
  readonly server: Server;
  /** Stops accepting connections and resolves when every in-flight request has been answered. */
  close(): Promise<void>;
}

/**
 * Serves a {@link GrantryApp} with `node:http`: converts each request to a Fetch `Request` and the `Response`
 * back, writes one JSON log line per request (method, route, path without query, status, latency: never a
 * query string, header or body, which carry secrets) and counts metrics.
 *
 * @example
 * ```ts
 * const running = await listen(app, { host: '127.0.0.1', port: 0, origin: (p) => `http://127.0.0.1:${p}`, trustProxy: false, log: undefined });
 * await running.close();
 * ```
 */
export async function listen(appPromise: (port: number) => Promise<GrantryApp>, options: ListenOptions): Promise<RunningServer> {
  let app: GrantryApp | undefined;
  let closing = false;
  let origin = '';
  const server = createServer((req, res) => {
    if (!app) {
      res.writeHead(503, { 'retry-after': '1' }).end();
      return;
    }
    if (closing) res.setHeader('connection', 'close');
    void handle(app, origin, options, req, res);
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
  origin = options.origin(port);
  try {
    app = await appPromise(port);
  } catch (error) {
    server.close();
    throw error;
  }
  return {
    port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        closing = true;
        // close() stops accepting and resolves once the last connection has ended; idle keep-alive
        // connections are closed now, busy ones after their response (Connection: close).
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}

async function handle(app: GrantryApp, origin: string, options: ListenOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const started = process.hrtime.bigint();
  app.metrics.inFlight += 1;
  const source = sourceOf(req, options.trustProxy);
  let status = 500;
  let route = 'unknown';
  try {
    const request = toRequest(req, origin);
    route = app.routeOf(request);
    const response = await app.fetch(request, { source });
    status = response.status;
    await writeResponse(res, response);
  } catch {
    if (!res.headersSent) {
      status = 500;
      res.writeHead(500, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end('{"error":"server_error"}');
    } else {
      res.destroy();
    }
  } finally {
    app.metrics.inFlight -= 1;
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    app.metrics.observeRequest(route, req.method ?? 'GET', status, seconds);
    options.log?.({
      time: new Date().toISOString(),
      level: status >= 500 ? 'error' : 'info',
      msg: 'request',
      method: req.method,
      route,
      path: (req.url ?? '/').split('?', 1)[0],
      status,
      duration_ms: Math.round(seconds * 1e6) / 1e3,
      source,
      ...(typeof req.headers['x-request-id'] === 'string' ? { request_id: req.headers['x-request-id'].slice(0, 64) } : {}),
    });
  }
}

function sourceOf(req: IncomingMessage, trustProxy: boolean): string {
  const forwarded = trustProxy ? req.headers['x-forwarded-for'] : undefined;
  const first = typeof forwarded === 'string' ? forwarded.split(',', 1)[0]?.trim() : undefined;
  return first || req.socket.remoteAddress || 'unknown';
}

function toRequest(req: IncomingMessage, origin: string): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else headers.set(name, value);
  }
  const method = req.method ?? 'GET';
  const hasBody = method !== 'GET' && method !== 'HEAD';
  return new Request(new URL(req.url ?? '/', origin), {
    method,
    headers,
    ...(hasBody ? { body: Readable.toWeb(req) as ReadableStream<Uint8Array>, duplex: 'half' } : {}),
  });
}

async function writeResponse(res: ServerResponse, response: Response): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie') headers[name] = value;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) headers['set-cookie'] = cookies;
  const body = response.body ? Buffer.from(await response.arrayBuffer()) : undefined;
  if (body) headers['content-length'] = String(body.length);
  res.writeHead(response.status, headers);
  res.end(body);
}
