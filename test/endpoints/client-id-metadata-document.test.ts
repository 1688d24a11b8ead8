import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AuthorizationError } from '../../src/contracts/authorization-error.js';
import type { ClientIdMetadataDocumentOptions } from '../../src/core/metadata-document-clients.js';
import { tokenRequest, type TestServer } from '../support/fixtures.js';
import { makeTestCertificate, startDocumentServer, type DocumentServer, type TestCertificate } from '../support/https-document-server.js';
import { CHALLENGE, USER, VERIFIER, authorizeRequest, createCodeServer } from '../grants/helpers.js';

let certificate: TestCertificate;
let docs: DocumentServer;

beforeAll(async () => {
  certificate = makeTestCertificate();
  docs = await startDocumentServer(certificate);
});
afterAll(async () => {
  await docs.close();
  certificate.dispose();
});
beforeEach(() => docs.hits.clear());

const REDIRECT = 'https://app.example.test/callback';
let counter = 0;
/** A fresh path for each document, so that no test sees another's cache. */
const nextPath = (): string => `/client-${++counter}.json`;

function cimdServer(options: ClientIdMetadataDocumentOptions = {}): Promise<TestServer> {
  return createCodeServer({}, { clientIdMetadataDocuments: { allowLoopback: true, ca: certificate.cert, ...options } });
}

/** Serves a valid document at a new path; `edit` changes it. Returns the client id (the document's URL). */
function serveDocument(edit: (doc: Record<string, unknown>) => void = () => undefined, headers: Record<string, string> = {}): string {
  const path = nextPath();
  const doc: Record<string, unknown> = {
    client_id: `${docs.origin}${path}`,
    client_name: 'Example MCP client',
    redirect_uris: [REDIRECT],
    grant_types: ['authorization_code', 'refresh_token'],
    token_endpoint_auth_method: 'none',
    scope: 'read',
  };
  edit(doc);
  return docs.json(path, doc, headers);
}

const hits = (clientId: string): number => docs.hits.get(new URL(clientId).pathname) ?? 0;

function codeParams(clientId: string, extra: Record<string, string> = {}): Record<string, string> {
  return { response_type: 'code', client_id: clientId, redirect_uri: REDIRECT, scope: 'read', state: 's', code_challenge: CHALLENGE, code_challenge_method: 'S256', ...extra };
}

/** The refusal at the authorization endpoint: never redirected, 400, with its description. */
async function refusedAtAuthorize(t: TestServer, params: Record<string, string>): Promise<{ error: string; error_description: string }> {
  const error = await t.server.validateAuthorizationRequest(authorizeRequest(params)).then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(AuthorizationError);
  expect((error as AuthorizationError).redirectable).toBe(false);
  const res = await t.server.errorResponse(error);
  expect(res.status).toBe(400);
  expect(res.headers.get('location')).toBeNull();
  return (await res.json()) as { error: string; error_description: string };
}

