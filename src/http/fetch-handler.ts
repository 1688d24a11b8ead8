import { OAuthError } from '../contracts/oauth-error.js';

/**
 * What every adapter mounts: a Fetch-API handler, `Request` in, `Response` out. `server.handleTokenRequest` is one.
 *
 * @example
 * ```ts
 * const handler: FetchHandler = (request) => server.handleTokenRequest(request);
 * ```
 */
export type FetchHandler = (request: Request) => Promise<Response>;

/**
 * Options shared by the node:http, Express and Fastify adapters.
 *
 * @example
 * ```ts
 * toNodeHandler(handler, { baseUrl: 'https://auth.example.com', onError: (e) => log.error(e) });
 * ```
 */
export interface AdapterOptions {
  /**
   * The origin of the `Request.url` the handler sees, e.g. `https://auth.example.com`. Without it the origin is
   * built from the `Host` header (checked to be a plain host name, else `localhost`) and is only as trustworthy as
   * that header: grantry itself never uses it for anything security-relevant (the issuer comes from the options).
   */
  baseUrl?: string;
  /** Bodies that declare a `Content-Length` up to this size are read into memory first; larger ones stream (64 KiB). */
  maxBufferedBodyBytes?: number;
  /** Called with anything the handler throws; the client gets a bare `server_error` (default: `console.error`). */
  onError?: (error: unknown) => void;
}

/**
 * {@link AdapterOptions} checked once at start-up.
 *
 * @example
 * ```ts
 * const resolved: ResolvedAdapterOptions = resolveAdapterOptions({ baseUrl: 'https://auth.example.com' });
 * ```
 */
export interface ResolvedAdapterOptions {
  readonly origin: string | undefined;
  readonly maxBufferedBodyBytes: number;
  readonly onError: (error: unknown) => void;
}

const DEFAULT_MAX_BUFFERED_BODY_BYTES = 64 * 1024;

/**
 * Checks adapter options at start-up: a `baseUrl` that is not a bare http(s) origin is a `TypeError`.
 *
 * @example
 * ```ts
 * const options = resolveAdapterOptions({ baseUrl: 'https://auth.example.com' });
 * ```
 */
export function resolveAdapterOptions(options: AdapterOptions = {}): ResolvedAdapterOptions {
  let origin: string | undefined;
  if (options.baseUrl !== undefined) {
    let url: URL;
    try {
      url = new URL(options.baseUrl);
    } catch {
      throw new TypeError('grantry: baseUrl must be an absolute http(s) URL');
    }
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.pathname !== '/' || url.search || url.hash) {
      throw new TypeError('grantry: baseUrl must be an http(s) origin without path, query or fragment');
    }
    origin = url.origin;
  }
  const max = options.maxBufferedBodyBytes ?? DEFAULT_MAX_BUFFERED_BODY_BYTES;
  if (!Number.isSafeInteger(max) || max < 0) throw new TypeError('grantry: maxBufferedBodyBytes must be a non-negative integer');
  return {
    origin,
    maxBufferedBodyBytes: max,
    onError: options.onError ?? ((error) => console.error('grantry: unhandled error in handler:', error instanceof Error ? error.message : error)),
  };
}

/**
 * Calls a handler and turns whatever it throws into a bare `server_error` response: never a stack trace.
 *
 * @example
 * ```ts
 * const response = await callHandler(handler, request, options.onError);
 * ```
 */
export async function callHandler(handler: FetchHandler, request: Request, onError: (error: unknown) => void): Promise<Response> {
  try {
    return await handler(request);
  } catch (error) {
    if (error instanceof OAuthError && error.code !== 'server_error') return error.toResponse();
    onError(error);
    return OAuthError.serverError().toResponse();
  }
}
