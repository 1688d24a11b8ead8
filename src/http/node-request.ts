import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { Readable } from 'node:stream';
import type { ResolvedAdapterOptions } from './fetch-handler.js';
import { nodeBodyStream } from './node-body-stream.js';
import { PlainRequest, type HeaderReader } from '../contracts/plain-request.js';

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
 * backpressure. Cloning the request and cancelling both copies is safe; what the handler leaves unread is settled
 * by the adapter when it answers (`Connection: close` unless the message has arrived whole).
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
      : nodeBodyStream(stream);
  return new Request(url, { method, headers, body, duplex: 'half' } as RequestInit);
}

/**
 * The headers of a node:http message, read the way the Fetch API's `Headers.get` reads them (case-insensitive,
 * repeated headers joined with `, `), straight from `rawHeaders`: no `Headers` object is built.
 *
 * @example
 * ```ts
 * new RawHeaderReader(req.rawHeaders).get('authorization'); // 'Basic ...' or null
 * ```
 */
export class RawHeaderReader implements HeaderReader, Iterable<[string, string]> {
  constructor(private readonly raw: readonly string[]) {}

  get(name: string): string | null {
    const lower = name.toLowerCase();
    const raw = this.raw;
    let value: string | null = null;
    for (let i = 0; i < raw.length; i += 2) {
      const key = raw[i]!;
      if (key.length === lower.length && key.toLowerCase() === lower) value = value === null ? raw[i + 1]! : `${value}, ${raw[i + 1]!}`;
    }
    return value;
  }

  *[Symbol.iterator](): Iterator<[string, string]> {
    for (let i = 0; i < this.raw.length; i += 2) yield [this.raw[i]!, this.raw[i + 1]!];
  }
}

/**
 * The core's plain view of a node:http POST whose body is small enough to hold in memory (a declared
 * `Content-Length` up to `maxBufferedBodyBytes`, or bytes a framework already read): the body is read whole, and
 * no Fetch object is built. `undefined` for any other request (another method, a chunked or large body), which the
 * caller serves through {@link toFetchRequest} instead.
 *
 * @example
 * ```ts
 * const plain = await toPlainRequest(req, resolved);
 * if (plain) writePlainResult(await server.serveTokenRequest(plain), res);
 * ```
 */
export async function toPlainRequest(
  req: IncomingMessage,
  options: ResolvedAdapterOptions,
  source: NodeRequestSource = {},
): Promise<PlainRequest | undefined> {
  if (req.method !== 'POST' || source.body !== undefined) return undefined;
  const url = requestOrigin(req, options) + requestPath(source.url ?? req.url);
  const headers = new RawHeaderReader(req.rawHeaders);
  if (source.bytes !== undefined) return new PlainRequest('POST', url, headers, source.bytes);
  if (!hasBody(req)) return new PlainRequest('POST', url, headers, null);
  if (req.headers['transfer-encoding'] !== undefined || !(Number(req.headers['content-length']) <= options.maxBufferedBodyBytes)) return undefined;
  return new PlainRequest('POST', url, headers, await readAll(req));
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
  if (stream.destroyed) return Promise.reject(new Error('request aborted'));
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