describe('client ID metadata documents (draft-ietf-oauth-client-id-metadata-document)', () => {
  it('runs the authorization code flow with PKCE for a client known only by its document, fetched once', async () => {
    const t = await cimdServer();
    const clientId = serveDocument();
    const authRequest = await t.server.validateAuthorizationRequest(authorizeRequest(codeParams(clientId)));
    expect(authRequest).toMatchObject({ clientId, clientName: 'Example MCP client', redirectUri: REDIRECT, scopes: ['read'] });
    const res = await t.server.completeAuthorizationRequest(authRequest, { user: USER, approved: true });
    expect(res.status).toBe(302);
    const code = new URL(res.headers.get('location')!).searchParams.get('code')!;
    // A public client: client_id in the body, no secret (RFC 6749 §2.3.1, token_endpoint_auth_method none).
    const token = await t.server.handleTokenRequest(tokenRequest({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: VERIFIER, client_id: clientId }));
    expect(token.status).toBe(200);
    const body = (await token.json()) as { access_token: string; refresh_token?: string };
    const claims = JSON.parse(Buffer.from(body.access_token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    expect(claims).toMatchObject({ client_id: clientId, sub: USER.id, scope: 'read' });
    expect(body.refresh_token).toBeTruthy();
    expect(hits(clientId)).toBe(1); // cached between the authorization and token endpoints
  });

  it('asks for JSON and names itself in the request', async () => {
    const t = await cimdServer();
    const path = nextPath();
    let seen: Record<string, unknown> = {};
    const clientId = docs.route(path, (req, res) => {
      seen = req.headers;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ client_id: `${docs.origin}${path}`, redirect_uris: [REDIRECT] }));
    });
    await t.server.validateAuthorizationRequest(authorizeRequest(codeParams(clientId)));
    expect(seen).toMatchObject({ accept: 'application/json', 'user-agent': expect.stringContaining('grantry') });
    expect(seen).not.toHaveProperty('cookie');
  });

  it('announces client_id_metadata_document_supported in the metadata only when enabled (draft §5)', async () => {
    const on = await (await cimdServer()).server.metadata();
    expect(on.client_id_metadata_document_supported).toBe(true);
    const off = await (await createCodeServer()).server.metadata();
    expect(off).not.toHaveProperty('client_id_metadata_document_supported');
  });

  it('is off unless configured: an https client_id is then an unknown client, and nothing is fetched', async () => {
    const t = await createCodeServer();
    const clientId = serveDocument();
    const body = await refusedAtAuthorize(t, codeParams(clientId));
    expect(body.error_description).toBe('The client is unknown.');
    expect(hits(clientId)).toBe(0);
  });

  it('refuses a document whose client_id is not its URL, after one request (draft §4.1)', async () => {
    const t = await cimdServer();
    const clientId = serveDocument((d) => (d.client_id = 'https://other.example/client.json'));
    const body = await refusedAtAuthorize(t, codeParams(clientId));
    expect(body.error).toBe('invalid_client');
    expect(body.error_description).toContain('has the client_id "https://other.example/client.json", which is not the URL it was fetched from');
    expect(hits(clientId)).toBe(1);
  });

  it('refuses a redirect_uri that the document does not list, without redirecting there, after one request', async () => {
    const t = await cimdServer();
    const clientId = serveDocument();
    const body = await refusedAtAuthorize(t, codeParams(clientId, { redirect_uri: 'https://attacker.example/cb' }));
    expect(body).toMatchObject({ error: 'invalid_request', error_description: 'The redirect_uri is missing or not registered for this client.' });
    expect(hits(clientId)).toBe(1);
  });

  it.each([
    ['with Content-Length', true],
    ['streamed without a length', false],
  ])('refuses a document larger than 5 KiB (%s), after one request (draft §6.6)', async (_, withLength) => {
    const t = await cimdServer();
    const path = nextPath();
    const clientId = docs.route(path, (_req, res) => {
      const big = JSON.stringify({ client_id: `${docs.origin}${path}`, redirect_uris: [REDIRECT], padding: 'x'.repeat(6000) });
      res.writeHead(200, { 'content-type': 'application/json', ...(withLength ? { 'content-length': String(Buffer.byteLength(big)) } : {}) });
      if (withLength) {
        res.end(big);
        return;
      }
      res.write(big.slice(0, 3000));
      setTimeout(() => res.end(big.slice(3000)), 20);
    });
    const body = await refusedAtAuthorize(t, codeParams(clientId));
    expect(body.error_description).toContain('is larger than 5120 bytes');
    expect(hits(clientId)).toBe(1);
  });

  it('refuses a document that does not arrive within the time limit, after one request', async () => {
    // Long enough for the TLS handshake on a loaded machine, so that the request itself arrives and then stalls.
    const t = await cimdServer({ timeoutMs: 2000 });
    const path = nextPath();
    const clientId = docs.route(path, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"client_id":'); // and never more
    });
    const body = await refusedAtAuthorize(t, codeParams(clientId));
    expect(body.error_description).toContain('did not answer within 2000 ms');
    expect(hits(clientId)).toBe(1);
  });

  it('refuses a redirect instead of following it, after one request (draft §4)', async () => {
    const t = await cimdServer();
    const target = serveDocument();
    const path = nextPath();
    const clientId = docs.route(path, (_req, res) => res.writeHead(302, { location: target }).end());
    const body = await refusedAtAuthorize(t, codeParams(clientId));
    expect(body.error_description).toContain('answered 302 (a redirect); redirects are not followed');
    expect(hits(clientId)).toBe(1);
    expect(hits(target)).toBe(0);
  });

  it.each([
    ['an IP literal', (url: string) => url],
    ['a name that resolves to it', (url: string) => url.replace('127.0.0.1', 'localhost')],
  ])('refuses a loopback address without the allowance, before any request (%s; draft §6.5)', async (_, rewrite) => {
    const t = await cimdServer({ allowLoopback: false });
    const clientId = rewrite(serveDocument());
    const body = await refusedAtAuthorize(t, codeParams(clientId));
    expect(body.error_description).toMatch(/resolves to a loopback address, which this server does not fetch from/);
    expect(hits(clientId)).toBe(0);
  });

  it.each([
    ['a client_secret', (d: Record<string, unknown>) => (d.client_secret = 'shh'), 'contains a client_secret'],
    ['a shared-secret method', (d: Record<string, unknown>) => (d.token_endpoint_auth_method = 'client_secret_basic'), 'uses token_endpoint_auth_method client_secret_basic, a shared secret'],
    ['private_key_jwt (not supported yet)', (d: Record<string, unknown>) => (d.token_endpoint_auth_method = 'private_key_jwt'), 'private_key_jwt, which this server does not support yet'],
    ['no redirect_uris', (d: Record<string, unknown>) => delete d.redirect_uris, 'has no redirect_uris'],
    ['a plain-http redirect URI', (d: Record<string, unknown>) => (d.redirect_uris = ['http://app.example/cb']), 'has the redirect URI "http://app.example/cb", which uses plain http'],
    ['no usable grant type', (d: Record<string, unknown>) => (d.grant_types = ['client_credentials']), 'lists no grant type a public client may use'],
  ])('refuses a document with %s (draft §4.1)', async (_, edit, message) => {
    const t = await cimdServer();
    const clientId = serveDocument(edit);
    const body = await refusedAtAuthorize(t, codeParams(clientId));
    expect(body.error).toBe('invalid_client');
    expect(body.error_description).toContain(message);
  });

  it.each([
    ['HTTP 404', (_req: unknown, res: import('node:http').ServerResponse) => res.writeHead(404).end(), 'answered HTTP 404, not 200'],
    ['HTML', (_req: unknown, res: import('node:http').ServerResponse) => res.writeHead(200, { 'content-type': 'text/html' }).end('<p>hi</p>'), 'content type "text/html"'],
    ['broken JSON', (_req: unknown, res: import('node:http').ServerResponse) => res.writeHead(200, { 'content-type': 'application/json' }).end('{'), 'is not valid JSON'],
  ])('refuses an answer that is %s', async (_, handler, message) => {
    const t = await cimdServer();
    const clientId = docs.route(nextPath(), handler);
    const body = await refusedAtAuthorize(t, codeParams(clientId));
    expect(body.error_description).toContain(message);
    expect(hits(clientId)).toBe(1);
  });

  it.each([
    ['with a dot segment', (origin: string) => `${origin}/a/../client.json`, 'has a . or .. path segment'],
    ['without a path', (origin: string) => `${origin}/`, 'has no path'],
  ])('refuses a client_id URL %s without fetching it (draft §3)', async (_, make, message) => {
    const t = await cimdServer();
    const body = await refusedAtAuthorize(t, codeParams(make(docs.origin)));
    expect(body.error_description).toContain(message);
    expect([...docs.hits.values()].reduce((a, b) => a + b, 0)).toBe(0);
  });

  it('applies the operator host patterns before fetching: denyHosts, then allowHosts', async () => {
    const clientId = serveDocument();
    const denied = await refusedAtAuthorize(await cimdServer({ denyHosts: ['127.0.0.1'] }), codeParams(clientId));
    expect(denied.error_description).toBe('This server does not accept client ID metadata documents from 127.0.0.1.');
    const notAllowed = await refusedAtAuthorize(await cimdServer({ allowHosts: ['*.example.com'] }), codeParams(clientId));
    expect(notAllowed.error_description).toContain('from 127.0.0.1');
    expect(hits(clientId)).toBe(0);
    const allowed = await cimdServer({ allowHosts: ['app.example.com', '127.0.0.1'] });
    await expect(allowed.server.validateAuthorizationRequest(authorizeRequest(codeParams(clientId)))).resolves.toMatchObject({ clientId });
  });

  it('matches host patterns whatever the case or a trailing dot of the host, and *. only below the name', async () => {
    const t = await cimdServer({ denyHosts: ['EVIL.example', '*.bad.example'] });
    for (const host of ['evil.example', 'Evil.Example.', 'x.bad.example', 'a.b.bad.example']) {
      const body = await refusedAtAuthorize(t, codeParams(`https://${host}/client.json`));
      expect(body.error_description).toBe(`This server does not accept client ID metadata documents from ${host.toLowerCase().replace(/\.$/, '')}.`);
    }
    // bad.example itself and notbad.example are not below *.bad.example: they pass the patterns (then fail to resolve).
    for (const host of ['bad.example', 'notbad.example']) {
      const body = await refusedAtAuthorize(t, codeParams(`https://${host}/client.json`));
      expect(body.error_description).not.toContain('does not accept');
    }
  });

  it('uses a pre-registered client with a URL id without fetching (draft §6.10)', async () => {
    const t = await cimdServer();
    const clientId = serveDocument();
    t.storage.clients.clients.set(clientId, { id: clientId, name: 'Registered', redirectUris: [REDIRECT], grantTypes: ['authorization_code'], scopes: [] });
    await expect(t.server.validateAuthorizationRequest(authorizeRequest(codeParams(clientId)))).resolves.toMatchObject({ clientName: 'Registered' });
    expect(hits(clientId)).toBe(0);
  });

  it('answers invalid_client as JSON at the token endpoint for a document that cannot be used, naming the problem', async () => {
    const t = await cimdServer();
    const clientId = serveDocument((d) => (d.client_id = 'https://elsewhere.example/c.json'));
    const res = await t.server.handleTokenRequest(tokenRequest({ grant_type: 'authorization_code', code: 'x', redirect_uri: REDIRECT, code_verifier: VERIFIER, client_id: clientId }));
    expect(res.status).toBe(401); // as any failed client authentication at the token endpoint (RFC 6749 §5.2)
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = (await res.json()) as { error: string; error_description: string };
    expect(body.error).toBe('invalid_client');
    expect(body.error_description).toContain('which is not the URL it was fetched from');
  });

  it('keeps a document for its Cache-Control max-age, then fetches it again (draft §4.4, RFC 9111)', async () => {
    const t = await cimdServer();
    const clientId = serveDocument(undefined, { 'cache-control': 'max-age=60' });
    const validate = () => t.server.validateAuthorizationRequest(authorizeRequest(codeParams(clientId)));
    await validate();
    t.clock.advance(59);
    await validate();
    expect(hits(clientId)).toBe(1);
    t.clock.advance(2);
    await validate();
    expect(hits(clientId)).toBe(2);
  });

  it('does not keep a no-store document, keeps none beyond cacheMaxTTL, and never caches a refusal', async () => {
    const t = await cimdServer({ cacheMaxTTL: 10 });
    const validate = (id: string) => t.server.validateAuthorizationRequest(authorizeRequest(codeParams(id))).catch(() => undefined);
    const noStore = serveDocument(undefined, { 'cache-control': 'no-store' });
    await validate(noStore);
    await validate(noStore);
    expect(hits(noStore)).toBe(2);
    const long = serveDocument(undefined, { 'cache-control': 'max-age=86400' });
    await validate(long);
    t.clock.advance(11);
    await validate(long);
    expect(hits(long)).toBe(2);
    const bad = serveDocument((d) => (d.client_id = 'https://x.example/c'), { 'cache-control': 'max-age=3600' });
    await validate(bad);
    await validate(bad);
    expect(hits(bad)).toBe(2);
  });

  it('keeps at most cacheMaxEntries documents, dropping the least recently used', async () => {
    const t = await cimdServer({ cacheMaxEntries: 2 });
    const validate = (id: string) => t.server.validateAuthorizationRequest(authorizeRequest(codeParams(id)));
    const [a, b, c] = [serveDocument(), serveDocument(), serveDocument()];
    await validate(a);
    await validate(b);
    await validate(a); // a is now the most recently used
    await validate(c); // evicts b
    await validate(a);
    await validate(b);
    expect([hits(a), hits(b), hits(c)]).toEqual([1, 2, 1]);
  });

  it('shares one fetch between concurrent requests for the same document', async () => {
    const t = await cimdServer();
    const clientId = serveDocument();
    await Promise.all([1, 2, 3].map(() => t.server.validateAuthorizationRequest(authorizeRequest(codeParams(clientId)))));
    expect(hits(clientId)).toBe(1);
  });

  it('refuses a widened scope: the document scope bounds what the client may ask for', async () => {
    const t = await cimdServer();
    const clientId = serveDocument();
    const error = await t.server.validateAuthorizationRequest(authorizeRequest(codeParams(clientId, { scope: 'read admin' }))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthorizationError);
    expect((error as AuthorizationError).redirectable).toBe(true);
    expect((error as AuthorizationError).code).toBe('invalid_scope');
  });
});

describe('client ID metadata document options', () => {
  it.each([
    [{ maxBytes: 0 }, 'clientIdMetadataDocuments.maxBytes must be a positive whole number'],
    [{ timeoutMs: 1.5 }, 'clientIdMetadataDocuments.timeoutMs must be a positive whole number'],
    [{ cacheMaxTTL: 'soon' }, 'soon'],
  ])('refuses %j in the AuthorizationServer constructor with a TypeError', async (options, message) => {
    const error = await createCodeServer({}, { clientIdMetadataDocuments: options }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toContain(message);
  });
});
