import type { ServerResponse } from 'node:http';
import { closeIfBodyUnread } from './close-if-body-unread.js';
import type { PlainResult } from '../contracts/plain-request.js';

const PENDING = Symbol('pending');

/** Resolves to {@link PENDING} unless `promise` settles within a few microtask turns (an in-memory body does). */
async function settledSoon<T>(promise: Promise<T>): Promise<T | typeof PENDING> {
  const soon = (async (): Promise<typeof PENDING> => {
    for (let i = 0; i < 4; i++) await Promise.resolve();
    return PENDING;
  })();
  return Promise.race<T | typeof PENDING>([promise, soon]);
}

/**
 * The body of a response, in one piece when it is already in memory (every JSON answer of the core), else as a
 * stream that still yields every byte: for frameworks that set `Content-Length` themselves for a buffer.
 *
 * @example
 * ```ts
 * const body = await responseBody(response);
 * reply.send(body instanceof Uint8Array ? Buffer.from(body.buffer, body.byteOffset, body.byteLength) : body);
 * ```
 */
export async function responseBody(response: Response): Promise<Uint8Array | ReadableStream<Uint8Array> | null> {
  if (response.body === null) return null;
  const reader = response.body.getReader();
  const first = await reader.read();
  if (first.done) return new Uint8Array(0);
  const next = reader.read();
  const second = await settledSoon(next);
  if (second !== PENDING && second.done) return first.value;
  let pending: Promise<ReadableStreamReadResult<Uint8Array>> | undefined = next;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(first.value);
    },
    async pull(controller) {
      const chunk = await (pending ?? reader.read());
      pending = undefined;
      if (chunk.done) controller.close();
      else controller.enqueue(chunk.value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}

/**
 * Writes a Fetch `Response` to a node:http `ServerResponse`. A body already in memory (every JSON answer of the
 * core) goes out in one write with a `Content-Length`; any other body streams chunk by chunk, waiting for `drain`
 * when the socket is full and cancelling the body when the client goes away. When the handler answered before the
 * request body had fully arrived, the response carries `Connection: close` and the connection ends after it.
 *
 * @example
 * ```ts
 * await writeFetchResponse(await server.handleTokenRequest(request), res);
 * ```
 */
export async function writeFetchResponse(response: Response, res: ServerResponse): Promise<void> {
  const headers: string[] = [];
  let hasLength = false;
  response.headers.forEach((value, name) => {
    if (name === 'set-cookie') return;
    if (name === 'content-length') hasLength = true;
    headers.push(name, value);
  });
  for (const cookie of response.headers.getSetCookie()) headers.push('set-cookie', cookie);
  const head = (): void => {
    // A body the handler left unread: `Connection: close`, unless all of it has arrived (see closeIfBodyUnread).
    if (res.req !== undefined && !res.headersSent) closeIfBodyUnread(res.req, res);
    if (response.statusText) res.writeHead(response.status, response.statusText, headers);
    else res.writeHead(response.status, headers);
  };

  if (response.body === null || res.req.method === 'HEAD') {
    if (response.body !== null) void response.body.cancel().catch(() => undefined);
    head();
    res.end();
    return;
  }

  const reader = response.body.getReader();
  try {
    const first = await reader.read();
    if (first.done) {
      if (!hasLength) headers.push('content-length', '0');
      head();
      res.end();
      return;
    }
    let next = reader.read();
    const second = await settledSoon(next);
    if (second !== PENDING && second.done) {
      if (!hasLength) headers.push('content-length', String(first.value.byteLength));
      head();
      res.end(first.value);
      return;
    }
    head();
    if (!(await write(res, first.value))) return void (await reader.cancel());
    for (;;) {
      const chunk = await next;
      if (chunk.done) break;
      if (!(await write(res, chunk.value))) return void (await reader.cancel());
      next = reader.read();
    }
    res.end();
  } catch (error) {
    // The body failed half-way: the status is gone already, so the only honest signal left is a cut connection.
    if (res.headersSent) res.destroy();
    else throw error;
  }
}

/** Writes a chunk; when the socket buffer is full, waits for `drain`. False when the client has gone away. */
function write(res: ServerResponse, chunk: Uint8Array): Promise<boolean> | boolean {
  if (res.destroyed) return false;
  if (res.write(chunk)) return true;
  return new Promise((resolve) => {
    const done = (ok: boolean) => () => {
      res.off('drain', onDrain);
      res.off('close', onClose);
      resolve(ok);
    };
    const onDrain = done(true);
    const onClose = done(false);
    res.on('drain', onDrain);
    res.on('close', onClose);
  });
}

/**
 * Writes a core {@link PlainResult} to a node:http `ServerResponse` in one write, with its `Content-Length`; the
 * same `Connection: close` rule as {@link writeFetchResponse} when the request body was left unread.
 *
 * @example
 * ```ts
 * writePlainResult(await server.serveTokenRequest(plain), res);
 * ```
 */
export function writePlainResult(result: PlainResult, res: ServerResponse): void {
  if (res.req !== undefined && !res.headersSent) closeIfBodyUnread(res.req, res);
  const headers: string[] = [];
  for (const name in result.headers) headers.push(name, result.headers[name]!);
  headers.push('content-length', String(Buffer.byteLength(result.body)));
  res.writeHead(result.status, headers);
  if (res.req?.method === 'HEAD') res.end();
  else res.end(result.body);
}
