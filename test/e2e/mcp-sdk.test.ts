import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { UnauthorizedError, type OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import express, { type RequestHandler } from 'express';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ResourceServer } from '../../src/index.js';
import { requireBearerToken } from '../../src/http/express.js';
import { makeTestCertificate, startDocumentServer, type DocumentServer, type TestCertificate } from '../support/https-document-server.js';
import { CHROMIUM, launchChromium, signIn } from './support/chromium.js';
import { cli, createTestStore, startGrantry, type GrantryProcess, type TestStore } from './support/grantry-process.js';

const PASSWORD = 'wonderland rabbit';
const SCOPE = 'mcp:tools';

/**
 * An OAuthClientProvider as an MCP host would write it, keeping everything in memory: its "browser" is headless
 * Chromium, which signs alice in on grantry's login page and clicks Allow on its consent page.
 */
class BrowserProvider implements OAuthClientProvider {
  info: OAuthClientInformationMixed | undefined;
  saved: OAuthTokens | undefined;
  verifier = '';
  /** Every authorization URL the SDK sent the browser to, and the codes the redirect brought back. */
  readonly authorizationUrls: URL[] = [];
  readonly codes: string[] = [];
  readonly tokenHistory: OAuthTokens[] = [];
  /** Set: the SDK uses it as the client_id when the server supports metadata documents; absent: RFC 7591. */
  readonly clientMetadataUrl?: string;
  constructor(
    readonly browser: Browser,
    readonly redirect: string,
    clientMetadataUrl?: string,
  ) {
    if (clientMetadataUrl !== undefined) this.clientMetadataUrl = clientMetadataUrl;
  }
  get redirectUrl(): string {
    return this.redirect;
  }
  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: 'MCP test client',
      redirect_uris: [this.redirect],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }
  clientInformation(): OAuthClientInformationMixed | undefined {
    return this.info;
  }
  saveClientInformation(info: OAuthClientInformationMixed): void {
    this.info = info;
  }
  tokens(): OAuthTokens | undefined {
    return this.saved;
  }
  saveTokens(tokens: OAuthTokens): void {
    this.saved = tokens;
    this.tokenHistory.push(tokens);
  }
  saveCodeVerifier(verifier: string): void {
    this.verifier = verifier;
  }
  codeVerifier(): string {
    return this.verifier;
  }
  async redirectToAuthorization(url: URL): Promise<void> {
    this.authorizationUrls.push(url);
    const context = await this.browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(url.href);
      await signIn(page, 'alice', PASSWORD);
      await page.getByRole('button', { name: 'Allow' }).click();
      await page.waitForURL((u) => u.href.startsWith(this.redirect));
      const code = new URL(page.url()).searchParams.get('code');
      if (code) this.codes.push(code);
    } finally {
      await context.close();
    }
  }
}

/** The JWT's payload, unverified (the MCP server has verified it). */
const payloadOf = (jwt: string): Record<string, unknown> => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;

