// Sends request bodies over the size limit with node:http clients, as an attacker (or a confused client) would:
// with a Content-Length or chunked, on a keep-alive agent, and reads the answer as soon as it arrives.
import { Agent, request, type IncomingHttpHeaders } from 'node:http';

/** 16 KiB + 1 byte (just over the limit), 1 MB, 10 MB. */
export const OVERSIZED = [16 * 1024 + 1, 1_000_000, 10_000_000] as const;
export const FRAMINGS = ['content-length', 'chunked'] as const;
export type Framing = (typeof FRAMINGS)[number];

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** Whether the whole body was written (else the client stopped once the answer came). */
  sentAll: boolean;
  /** What the client saw after the answer: EPIPE/ECONNRESET while it was still writing a body the server refused. */
  lateError?: string;
}

/** A keep-alive agent with one socket, so that a second request reuses the first one's connection. */
export const keepAliveAgent = (): Agent => new Agent({ keepAlive: true, maxSockets: 1 });

const CHUNK = Buffer.alloc(64 * 1024, 'a');

/**
 * POSTs `size` bytes of form body (`aaaa…`), written 64 KiB at a time with backpressure. Writing stops once the
 * answer has arrived (the server answers before it reads a large body). An error before the answer rejects; an
 * error after it (the server closed the connection under a body it refused) is reported in `lateError`.
 */
export function sendOversized(
  origin: string,
  path: string,
  size: number,
  framing: Framing,
  agent: Agent | false,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const url = new URL(path, origin);
  return new Promise((resolve, reject) => {
    const all: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', ...headers };
    if (framing === 'content-length') all['content-length'] = String(size);
    const req = request(url, { method: 'POST', agent, headers: all });
    let answer: Answer | undefined;
    let sent = 0;
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      answer = { status: res.statusCode ?? 0, headers: res.headers, body: '', sentAll: false };
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        answer!.body = Buffer.concat(chunks).toString('utf8');
        answer!.sentAll = sent >= size;
        // The rest of the body is not wanted any more: stop this request rather than write megabytes for nothing.
        if (sent < size) req.destroy();
        resolve(answer!);
      });
      res.on('error', (error) => {
        answer!.lateError = error.message;
        resolve(answer!);
      });
    });
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (answer === undefined) return reject(error);
      answer.lateError = error.code ?? error.message;
    });
    const pump = (): void => {
      while (sent < size && answer === undefined && !req.destroyed) {
        const n = Math.min(CHUNK.byteLength, size - sent);
        sent += n;
        if (!req.write(CHUNK.subarray(0, n))) return void req.once('drain', pump);
      }
      if (sent >= size) req.end();
    };
    pump();
  });
}

/** A small request on `agent` (or a new connection), answered as text. */
export function sendSmall(
  origin: string,
  path: string,
  agent: Agent | false,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Answer & { reusedSocket: boolean }> {
  const url = new URL(path, origin);
  return new Promise((resolve, reject) => {
    const headers = { ...init.headers, ...(init.body !== undefined ? { 'content-length': String(Buffer.byteLength(init.body)) } : {}) };
    const req = request(url, { method: init.method ?? 'GET', agent, headers });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          sentAll: true,
          reusedSocket: req.reusedSocket,
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

/** A client-credentials token request: the valid request that must work after the refused ones. */
export function clientCredentials(origin: string, agent: Agent | false, clientId: string, secret: string): ReturnType<typeof sendSmall> {
  return sendSmall(origin, '/token', agent, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`,
    },
    body: 'grant_type=client_credentials',
  });
}
