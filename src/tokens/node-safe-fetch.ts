// The Node transport of safeFetchJson, loaded behind SafeFetchTransport the way node-crypto-backend is loaded behind
// CryptoBackend: node:https with a name resolution that checks every address before the socket connects, so a
// name cannot resolve to a checked address first and to an internal one at connect time (DNS rebinding).
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { request } from 'node:https';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { Readable } from 'node:stream';
import { rootCertificates } from 'node:tls';
import type { SafeFetchTransport, SafeTransportInit } from './safe-fetch.js';

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** dns.lookup with every answer checked; the connection then uses only the checked answers. */
function checkedLookup(check: SafeTransportInit['checkAddress']) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, []);
      try {
        if (addresses.length === 0) throw Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' });
        for (const { address } of addresses) check(address);
      } catch (refused) {
        return callback(refused as NodeJS.ErrnoException, []);
      }
      if (options.all === true) return callback(null, addresses);
      const [first] = addresses;
      callback(null, first!.address, first!.family);
    });
  };
}

/** Responses that carry no body by definition (RFC 9110 §6.4.1), which a Fetch `Response` refuses to be given one. */
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

function toResponse(res: IncomingMessage): Response {
  const headers = new Headers();
  for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) headers.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
  const status = res.statusCode ?? 502;
  if (NULL_BODY.has(status) || status < 200 || status > 599) {
    res.destroy();
    return new Response(null, { status: status < 200 || status > 599 ? 502 : status, headers });
  }
  return new Response(Readable.toWeb(res) as ReadableStream<Uint8Array>, { status, headers });
}

/**
 * GET over `node:https`: no connection pool (each request resolves and checks anew), no redirects followed, the
 * peer's address checked again once connected, extra CAs added to Node's own.
 *
 * @example
 * ```ts
 * const { body } = await safeFetchJson(url, { transport: nodeSafeTransport, allowLoopback: true });
 * ```
 */
export const nodeSafeTransport: SafeFetchTransport = (url, init) =>
  new Promise<Response>((resolve, reject) => {
    const req = request(url, {
      method: 'GET',
      headers: init.headers,
      signal: init.signal,
      agent: false,
      lookup: checkedLookup(init.checkAddress),
      ...(init.ca === undefined ? {} : { ca: [...rootCertificates, ...init.ca] }),
    });
    req.once('response', (res) => {
      try {
        // The socket connected to an address the lookup checked; an IP-literal host skipped the lookup and was
        // checked before the request. Check the peer again all the same.
        const peer = res.socket.remoteAddress;
        if (peer !== undefined && isIP(peer) !== 0) init.checkAddress(peer);
        resolve(toResponse(res));
      } catch (error) {
        res.destroy();
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
    req.once('error', reject);
    req.end();
  });
