// Fastify sends what the handler answered: in-memory bodies with a Content-Length, streams as streams, every cookie.
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { toFastifyHandler, useFetchBodies } from '../../src/http/fastify.js';

const apps: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
});

async function serve(handler: (request: Request) => Promise<Response>): Promise<string> {
  const app = Fastify();
  await app.register(async (scope) => {
    useFetchBodies(scope);
    scope.all('/x', toFastifyHandler(handler));
  });
  apps.push(app);
  return `${await app.listen({ port: 0, host: '127.0.0.1' })}/x`;
}

describe('Fastify adapter', () => {
  it('streams a body that arrives over time, every chunk in order', async () => {
    const url = await serve(async () => {
      let i = 0;
      return new Response(
        new ReadableStream<Uint8Array>({
          async pull(controller) {
            await new Promise((resolve) => setImmediate(resolve));
            if (i === 3) return controller.close();
            controller.enqueue(new TextEncoder().encode(`chunk${i++};`));
          },
        }),
      );
    });
    const res = await fetch(url);
    expect(await res.text()).toBe('chunk0;chunk1;chunk2;');
  });

  it('keeps status, every Set-Cookie header, and the raw body the handler read', async () => {
    const url = await serve(async (request) => {
      const headers = new Headers({ 'content-type': 'text/plain' });
      headers.append('set-cookie', 'a=1');
      headers.append('set-cookie', 'b=2');
      return new Response(`got ${await request.text()}`, { status: 201, headers });
    });
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/weird+thing' }, body: 'a=1&a=2' });
    expect(res.status).toBe(201);
    expect(res.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect(res.headers.get('content-length')).toBe('11');
    expect(await res.text()).toBe('got a=1&a=2');
  });
});
