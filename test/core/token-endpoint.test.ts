import { describe, expect, it } from 'vitest';
import { basic, CLIENT_SECRET, createTestServer, ISSUER, mintTokens, tokenRequest } from '../support/fixtures.js';

async function call(request: Request) {
  const t = await createTestServer();
  const res = await t.server.handleTokenRequest(request);
  const text = await res.text();
  return { res, text, body: JSON.parse(text) as { error?: string; error_description?: string } };
}

describe('token endpoint HTTP rules (RFC 6749 §3.2, §5)', () => {
  it('accepts POST only (RFC 6749 §3.2)', async () => {
    const { res, body } = await call(new Request(`${ISSUER}/token?grant_type=refresh_token`, { method: 'GET' }));
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
    expect(body.error).toBe('invalid_request');
  });

  it.each([['application/json'], ['text/plain'], ['multipart/form-data; boundary=x']])(
    'refuses a %s body with invalid_request',
    async (type) => {
      const { res, body } = await call(
        new Request(`${ISSUER}/token`, { method: 'POST', headers: { 'content-type': type }, body: 'grant_type=refresh_token' }),
      );
      expect(res.status).toBe(400);
      expect(body.error).toBe('invalid_request');
    },
  );

  it('accepts a charset parameter on the form content type', async () => {
    const t = await createTestServer();
    const minted = await mintTokens(t);
    const res = await t.server.handleTokenRequest(
      new Request(`${ISSUER}/token`, {
        method: 'POST',
        headers: { 'content-type': 'Application/X-WWW-Form-URLEncoded; charset=UTF-8', authorization: basic('app', CLIENT_SECRET) },
        body: `grant_type=refresh_token&refresh_token=${minted.refresh_token!}`,
      }),
    );
    expect(res.status).toBe(200);
  });

  it('requires grant_type (invalid_request)', async () => {
    const { res, body } = await call(tokenRequest({ client_id: 'app' }));
    expect(res.status).toBe(400);
    expect(body.error).toBe('invalid_request');
  });

  it('answers unsupported_grant_type for a grant that is not enabled, without echoing it', async () => {
    const { res, body, text } = await call(tokenRequest({ grant_type: '<script>alert(1)</script>' }));
    expect(res.status).toBe(400);
    expect(body.error).toBe('unsupported_grant_type');
    expect(text).not.toContain('<script>');
    expect(text).not.toContain('alert');
  });

  it('refuses a repeated parameter with invalid_request (RFC 6749 §3.1)', async () => {
    const { res, body } = await call(
      new Request(`${ISSUER}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=refresh_token&grant_type=refresh_token&refresh_token=x',
      }),
    );
    expect(res.status).toBe(400);
    expect(body.error).toBe('invalid_request');
  });

  it('ignores unknown parameters and treats empty ones as omitted (RFC 6749 §3.1)', async () => {
    const t = await createTestServer();
    const minted = await mintTokens(t);
    const res = await t.server.handleTokenRequest(
      tokenRequest(
        { grant_type: 'refresh_token', refresh_token: minted.refresh_token!, scope: '', unknown_param: 'whatever' },
        { authorization: basic('app', CLIENT_SECRET) },
      ),
    );
    const body = await res.json();
    expect(res.status).toBe(200);
    expect(body.scope).toBe('read write');
  });

  it('refuses a body over the size limit with 413, by Content-Length or by streaming', async () => {
    const big = `grant_type=refresh_token&x=${'a'.repeat(20_000)}`;
    const declared = await call(tokenRequest({ grant_type: 'refresh_token', x: 'a'.repeat(20_000) }));
    expect(declared.res.status).toBe(413);
    expect(declared.body.error).toBe('invalid_request');
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode(big));
        c.close();
      },
    });
    const streamed = await call(
      new Request(`${ISSUER}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: stream,
        duplex: 'half',
      } as RequestInit),
    );
    expect(streamed.res.status).toBe(413);
  });

  it('answers every error as JSON with Cache-Control: no-store and Pragma: no-cache (RFC 6749 §5.2)', async () => {
    const { res } = await call(tokenRequest({ grant_type: 'nope' }));
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('pragma')).toBe('no-cache');
  });

  it('refuses invalid UTF-8 in the body with invalid_request', async () => {
    const { res, body } = await call(
      new Request(`${ISSUER}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new Uint8Array([0x67, 0x3d, 0xff, 0xfe]),
      }),
    );
    expect(res.status).toBe(400);
    expect(body.error).toBe('invalid_request');
  });
});
