import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { describe, expect, it } from 'vitest';
import { OAuthError } from '../../src/contracts/oauth-error.js';
import { ResourceServer } from '../../src/core/resource-server.js';
import { requireBearerToken } from '../../src/http/express.js';
import { ISSUER, mintTokens } from '../support/fixtures.js';
import { createEndpointServer } from '../endpoints/support.js';

/** The RFC 6750 answer a failed validation turns into. */
async function refusal(promise: Promise<unknown>): Promise<{ status: number; challenge: string | null; body: Record<string, unknown> }> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(OAuthError);
  const res = (error as OAuthError).toResponse();
  const text = await res.text();
  return { status: res.status, challenge: res.headers.get('www-authenticate'), body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

async function setup() {
  const t = await createEndpointServer();
  const rs = await ResourceServer.forAuthorizationServer(t.server);
  const token = (await mintTokens(t, 'app', ['read', 'write'])).access_token;
  return { t, rs, token };
}

describe('ResourceServer.validateAuthorization: the bearer check from the header value (RFC 6750)', () => {
  it('returns the claims of a valid token, as validateAuthenticatedRequest does', async () => {
    const { rs, token } = await setup();
    const claims = await rs.validateAuthorization(`Bearer ${token}`);
    expect(claims).toMatchObject({ iss: ISSUER, sub: 'user-1', client_id: 'app', scope: 'read write' });
    const viaRequest = await rs.validateAuthenticatedRequest(new Request('https://api.example.test/', { headers: { authorization: `Bearer ${token}` } }));
    expect(viaRequest).toEqual(claims);
  });

  it.each([null, undefined, 'Basic YXBwOnNlY3JldA=='])('answers %s with a bare 401 challenge (RFC 6750 §3.1: no error code)', async (header) => {
    const { rs } = await setup();
    const { status, challenge } = await refusal(rs.validateAuthorization(header));
    expect(status).toBe(401);
    expect(challenge).toMatch(/^Bearer/);
    expect(challenge).not.toContain('error=');
  });

  it.each(['Bearer', 'Bearer a b', 'Bearer tok\u00e9n'])('refuses the malformed header %j with 400 invalid_request (RFC 6750 §3.1)', async (header) => {
    const { rs } = await setup();
    const { status, challenge, body } = await refusal(rs.validateAuthorization(header));
    expect(status).toBe(400);
    expect(body.error).toBe('invalid_request');
    expect(challenge).toContain('error="invalid_request"');
  });

  it('refuses an expired token with 401 invalid_token (RFC 6750 §3.1)', async () => {
    const { t, rs, token } = await setup();
    t.clock.advance(2 * 3600);
    const { status, challenge, body } = await refusal(rs.validateAuthorization(`Bearer ${token}`));
    expect(status).toBe(401);
    expect(body).toMatchObject({ error: 'invalid_token', error_description: 'The access token expired.' });
    expect(challenge).toContain('error="invalid_token"');
  });

  it('refuses a token for another audience with 401 invalid_token (RFC 9068 §4)', async () => {
    const { t, token } = await setup();
    const other = await ResourceServer.forAuthorizationServer(t.server, { audience: 'https://other-api.example.test' });
    const { status, challenge, body } = await refusal(other.validateAuthorization(`Bearer ${token}`));
    expect(status).toBe(401);
    expect(body).toMatchObject({ error: 'invalid_token', error_description: 'The access token is not meant for this resource server.' });
    expect(challenge).toContain('error="invalid_token"');
  });

  it('is what the Express middleware uses: valid → next(), bad → the challenge, a repeated header refused as with a Request', async () => {
    const { rs, token } = await setup();
    const app = express();
    app.get('/api', requireBearerToken(rs), (_req, res) => void res.json({ sub: res.locals.accessToken?.sub }));
    const server: Server = createServer(app).listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
      const ok = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
      expect(ok.status).toBe(200);
      expect(await ok.json()).toEqual({ sub: 'user-1' });
      const bad = await fetch(url, { headers: { authorization: 'Bearer a b' } });
      expect(bad.status).toBe(400);
      expect(bad.headers.get('www-authenticate')).toContain('error="invalid_request"');
      expect(bad.headers.get('cache-control')).toBe('no-store');
      // Two Authorization headers read as one joined value, as the Fetch API reads them: malformed.
      const twice = await fetch(url, { headers: [['authorization', `Bearer ${token}`], ['authorization', `Bearer ${token}`]] });
      expect(twice.status).toBe(400);
    } finally {
      server.close();
    }
  });
});
