// What only the node:http conversion can get wrong: URLs from untrusted Host headers, streaming both ways with
// backpressure, headers that repeat, HEAD, one-write answers, and a handler that throws.
import { createServer, request as httpRequest, type IncomingMessage, type RequestListener } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { toNodeHandler, type FetchHandler } from '../../src/http/node.js';

const servers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function listen(listener: RequestListener): Promise<{ port: number; origin: string }> {
  const server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push({ close: () => new Promise<void>((resolve) => server.close(() => resolve()).closeAllConnections()) });
  const { port } = server.address() as AddressInfo;
  return { port, origin: `http://127.0.0.1:${port}` };
}

/** Sends raw bytes and returns the raw answer (the connection is closed by the request). */
function rawHttp(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(text));
    let out = '';
    socket.on('data', (d: Buffer) => (out += d.toString('latin1')));
    socket.on('end', () => resolve(out));
    socket.on('error', reject);
  });
}

const echoUrl: FetchHandler = async (request) => Response.json({ url: request.url });

describe('node:http adapter', () => {
  it.each([
    ['a plain host and port', 'auth.example.test:8443', 'http://auth.example.test:8443/p?q=1'],
    ['a bracketed IPv6 address', '[::1]:8080', 'http://[::1]:8080/p?q=1'],
    ['a host with a path smuggled in', 'evil.example/x?y', 'http://localhost/p?q=1'],
    ['a host with user info', 'user@evil.example', 'http://localhost/p?q=1'],
  ])('builds the request URL from %s only when it is a bare host', async (_name, host, expected) => {
    const { port } = await listen(toNodeHandler(echoUrl));
    const answer = await rawHttp(port, `GET /p?q=1 HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
    expect(answer).toMatch(/^HTTP\/1\.1 200/);
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toEqual({ url: expected });
  });

  it('uses the baseUrl origin whatever the Host header, and keeps only the path of an absolute-form target', async () => {
    const { port } = await listen(toNodeHandler(echoUrl, { baseUrl: 'https://auth.example.com' }));
    const answer = await rawHttp(port, 'GET http://other.example/x/y?z HTTP/1.1\r\nHost: attacker.example\r\nConnection: close\r\n\r\n');
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toEqual({ url: 'https://auth.example.com/x/y?z' });
  });

  it.each(['auth.example.com', 'ftp://auth.example.com', 'https://auth.example.com/base', 'https://auth.example.com?x'])(
    'refuses baseUrl %s with a TypeError at start-up',
    (baseUrl) => {
      expect(() => toNodeHandler(echoUrl, { baseUrl })).toThrow(TypeError);
    },
  );

  it('answers an in-memory body in one write with a Content-Length, not chunked', async () => {
    const { port } = await listen(toNodeHandler(async () => new Response('{"ok":true}', { headers: { 'content-type': 'application/json' } })));
    const answer = await rawHttp(port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(answer).toMatch(/\r\ncontent-length: 11\r\n/i);
    expect(answer).not.toMatch(/transfer-encoding/i);
    expect(answer.endsWith('\r\n\r\n{"ok":true}')).toBe(true);
  });

  it('keeps every Set-Cookie header and the status text', async () => {
    const handler: FetchHandler = async () => {
      const headers = new Headers();
      headers.append('set-cookie', 'a=1; HttpOnly');
      headers.append('set-cookie', 'b=2; Secure');
      return new Response(null, { status: 204, statusText: 'Nothing Here', headers });
    };
    const { port } = await listen(toNodeHandler(handler));
    const answer = await rawHttp(port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 204 Nothing Here\r\n/);
    expect(answer).toMatch(/\r\nset-cookie: a=1; HttpOnly\r\n/i);
    expect(answer).toMatch(/\r\nset-cookie: b=2; Secure\r\n/i);
  });

  it('sends no body in answer to HEAD', async () => {
    const { port } = await listen(toNodeHandler(async () => new Response('body text')));
    const answer = await rawHttp(port, 'HEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 200/);
    expect(answer.endsWith('\r\n\r\n')).toBe(true);
  });

  it('answers a handler that throws with a bare server_error, the cause reported to onError and never sent', async () => {
    const reported: unknown[] = [];
    const handler: FetchHandler = async () => {
      throw new Error('database password is hunter2');
    };
    const { origin } = await listen(toNodeHandler(handler, { onError: (e) => reported.push(e) }));
    const res = await fetch(origin);
    expect(res.status).toBe(500);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const text = await res.text();
    expect(JSON.parse(text).error).toBe('server_error');
    expect(text).not.toContain('hunter2');
    expect(reported).toHaveLength(1);
  });

  it('answers a request the Fetch API cannot represent (TRACE) 400 invalid_request, without calling the handler', async () => {
    let calls = 0;
    const { port } = await listen(
      toNodeHandler(async () => {
        calls++;
        return new Response('x');
      }),
    );
    const answer = await rawHttp(port, 'TRACE / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 400/);
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)).error).toBe('invalid_request');
    expect(calls).toBe(0);
  });

  it('drops a request whose client leaves mid-body without calling the handler, and serves the next one', async () => {
    let calls = 0;
    const { port, origin } = await listen(
      toNodeHandler(async () => {
        calls++;
        return Response.json({ ok: true });
      }),
    );
    await new Promise<void>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\nonly ten b', () => socket.destroy());
      });
      socket.on('close', () => resolve());
    });
    const res = await fetch(origin, { method: 'POST', body: 'complete' });
    expect(await res.json()).toEqual({ ok: true });
    expect(calls).toBe(1);
  });

  it('streams a chunked request body of any size to a handler that reads it', async () => {
    const count: FetchHandler = async (request) => {
      const reader = request.body!.getReader();
      let bytes = 0;
      for (let r = await reader.read(); !r.done; r = await reader.read()) bytes += r.value.byteLength;
      return Response.json({ bytes });
    };
    const { origin } = await listen(toNodeHandler(count));
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 2 * 1024 * 1024) return controller.close();
        controller.enqueue(new Uint8Array(64 * 1024).fill(7));
        sent += 64 * 1024;
      },
    });
    const res = await fetch(origin, { method: 'POST', body, duplex: 'half' } as RequestInit);
    expect(await res.json()).toEqual({ bytes: 2 * 1024 * 1024 });
  });

  it('streams a response with backpressure: a client that does not read stops the producer, then gets every byte', async () => {
    const total = 32 * 1024 * 1024;
    let produced = 0;
    const handler: FetchHandler = async () =>
      new Response(
        new ReadableStream<Uint8Array>({
          pull(controller) {
            if (produced >= total) return controller.close();
            controller.enqueue(new Uint8Array(256 * 1024));
            produced += 256 * 1024;
          },
        }),
      );
    const { port } = await listen(toNodeHandler(handler));
    const res = await new Promise<IncomingMessage>((resolve) => httpRequest({ port, host: '127.0.0.1', path: '/' }, resolve).end());
    res.pause();
    // Give an unthrottled producer ample time to run ahead; a throttled one stays near the socket buffers.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(produced).toBeLessThan(total / 4);
    let received = 0;
    res.on('data', (chunk: Buffer) => (received += chunk.byteLength)).resume();
    await new Promise((resolve) => res.on('end', resolve));
    expect(received).toBe(total);
  });
});
