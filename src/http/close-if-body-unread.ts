import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { needsRelease, releaseNodeBody } from './node-body-stream.js';

/**
 * The connection policy of every Node adapter, applied just before the response head is written. A handler may
 * answer before it has read the whole body (a 413 past the size limit, a 401 before the form): then
 *
 * - when the message has arrived whole (`req.complete`), the rest is already in memory: it is thrown away once the
 *   response is out and the connection stays usable for the next request;
 * - otherwise the response says `Connection: close` and Node ends the connection once the response is flushed.
 *   Nothing more of the body is waited for: draining a body of unknown size would let a client keep the server
 *   busy reading, and a connection that was announced as kept alive is never reset under the client.
 *
 * @example
 * ```ts
 * closeIfBodyUnread(req, res);
 * res.writeHead(response.status, headers);
 * ```
 */
export function closeIfBodyUnread(req: IncomingMessage, res: ServerResponse, body: Readable = req): void {
  // A message without a body is whole once its head is (`complete` flips only after the 'request' event).
  const framed = req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] ?? '0') !== '0';
  if (framed && !req.complete) res.shouldKeepAlive = false;
  // A body read whole (the plain path) has nothing to release: no listener for it.
  if (body === req && !needsRelease(req)) return;
  res.once('finish', () => {
    if (body !== req) releaseNodeBody(body);
    releaseNodeBody(req);
  });
}
