// Property, over real sockets: whatever body, content type and Authorization header reach POST /token through an
// adapter, the answer is the core's (JSON, no-store, an RFC error code, never 5xx), not the framework's own.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResourceServer } from '../../src/core/resource-server.js';
import { ClientCredentialsGrant } from '../../src/grants/client-credentials-grant.js';
import { ADAPTERS, type RunningAdapter } from '../http/mounts.js';
import { basic, CLIENT_SECRET, createTestServer, mintTokens, type TestServer } from '../support/fixtures.js';

const latin1 = (s: string): string | undefined => {
  try {
    new Headers([['x', s]]);
    return s;
  } catch {
    return undefined;
  }
};

const requests = fc.record({
  contentType: fc.oneof(
    fc.constantFrom('application/x-www-form-urlencoded', 'application/x-www-form-urlencoded; charset=utf-8', 'application/json', 'text/plain', 'multipart/form-data', 'a/b', 'x', ';;', undefined),
    fc.string({ maxLength: 30 }).map(latin1),
  ),
  authorization: fc.oneof(
    fc.constant(basic('app', CLIENT_SECRET)),
    fc.constantFrom(undefined, 'Basic', 'Basic Og==', 'Bearer x', 'Basic !!!'),
    fc.string({ maxLength: 30 }).map(latin1),
  ),
  body: fc.oneof(
    fc.uint8Array({ maxLength: 200 }),
    fc.array(fc.tuple(fc.constantFrom('grant_type', 'scope', 'client_id', 'refresh_token', 'x'), fc.string({ maxLength: 20 })), { maxLength: 5 }).map(
      (pairs) => new TextEncoder().encode(new URLSearchParams(pairs).toString()),
    ),
    fc.constantFrom(17 * 1024, 70 * 1024).map((n) => new Uint8Array(n).fill(0x61)),
  ),
  chunked: fc.boolean(),
});

describe.each(ADAPTERS)('%s adapter under arbitrary token requests (property-based)', (_name, start) => {
  let t: TestServer;
  let running: RunningAdapter;
  beforeAll(async () => {
    t = await createTestServer();
    t.server.enableGrantType(new ClientCredentialsGrant(), 'PT1H');
    running = await start({ server: t.server, resourceServer: await ResourceServer.forAuthorizationServer(t.server) });
  });
  afterAll(async () => running?.close());

  it('answers every request with the core JSON, no-store, never 5xx; a valid refresh still works afterwards', async () => {
    await fc.assert(
      fc.asyncProperty(requests, async (r) => {
        const headers: Record<string, string> = {};
        if (r.contentType !== undefined) headers['content-type'] = r.contentType;
        if (r.authorization !== undefined) headers.authorization = r.authorization;
        const bytes = new Uint8Array(r.body);
        const body = r.chunked
          ? new ReadableStream<Uint8Array>({
              start(controller) {
                controller.enqueue(bytes);
                controller.close();
              },
            })
          : bytes;
        const res = await fetch(`${running.origin}/token`, { method: 'POST', headers, body, duplex: 'half' } as RequestInit);
        expect(res.status).toBeLessThan(500);
        expect(res.headers.get('cache-control')).toBe('no-store');
        expect(res.headers.get('content-type')).toMatch(/^application\/json/);
        const json = (await res.json()) as { error?: unknown; access_token?: unknown };
        if (res.status === 200) expect(typeof json.access_token).toBe('string');
        else expect(typeof json.error).toBe('string');
      }),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 300) / 5 },
    );
    const minted = await mintTokens(t);
    const res = await fetch(`${running.origin}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic('app', CLIENT_SECRET) },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: minted.refresh_token! }),
    });
    expect(res.status).toBe(200);
  });
});
