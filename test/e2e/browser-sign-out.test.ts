import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, launchChromium, signIn } from './support/chromium.js';
import { cli, createTestStore, startGrantry, type GrantryProcess, type TestStore } from './support/grantry-process.js';
import { discover, pkcePair, type Metadata } from './support/oauth-client.js';

// The client's redirect URI: never reached in this test (no consent is approved).
const REDIRECT_URI = 'http://127.0.0.1:9/callback';

describe.skipIf(!existsSync(CHROMIUM))('sign-out in a real headless Chromium (server-side sessions)', () => {
  let store: TestStore;
  let server: GrantryProcess;
  let browser: Browser;
  let meta: Metadata;
  let clientId: string;

  beforeAll(async () => {
    store = await createTestStore();
    await cli(store, 'scopes', 'add', 'read');
    clientId = (await cli(store, 'clients', 'create', '--name', 'Browser App', '--grant-types', 'authorization_code', '--scopes', 'read', '--redirect-uris', REDIRECT_URI)).id;
    await cli(store, 'users', 'create', '--username', 'alice', '--password', 'wonderland rabbit');
    server = await startGrantry(store);
    meta = await discover(server.issuer);
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await store?.dispose();
  });

  it('after sign-out, a saved copy of the old session cookie no longer approves consent', async () => {
    const authorizeUrl = `${meta.authorization_endpoint}?${new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: REDIRECT_URI, scope: 'read', state: 's', code_challenge: pkcePair().challenge, code_challenge_method: 'S256' }).toString()}`;
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(authorizeUrl);
    await signIn(page, 'alice', 'wonderland rabbit');
    await page.getByRole('heading', { name: 'Authorize access' }).waitFor();

    // What an attacker would keep: the session cookie and a filled-in consent form of this session.
    const [saved] = (await context.cookies()).filter((c) => c.name === 'grantry_session');
    expect(saved).toBeDefined();
    const form = {
      csrf_token: await page.locator('form[action="/authorize/decision"] input[name="csrf_token"]').inputValue(),
      consent: await page.locator('form[action="/authorize/decision"] input[name="consent"]').inputValue(),
      decision: 'allow',
    };

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL((url) => url.pathname === '/login');
    await context.close();

    // The saved cookie in a fresh browser: the consent page asks for a sign-in instead.
    const thief = await browser.newContext();
    await thief.addCookies([saved!]);
    const thiefPage = await thief.newPage();
    await thiefPage.goto(authorizeUrl);
    expect(new URL(thiefPage.url()).pathname).toBe('/login');
    expect(await thiefPage.locator('main').innerText()).not.toContain('Signed in as');
    await thief.close();

    // And the saved consent form posted with the saved cookie is refused, without a redirect carrying a code.
    const posted = await fetch(`${server.issuer}/authorize/decision`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: `grantry_session=${saved!.value}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
    expect(posted.status).toBe(403);
    expect(posted.headers.get('location')).toBeNull();
  }, 60_000);
});
