// The node:http request body as a Fetch stream, under what a library user or a client can do to it (issue 10):
// clone the Request and cancel both copies, cancel while a read waits on the socket, go away mid-body, send a
// malformed chunked body. None of it may throw from an event listener (which would end the process).
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { toNodeHandler } from '../../src/http/node.js';
import { keepAliveAgent, sendOversized, sendSmall } from './oversized-body.js';

type Handler = (request: Request) => Promise<Response>;

describe('node:http request bodies: clone, cancel and hostile clients never end the process', () => {
  let server: Server;
  let origin: string;
  let handler: Handler = async () => new Response('unset');
  const uncaught: unknown[] = [];
  const onUncaught = (error: unknown): void => void uncaught.push(error);
  const handled: string[] = [];

  beforeAll(async () => {
    process.on('uncaughtException', onUncaught);
    server = createServer(toNodeHandler((request) => handler(request)));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()).closeAllConnections());
    process.off('uncaughtException', onUncaught);
  });
  afterEach(async () => {
    // Let late socket events fire, then check that nothing was thrown from a listener and the server still answers.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(uncaught.splice(0)).toEqual([]);
    handler = async () => new Response('alive');
    const answer = await sendSmall(origin, '/', false);
    expect(answer.body).toBe('alive');
  });

  /** Reads until more than `bytes` have come (or the end), then cancels: what a size-limited body reader does. */
  async function readPastLimitThenCancel(stream: ReadableStream<Uint8Array>, bytes: number, awaitCancel: boolean): Promise<number> {
    const reader = stream.getReader();
    let read = 0;
    while (read <= bytes) {
      const { done, value } = await reader.read();
      if (done) break;
      read += value.byteLength;
    }
    const cancelled = reader.cancel().catch(() => undefined);
    // Cancelling one branch of a tee settles only once the other is cancelled too: the first is not awaited.
    if (awaitCancel) await cancelled;
    return read;
  }

  it.each([
    [20_000, 'chunked'],
    [1_000_000, 'chunked'],
    [1_000_000, 'content-length'],
  ] as const)('cloning a request (%i bytes, %s) and cancelling both copies past a limit answers and keeps running', async (size, framing) => {
    handler = async (request) => {
      // As a rate limiter that peeks at a copy of the form, then the endpoint that reads the original.
      const peeked = await readPastLimitThenCancel(request.clone().body!, 16 * 1024, false);
      const read = await readPastLimitThenCancel(request.body!, 16 * 1024, true);
      handled.push(`read ${peeked} and ${read}`);
      return new Response('done', { status: 413 });
    };
    const agent = keepAliveAgent();
    try {
      const answer = await sendOversized(origin, '/', size, framing, agent);
      expect(answer.status).toBe(413);
      expect(answer.body).toBe('done');
      expect(handled.at(-1)).toMatch(/^read \d+ and \d+$/);
      // Keep-alive only for a body that arrived whole; otherwise closed cleanly, never kept alive and then reset.
      if (answer.headers.connection !== 'close') expect(answer.sentAll).toBe(true);
      handler = async () => new Response('next');
      expect((await sendSmall(origin, '/', agent)).body).toBe('next');
    } finally {
      agent.destroy();
    }
  });

  it('cancelling both copies without reading either answers at once', async () => {
    handler = async (request) => {
      const copy = request.clone();
      await Promise.all([copy.body!.cancel(), request.body!.cancel()]);
      return new Response('cancelled');
    };
    const answer = await sendOversized(origin, '/', 1_000_000, 'chunked', keepAliveAgent());
    expect(answer.body).toBe('cancelled');
  });

  it('cancelling while a read waits for bytes the client has not sent yet settles the read and nothing after', async () => {
    let release: () => void = () => undefined;
    handler = async (request) => {
      const reader = request.body!.getReader();
      await reader.read(); // the first bytes
      const pending = reader.read(); // waits on the socket
      await reader.cancel();
      const settled = await pending;
      release();
      return new Response(settled.done ? 'settled done' : 'settled with data');
    };
    const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
    const received = new Promise<string>((resolve) => {
      let text = '';
      socket.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      socket.on('close', () => resolve(text));
      socket.on('error', () => resolve(text));
    });
    const answered = new Promise<void>((resolve) => (release = resolve));
    socket.write('POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n');
    await answered;
    // More body and its end arrive after the cancel: the stream must not be touched again.
    socket.write('5\r\nworld\r\n0\r\n\r\n');
    const text = await received;
    expect(text).toMatch(/^HTTP\/1\.1 200 /);
    expect(text).toMatch(/connection: close/i);
    expect(text).toContain('settled done');
  });

  it('a client that goes away mid-body while the handler reads does not end the process', async () => {
    let seen: (outcome: string) => void = () => undefined;
    const outcome = new Promise<string>((resolve) => (seen = resolve));
    handler = async (request) => {
      try {
        await request.text();
        seen('read');
      } catch (error) {
        seen(`failed: ${(error as Error).message}`);
      }
      return new Response('never sent');
    };
    const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
    socket.on('error', () => undefined);
    socket.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n' + 'a'.repeat(100_000));
    await new Promise((resolve) => setTimeout(resolve, 50));
    socket.destroy();
    expect(await outcome).toMatch(/^failed: /);
  });

  it.each([
    ['an invalid chunk size', 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n'],
    ['a chunk longer than announced', 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhello\r\n0\r\n\r\n'],
    ['both Content-Length and chunked', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n'],
  ])('a malformed body (%s) gets an error answer or a closed connection, never a crash', async (_name, bytes) => {
    handler = async (request) => new Response(await request.text());
    const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
    const text = await new Promise<string>((resolve) => {
      let received = '';
      socket.on('data', (chunk: Buffer) => (received += chunk.toString('utf8')));
      socket.on('close', () => resolve(received));
      socket.on('error', () => resolve(received));
      socket.write(bytes);
    });
    expect(text).toMatch(/^(HTTP\/1\.1 (400|413|500) |$)/);
  });
});
