import type { IncomingMessage, ServerResponse } from 'node:http';
import { OAuthError } from '../core/oauth-error.js';
import { callHandler, type FetchHandler, type ResolvedAdapterOptions } from './fetch-handler.js';
import { toFetchRequest, type NodeRequestSource } from './node-request.js';
import { writeFetchResponse } from './node-response.js';

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