describe.skipIf(!existsSync(CHROMIUM))('the MCP TypeScript SDK as the client of an MCP server behind grantry', () => {
  let certificate: TestCertificate;
  let docs: DocumentServer;
  let store: TestStore;
  let grantry: GrantryProcess;
  let browser: Browser;
  let mcpServer: Server;
  let mcpUrl: string;
  let callback: string;
  /** The bearer middleware, set once grantry's issuer is known (the MCP server must listen first: its URL is the resource). */
  let guard: RequestHandler = (_req, res) => void res.status(503).end();
  let userId: string;
  const previousCa = process.env.NODE_EXTRA_CA_CERTS;

  /** One stateless MCP server per request, with a tool that answers with the caller's identity from the token. */
  const mcpApp = (): express.Express => {
    const app = express();
    app.get('/callback', (_req, res) => void res.type('text').send('You can close this window.'));
    app.use((req, res, next) => guard(req, res, next));
    app.use(express.json());
    app.post('/mcp', async (req, res) => {
      const claims = res.locals.accessToken as { sub?: string } | undefined;
      const server = new McpServer({ name: 'grantry-e2e', version: '1.0.0' });
      server.registerTool('whoami', { description: 'Says who called', inputSchema: { greeting: z.string() } }, async ({ greeting }) => ({
        content: [{ type: 'text', text: `${greeting}, ${claims?.sub ?? 'nobody'}` }],
      }));
      const transport = new StreamableHTTPServerTransport({}) // no sessionIdGenerator: stateless;
      res.on('close', () => {
        void transport.close();
        void server.close();
      });
      await server.connect(transport);
      await transport.handleRequest(req, res, req.body);
    });
    // Stateless: no server-sent event stream, no sessions to end (the SDK client accepts 405).
    app.all('/mcp', (_req, res) => void res.status(405).set('allow', 'POST').end());
    return app;
  };

  beforeAll(async () => {
    certificate = makeTestCertificate();
    docs = await startDocumentServer(certificate);
    mcpServer = mcpApp().listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => mcpServer.once('listening', resolve));
    const origin = `http://127.0.0.1:${(mcpServer.address() as AddressInfo).port}`;
    mcpUrl = `${origin}/mcp`;
    callback = `${origin}/callback`;

    store = await createTestStore();
    await cli(store, 'scopes', 'add', SCOPE);
    await cli(store, 'resources', 'create', mcpUrl, '--scopes', SCOPE);
    const user = (await cli(store, 'users', 'create', '--username', 'alice', '--password', PASSWORD)) as { id: string };
    userId = user.id;
    // The child process trusts the test's self-signed certificate (Node reads this variable at start-up).
    process.env.NODE_EXTRA_CA_CERTS = certificate.certFile;
    grantry = await startGrantry(store, ['--client-metadata-documents', 'on', '--client-metadata-allow-loopback', 'true', '--registration', 'open']);

    const metadata = (await (await fetch(`${grantry.issuer}/.well-known/oauth-authorization-server`)).json()) as { jwks_uri: string };
    const rs = new ResourceServer({ issuer: grantry.issuer, resource: mcpUrl, jwksUri: metadata.jwks_uri, resourceMetadata: { scopesSupported: [SCOPE], resourceName: 'grantry e2e MCP server' } });
    // Mounted with app.use, it also serves /.well-known/oauth-protected-resource/mcp (RFC 9728 §3.1).
    guard = requireBearerToken(rs, { scopes: [SCOPE] });
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    if (previousCa === undefined) delete process.env.NODE_EXTRA_CA_CERTS;
    else process.env.NODE_EXTRA_CA_CERTS = previousCa;
    await browser?.close();
    await grantry?.stop();
    await store?.dispose();
    mcpServer?.closeAllConnections();
    await new Promise<void>((resolve) => (mcpServer ? mcpServer.close(() => resolve()) : resolve()));
    await docs?.close();
    certificate?.dispose();
  });

  /** The form bodies the SDK posted to grantry's token endpoint, seen through the transport's `fetch` option. */
  let tokenRequests: URLSearchParams[] = [];
  /** Every URL the SDK fetched, with its method. */
  let fetched: string[] = [];
  const recordingFetch: typeof fetch = async (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    fetched.push(`${init?.method ?? 'GET'} ${url}`);
    if (url === `${grantry.issuer}/token` && init?.body instanceof URLSearchParams) tokenRequests.push(new URLSearchParams(init.body));
    return fetch(input, init);
  };
  const transport = (provider: BrowserProvider): StreamableHTTPClientTransport =>
    new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: provider, fetch: recordingFetch });

  /** What an MCP host does: connect; on UnauthorizedError the browser flow ran, so finish it and connect again. */
  const connect = async (provider: BrowserProvider): Promise<Client> => {
    tokenRequests = [];
    fetched = [];
    const first = transport(provider);
    const client = new Client({ name: 'grantry-e2e-client', version: '1.0.0' });
    await expect(client.connect(first)).rejects.toBeInstanceOf(UnauthorizedError);
    expect(provider.codes).toHaveLength(1);
    await first.finishAuth(provider.codes[0]!);
    const connected = new Client({ name: 'grantry-e2e-client', version: '1.0.0' });
    await connected.connect(transport(provider));
    return connected;
  };

  const callWhoami = async (client: Client, greeting: string): Promise<string> => {
    const result = await client.callTool({ name: 'whoami', arguments: { greeting } });
    return (result.content as { type: string; text: string }[])[0]!.text;
  };

  it('registers by client ID metadata document, signs in with PKCE and resource, calls a tool and refreshes', async () => {
    const clientId = docs.json('/mcp-client.json', {
      client_id: `${docs.origin}/mcp-client.json`,
      client_name: 'MCP test client',
      redirect_uris: [callback],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    });
    const provider = new BrowserProvider(browser, callback, clientId);
    const client = await connect(provider);
    try {
      // The SDK found grantry through the MCP server's metadata (RFC 9728 §3.1 path form) and grantry's (RFC 8414),
      // and used the document URL as its client_id without registering.
      const prm = `GET ${new URL(mcpUrl).origin}/.well-known/oauth-protected-resource/mcp`;
      expect(fetched).toContain(prm);
      expect(fetched.indexOf(`GET ${grantry.issuer}/.well-known/oauth-authorization-server`)).toBeGreaterThan(fetched.indexOf(prm));
      expect(fetched.filter((f) => f.endsWith('/register'))).toEqual([]);
      expect(provider.info?.client_id).toBe(clientId);
      const authorization = provider.authorizationUrls[0]!;
      expect(authorization.origin + authorization.pathname).toBe(`${grantry.issuer}/authorize`);
      expect(authorization.searchParams.get('client_id')).toBe(clientId);
      expect(authorization.searchParams.get('resource')).toBe(mcpUrl);
      expect(authorization.searchParams.get('code_challenge_method')).toBe('S256');
      expect(authorization.searchParams.get('scope')).toBe(SCOPE);
      expect(docs.hits.get('/mcp-client.json')).toBeGreaterThanOrEqual(1);

      // The code went back with the PKCE verifier and the resource (RFC 7636 §4.5, RFC 8707 §2.2).
      expect(tokenRequests).toHaveLength(1);
      expect(Object.fromEntries(tokenRequests[0]!)).toMatchObject({ grant_type: 'authorization_code', client_id: clientId, code_verifier: provider.verifier, resource: mcpUrl });

      expect(await callWhoami(client, 'hello')).toBe(`hello, ${userId}`);
      const first = provider.saved!;
      expect(payloadOf(first.access_token)).toMatchObject({ aud: mcpUrl, sub: userId, client_id: clientId, scope: SCOPE });
      expect(first.refresh_token).toBeTruthy();

      // The access token stops working (as if it had expired): the MCP server answers 401, the SDK refreshes with
      // the refresh token (and the resource) and sends the call again, without the browser.
      provider.saved = { ...first, access_token: `${first.access_token.slice(0, -4)}AAAA` };
      expect(await callWhoami(client, 'again')).toBe(`again, ${userId}`);
      expect(provider.tokenHistory).toHaveLength(2);
      expect(tokenRequests).toHaveLength(2);
      expect(Object.fromEntries(tokenRequests[1]!)).toMatchObject({ grant_type: 'refresh_token', refresh_token: first.refresh_token, resource: mcpUrl });
      const refreshed = provider.saved;
      expect(refreshed.access_token).not.toBe(first.access_token);
      expect(refreshed.refresh_token).toBeTruthy();
      expect(refreshed.refresh_token).not.toBe(first.refresh_token); // rotated
      expect(payloadOf(refreshed.access_token)).toMatchObject({ aud: mcpUrl, sub: userId, client_id: clientId });
      expect(provider.authorizationUrls).toHaveLength(1);
    } finally {
      await client.close();
    }
  }, 120_000);

  it('falls back to dynamic client registration (RFC 7591) when the client has no metadata document', async () => {
    const provider = new BrowserProvider(browser, callback);
    const client = await connect(provider);
    try {
      const clientId = provider.info!.client_id;
      expect(fetched).toContain(`POST ${grantry.issuer}/register`);
      expect(clientId).not.toMatch(/^https:/);
      expect((await cli(store, 'clients', 'show', clientId)) as { id: string }).toMatchObject({ id: clientId });
      expect(provider.authorizationUrls[0]!.searchParams.get('resource')).toBe(mcpUrl);
      expect(await callWhoami(client, 'hi')).toBe(`hi, ${userId}`);
      expect(payloadOf(provider.saved!.access_token)).toMatchObject({ aud: mcpUrl, client_id: clientId });
    } finally {
      await client.close();
    }
  }, 120_000);
});
