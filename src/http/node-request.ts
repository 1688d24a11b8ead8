import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { Readable } from 'node:stream';
import type { ResolvedAdapterOptions } from './fetch-handler.js';

/** A host name, IPv4 or bracketed IPv6 address with an optional port: nothing else reaches the URL. */
const SAFE_HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/;

/**
 * What {@link toFetchRequest} needs besides the message.
 *
 * @example
 * ```ts
 * const request = await toFetchRequest(req, resolved, { url: req.originalUrl });
 * ```
 */
export interface NodeRequestSource {
  /** The path and query to use instead of `req.url` (Express: `originalUrl`). */
  readonly url?: string | undefined;
  /** Where to read the body from instead of the message itself (Fastify: the payload after its hooks). */
  readonly body?: Readable | undefined;
  /** The body, already read by a framework's parser (Express `express.raw()`); `null` for a request without one. */
  readonly bytes?: Uint8Array | null | undefined;
}

/**
 * Converts a node:http `IncomingMessage` into a Fetch `Request`. A body that declares a small `Content-Length`
 * (the token endpoint's always do) is read first and handed over in one chunk; any other body streams, with
 * backpressure, and what the handler does not read is drained so that a kept-alive connection stays usable.
 *
 * @example
 * ```ts
 * const request = await toFetchRequest(req, resolveAdapterOptions({ baseUrl: 'https://auth.example.com' }));
 * ```
 */
export async function toFetchRequest(req: IncomingMessage, options: ResolvedAdapterOptions, source: NodeRequestSource = {}): Promise<Request> {
  const method = req.method ?? 'GET';
  const url = requestOrigin(req, options) + requestPath(source.url ?? req.url);
  const headers = new Headers();
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) headers.append(raw[i]!, raw[i + 1]!);
  if (method === 'GET' || method === 'HEAD' || source.bytes === null || !hasBody(req)) return new Request(url, { method, headers });
  if (source.bytes !== undefined) return new Request(url, { method, headers, body: bufferedStream(source.bytes), duplex: 'half' } as RequestInit);

  const stream = source.body ?? req;
  const declared = Number(req.headers['content-length']);
  // A one-chunk ReadableStream of our own is cheaper for undici than a Uint8Array body, which it copies and wraps.
  const body =
    source.body === undefined && declared <= options.maxBufferedBodyBytes
      ? bufferedStream(await readAll(stream))
      : streamFrom(stream);
  return new Request(url, { method, headers, body, duplex: 'half' } as RequestInit);
}

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

function requestOrigin(req: IncomingMessage, options: ResolvedAdapterOptions): string {
  if (options.origin !== undefined) return options.origin;
  const scheme = (req.socket as Partial<TLSSocket>).encrypted ? 'https://' : 'http://';
  const host = req.headers.host;
  return scheme + (host !== undefined && SAFE_HOST.test(host) ? host : 'localhost');
}

/** Origin-form targets are used as they are; absolute-form and `*` keep only their path and query. */
function requestPath(target: string | undefined): string {
  if (target === undefined || target === '') return '/';
  if (target.charCodeAt(0) === 47 /* / */) return target;
  try {
    const url = new URL(target);
    return url.pathname + url.search;
  } catch {
    return '/';
  }
}

function readAll(stream: Readable): Promise<Uint8Array> {
  // Already read to the end by someone else (a framework's body parser): nothing more will come.
  if (stream.readableEnded) return Promise.resolve(new Uint8Array(0));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      size += chunk.byteLength;
    };
    const onEnd = (): void => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    const onError = (error: unknown): void => {
      cleanup();
      reject(error instanceof Error ? error : new Error('request aborted'));
    };
    const onClose = (): void => onError(new Error('request aborted'));
    const cleanup = (): void => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      stream.off('close', onClose);
    };
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
    stream.on('close', onClose);
  });
}

function bufferedStream(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(controller) {
      if (bytes.byteLength > 0) controller.enqueue(bytes);
      controller.close();
    },
  });
}

/**
 * A pull-based web stream over a Node stream: one chunk per read (backpressure: nothing is read from the socket
 * before the handler asks). Cancelling (the core does, past its size limit) drains the rest instead of destroying
 * the socket, so that the error response still reaches the client.
 */
function streamFrom(source: Readable): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        return new Promise<void>((resolve) => {
          const settle = (action: () => void): void => {
            source.off('readable', attempt);
            source.off('end', onEnd);
            source.off('error', onError);
            source.off('close', onClose);
            action();
            resolve();
          };
          const attempt = (): void => {
            const chunk = source.read() as Buffer | null;
            if (chunk !== null) settle(() => controller.enqueue(chunk));
          };
          const onEnd = (): void => settle(() => controller.close());
          const onError = (error: unknown): void => settle(() => controller.error(error));
          const onClose = (): void => {
            if (!source.readableEnded) onError(new Error('request aborted'));
          };
          if (source.readableEnded) return settle(() => controller.close());
          source.on('readable', attempt);
          source.on('end', onEnd);
          source.on('error', onError);
          source.on('close', onClose);
          attempt();
        });
      },
      cancel() {
        source.resume();
      },
    },
    { highWaterMark: 0 },
  );
}
