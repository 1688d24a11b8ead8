import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, launchChromium, signIn } from './support/chromium.js';
import { cli, createTestStore, startGrantry, type GrantryProcess, type TestStore } from './support/grantry-process.js';
import { basicAuth, discover, pkcePair, postForm, type Metadata } from './support/oauth-client.js';

const DEVICE = 'urn:ietf:params:oauth:grant-type:device_code';

describe.skipIf(!existsSync(CHROMIUM))('the pages in a real headless Chromium', () => {
  let store: TestStore;
  let server: GrantryProcess;
  let callback: Server;
  let redirectUri: string;
  let browser: Browser;
  let meta: Metadata;
  let auth: string;
  let clientId: string;

  beforeAll(async () => {
    // The client application's redirect endpoint: a page that just shows "callback".
    callback = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<title>callback</title><p>callback</p>'));
    await new Promise<void>((r) => callback.listen(0, '127.0.0.1', r));
    redirectUri = `http://127.0.0.1:${(callback.address() as AddressInfo).port}/callback`;
    store = await createTestStore();
    await cli(store, 'scopes', 'add', 'read', '--description', 'Read your data');
    const client = await cli(store, 'clients', 'create', '--name', 'Browser App', '--grant-types', 'authorization_code,refresh_token,device_code', '--scopes', 'read', '--redirect-uris', redirectUri);
    clientId = client.id;
    auth = basicAuth(client.id, client.client_secret);
    await cli(store, 'users', 'create', '--username', 'alice', '--password', 'wonderland rabbit');
    server = await startGrantry(store, ['--device-poll-interval', '1']);
    meta = await discover(server.issuer);
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await store?.dispose();
    callback?.close();
  });

  it('logs in, gives consent with Allow, follows the redirect and exchanges the code (RFC 6749 §4.1, RFC 7636)', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const { verifier, challenge } = pkcePair();
    const query = new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: redirectUri, scope: 'read', state: 's-123', code_challenge: challenge, code_challenge_method: 'S256' });
    await page.goto(`${meta.authorization_endpoint}?${query.toString()}`);

    expect(new URL(page.url()).pathname).toBe('/login');
    await signIn(page, 'alice', 'wonderland rabbit');

    await page.getByRole('heading', { name: 'Authorize access' }).waitFor();
    expect(await page.locator('main').innerText()).toContain('Browser App');
    expect(await page.locator('main li').allInnerTexts()).toEqual(['read — Read your data']);
    const [session] = (await context.cookies()).filter((c) => c.name === 'grantry_session');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Lax' });

    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL((url) => url.pathname === '/callback');
    const back = new URL(page.url());
    expect(back.searchParams.get('state')).toBe('s-123');
    expect(back.searchParams.get('iss')).toBe(server.issuer);

    const token = await postForm(meta.token_endpoint, { grant_type: 'authorization_code', code: back.searchParams.get('code')!, redirect_uri: redirectUri, code_verifier: verifier }, { authorization: auth });
    expect(token.status).toBe(200);
    expect(await token.json()).toMatchObject({ token_type: 'Bearer', scope: 'read', refresh_token: expect.any(String) });
    await context.close();
  }, 60_000);

  it('redirects with access_denied when the user clicks Deny (RFC 6749 §4.1.2.1)', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const { challenge } = pkcePair();
    const query = new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: redirectUri, scope: 'read', state: 'd', code_challenge: challenge, code_challenge_method: 'S256' });
    await page.goto(`${meta.authorization_endpoint}?${query.toString()}`);
    await signIn(page, 'alice', 'wonderland rabbit');
    await page.getByRole('button', { name: 'Deny' }).click();
    await page.waitForURL((url) => url.pathname === '/callback');
    expect(new URL(page.url()).searchParams.get('error')).toBe('access_denied');
    await context.close();
  }, 60_000);

  it('enters a device code on the verification page and approves it; the device gets its tokens (RFC 8628 §3.3)', async () => {
    const started = await postForm(meta.device_authorization_endpoint, { scope: 'read' }, { authorization: auth });
    const device = (await started.json()) as { device_code: string; user_code: string; verification_uri: string };
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(device.verification_uri);
    await signIn(page, 'alice', 'wonderland rabbit');

    await page.getByLabel('Code').fill(device.user_code);
    await page.getByRole('button', { name: 'Continue' }).click();
    expect(await page.locator('main').innerText()).toContain('Browser App');
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.getByRole('heading', { name: 'Device connected' }).waitFor();

    await new Promise((r) => setTimeout(r, 1100));
    const token = await postForm(meta.token_endpoint, { grant_type: DEVICE, device_code: device.device_code }, { authorization: auth });
    expect(token.status).toBe(200);
    expect(await token.json()).toMatchObject({ token_type: 'Bearer', scope: 'read' });
    await context.close();
  }, 60_000);
});
