import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/**
 * How the proxy treats traffic: `forward` passes it both ways; `reset` destroys every open connection and every
 * new one at once (a refused or reset network); `stall` keeps every socket open but passes nothing (a black hole
 * whose sockets are never reset). Connections stalled once stay stalled, as after a real black hole.
 */
export type ProxyMode = 'forward' | 'reset' | 'stall';

/** A TCP proxy on 127.0.0.1 in front of `target`, for cutting a database off from the server under test. */
export interface TcpProxy {
  readonly port: number;
  setMode(mode: ProxyMode): void;
  close(): Promise<void>;
}

/** Starts the proxy on `port` (default: a free one; a stopped proxy's port to restart it, as a database restarts). */
export async function startTcpProxy(target: { host: string; port: number }, port = 0): Promise<TcpProxy> {
  let mode: ProxyMode = 'forward';
  const pairs = new Set<{ client: Socket; upstream: Socket; stalled: boolean }>();
  const server: Server = createServer((client) => {
    if (mode === 'reset') {
      client.resetAndDestroy();
      return;
    }
    const upstream = createConnection(target);
    const pair = { client, upstream, stalled: mode === 'stall' };
    pairs.add(pair);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (chunk: Buffer) => {
      if (!pair.stalled) upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!pair.stalled) client.write(chunk);
    });
    for (const socket of [client, upstream]) {
      socket.on('error', end);
      socket.on('close', end);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    setMode(next) {
      mode = next;
      for (const pair of pairs) {
        if (next === 'stall') pair.stalled = true;
        if (next === 'reset') {
          pair.client.resetAndDestroy();
          pair.upstream.destroy();
          pairs.delete(pair);
        }
      }
    },
    async close() {
      for (const pair of pairs) {
        pair.client.destroy();
        pair.upstream.destroy();
      }
      pairs.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
