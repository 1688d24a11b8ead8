import type { IncomingMessage, ServerResponse } from 'node:http';
import { OAuthError } from '../contracts/oauth-error.js';
import { plainError, type PlainRequest, type PlainResult } from '../contracts/plain-request.js';
import { callHandler, type FetchHandler, type ResolvedAdapterOptions } from './fetch-handler.js';
import { toFetchRequest, toPlainRequest, type NodeRequestSource } from './node-request.js';
import { writeFetchResponse, writePlainResult } from './node-response.js';

/**
 * Serves one request with a Fetch handler: converts, calls, writes back. Never rejects: a request that cannot be
 * read is answered 400 (or dropped when the client is gone), a handler that throws gets a bare `server_error`.
 *
 * @example
 * ```ts
 * http.createServer((req, res) => void serveNodeRequest(handler, req, res, resolveAdapterOptions()));
 * ```
 */
export async function serveNodeRequest(
  handler: FetchHandler,
  req: IncomingMessage,
  res: ServerResponse,
  options: ResolvedAdapterOptions,
  source: NodeRequestSource = {},
): Promise<void> {
  let request: Request;
  try {
    request = await toFetchRequest(req, options, source);
  } catch {
    // The client went away mid-body, or sent what the Fetch API refuses (a header value undici rejects).
    if (req.destroyed || res.destroyed) return void res.destroy();
    return writeFetchResponse(OAuthError.invalidRequest('The HTTP request could not be read.').toResponse(), res).catch(() => void res.destroy());
  }
  const response = await callHandler(handler, request, options.onError);
  try {
    await writeFetchResponse(response, res);
  } catch (error) {
    options.onError(error);
    if (res.headersSent) return void res.destroy();
    await writeFetchResponse(OAuthError.serverError().toResponse(), res).catch(() => void res.destroy());
  }
}

/**
 * Serves one request on the plain path: a {@link PlainRequest} (no `Request`, `Headers` or web stream) to `handler`,
 * its {@link PlainResult} written in one piece. A request the plain path does not take (not a POST, a chunked or
 * large body) goes to `fallback` through {@link serveNodeRequest}. Never rejects.
 *
 * @example
 * ```ts
 * void servePlainRequest((r) => server.serveTokenRequest(r), (r) => server.handleTokenRequest(r), req, res, resolved);
 * ```
 */
export async function servePlainRequest(
  handler: (request: PlainRequest) => Promise<PlainResult>,
  fallback: FetchHandler,
  req: IncomingMessage,
  res: ServerResponse,
  options: ResolvedAdapterOptions,
  source: NodeRequestSource = {},
): Promise<void> {
  let request: PlainRequest | undefined;
  try {
    request = await toPlainRequest(req, options, source);
  } catch {
    // The client went away mid-body.
    if (req.destroyed || res.destroyed) return void res.destroy();
    return writePlainResult(plainError(OAuthError.invalidRequest('The HTTP request could not be read.')), res);
  }
  if (request === undefined) return serveNodeRequest(fallback, req, res, options, source);
  let result: PlainResult;
  try {
    result = await handler(request);
  } catch (error) {
    options.onError(error);
    result = plainError(OAuthError.serverError());
  }
  if (res.destroyed) return;
  writePlainResult(result, res);
}
