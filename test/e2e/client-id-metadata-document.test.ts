import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestCertificate, startDocumentServer, type DocumentServer, type TestCertificate } from '../support/https-document-server.js';
import { cli, createTestStore, hiddenField, startGrantry, type GrantryProcess, type TestStore } from './support/grantry-process.js';
import { discover, PageDriver, pkcePair, postForm, type Metadata } from './support/oauth-client.js';

const REDIRECT = 'http://127.0.0.1:9/callback';

describe('the grantry process with --client-metadata-documents on', () => {
  let certificate: TestCertificate;
  let docs: DocumentServer;
  let store: TestStore;
  let server: GrantryProcess;
  let meta: Metadata & { client_id_metadata_document_supported?: boolean };
  const previousCa = process.env.NODE_EXTRA_CA_CERTS;

  beforeAll(async () => {
    certificate = makeTestCertificate();
    docs = await startDocumentServer(certificate);
    store = await createTestStore();
    await cli(store, 'scopes', 'add', 'read');
    await cli(store, 'users', 'create', '--username', 'alice', '--password', 'correct horse battery');
    // The child process trusts the test's self-signed certificate (Node reads this variable at start-up).
    process.env.NODE_EXTRA_CA_CERTS = certificate.certFile;
    server = await startGrantry(store, ['--client-metadata-documents', 'on', '--client-metadata-allow-loopback', 'true']);
    meta = await discover(server.issuer);
  }, 120_000);

  afterAll(async () => {
    if (previousCa === undefined) delete process.env.NODE_EXTRA_CA_CERTS;
    else process.env.NODE_EXTRA_CA_CERTS = previousCa;
    await server?.stop();
    await store?.dispose();
    await docs?.close();
    certificate?.dispose();
  });

  const documentFor = (path: string, edit: (doc: Record<string, unknown>) => void = () => undefined): string => {
    const doc: Record<string, unknown> = {
      client_id: `${docs.origin}${path}`,
      client_name: 'Docs <Client>',
      redirect_uris: [REDIRECT],
      grant_types: ['authorization_code', 'refresh_token'],
      token_endpoint_auth_method: 'none',
    };
    edit(doc);
    return docs.json(path, doc);
  };

  const authorizePath = (clientId: string, challenge: string): string =>
    `/authorize?${new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: REDIRECT, scope: 'read', state: 'st', code_challenge: challenge, code_challenge_method: 'S256' }).toString()}`;

  it('announces client_id_metadata_document_supported (draft §5)', () => {
    expect(meta.client_id_metadata_document_supported).toBe(true);
  });

  it('signs a client in by its document: consent shows it as unverified with its host, then code, token and refresh', async () => {
    const clientId = documentFor('/e2e-client.json');
    const { verifier, challenge } = pkcePair();
    const browser = new PageDriver(server.issuer);
    const path = authorizePath(clientId, challenge);
    await browser.login('alice', 'correct horse battery', path);
    const consent = await browser.get(path);
    expect(consent.status).toBe(200);
    const html = await consent.text();
    const host = new URL(docs.origin).host;
    expect(html).toContain(`Docs &#60;Client&#62; (name given by ${host}, not verified)`);
    expect(html).toContain(`describes itself in a document published at ${host}`);
    const decision = await browser.post('/authorize/decision', { csrf_token: hiddenField(html, 'csrf_token'), consent: hiddenField(html, 'consent'), decision: 'allow' });
    expect(decision.status).toBe(302);
    const code = new URL(decision.headers.get('location')!).searchParams.get('code')!;
    const token = await postForm(meta.token_endpoint, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier, client_id: clientId });
    expect(token.status).toBe(200);
    const tokens = (await token.json()) as { refresh_token: string };
    const refreshed = await postForm(meta.token_endpoint, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: clientId });
    expect(refreshed.status).toBe(200);
    expect(docs.hits.get('/e2e-client.json')).toBe(1);
  });

  it('shows a refused document as an error page naming the problem, never redirecting, after one request', async () => {
    const clientId = documentFor('/e2e-mismatch.json', (d) => (d.client_id = 'https://impostor.example/client.json'));
    const browser = new PageDriver(server.issuer);
    const path = authorizePath(clientId, pkcePair().challenge);
    await browser.login('alice', 'correct horse battery', path);
    const page = await browser.get(path);
    expect(page.status).toBe(400);
    expect(page.headers.get('location')).toBeNull();
    const html = await page.text();
    expect(html).toContain('invalid_client');
    expect(html).toContain('which is not the URL it was fetched from');
    expect(docs.hits.get('/e2e-mismatch.json')).toBe(1);
  });
});
