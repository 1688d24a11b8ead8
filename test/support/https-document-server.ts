import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A self-signed certificate for 127.0.0.1 and localhost, made by openssl for this test run. */
export interface TestCertificate {
  readonly cert: string;
  readonly key: string;
  /** The certificate's file, for NODE_EXTRA_CA_CERTS of a child process. */
  readonly certFile: string;
  dispose(): void;
}

export function makeTestCertificate(): TestCertificate {
  const dir = mkdtempSync(join(tmpdir(), 'grantry-cert-'));
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1',
    '-keyout', keyFile, '-out', certFile, '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
  ], { stdio: 'ignore' });
  return { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8'), certFile, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

export type DocumentHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** An https server on 127.0.0.1 that serves documents by path and counts the requests each path received. */
export interface DocumentServer {
  /** `https://127.0.0.1:<port>` */
  readonly origin: string;
  /** Requests received, by path. */
  readonly hits: Map<string, number>;
  /** Sets what a path answers. */
  route(path: string, handler: DocumentHandler): string;
  /** Sets a path to answer JSON with optional headers; returns the URL. */
  json(path: string, body: unknown, headers?: Record<string, string>): string;
  close(): Promise<void>;
}

export async function startDocumentServer(certificate: TestCertificate): Promise<DocumentServer> {
  const routes = new Map<string, DocumentHandler>();
  const hits = new Map<string, number>();
  const server: Server = createServer({ cert: certificate.cert, key: certificate.key }, (req, res) => {
    const path = new URL(req.url ?? '/', 'https://x').pathname;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const handler = routes.get(path);
    if (handler) return handler(req, res);
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const route = (path: string, handler: DocumentHandler): string => {
    routes.set(path, handler);
    return origin + path;
  };
  return {
    origin,
    hits,
    route,
    json: (path, body, headers = {}) =>
      route(path, (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
      }),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
