import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeIfBodyUnread } from '../http/close-if-body-unread.js';

/**
 * A listener of its own for `/metrics` (`--metrics-port`).
 *
 * @example
 * ```ts
 * const listener: MetricsListener = await listenMetrics(handle, { host: '127.0.0.1', port: 9464 });
 * ```
 */
export interface MetricsListener {
  readonly port: number;
  /** Stops accepting and ends every connection (a scrape in flight is cut: Prometheus retries at the next one). */
  close(): Promise<void>;
}

/**
 * Serves `handle` at `/metrics` on `host:port` and answers 404 for every other path, so that the metrics can be
 * reachable from the monitoring network only while the OAuth endpoints face the clients.
 *
 * @example
 * ```ts
 * const listener = await listenMetrics(metricsEndpoint(() => metrics.render(), undefined), { host: '127.0.0.1', port: 0 });
 * await fetch(`http://127.0.0.1:${listener.port}/metrics`);
 * await listener.close();
 * ```
 */
export async function listenMetrics(handle: (request: Request) => Response, options: { host: string; port: number }): Promise<MetricsListener> {
  const server = createServer((req, res) => {
    closeIfBodyUnread(req, res);
    const path = (req.url ?? '/').split('?', 1)[0];
    const headers: Record<string, string> = req.headers.authorization === undefined ? {} : { authorization: req.headers.authorization };
    const response =
      path === '/metrics'
        ? handle(new Request(`http://${options.host.includes(':') ? `[${options.host}]` : options.host}/metrics`, { headers }))
        : Response.json({ error: 'not_found' }, { status: 404 });
    void response.text().then((body) => {
      res.writeHead(response.status, Object.fromEntries(response.headers));
      res.end(req.method === 'HEAD' ? undefined : body);
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
