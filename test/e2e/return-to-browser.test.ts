import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, launchChromium } from './support/chromium.js';
import { cli, createTestStore, startGrantry, type GrantryProcess, type TestStore } from './support/grantry-process.js';

// Nothing leaves the machine: every host name but the server's fails to resolve, without a DNS query.
const LOCAL_ONLY = ['--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost'];

// What a browser does with the post-login redirect is what counts: it strips tabs and newlines from URLs and reads
// backslashes as slashes, so a Location that looks like a path can leave the origin (RFC 9700 §4.11).
describe.skipIf(!existsSync(CHROMIUM))('post-login return addresses in a real headless Chromium', () => {
  let store: TestStore;
  let server: GrantryProcess;
  let browser: Browser;

  beforeAll(async () => {
    store = await createTestStore();
    await cli(store, 'users', 'create', '--username', 'alice', '--password', 'wonderland rabbit');
    server = await startGrantry(store, ['--request-log', 'false']);
    browser = await launchChromium(LOCAL_ONLY);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await store?.dispose();
  });

  const CASES = [
    ['a tab', '/\t/evil.example/phish'],
    ['a backslash', '/\\evil.example'],
    ['encoded slashes', '/%2F%2Fevil.example'],
    ['encoded slashes without a leading slash', '%2F%2Fevil.example'],
    ['an absolute URL', 'https://evil.example/'],
    ['a protocol-relative URL', '//evil.example/x'],
    ['a NUL', '/a\u0000b'],
    ['a javascript: URL', 'javascript:alert(1)'],
  ] as const;

  it('signs in with each hostile return_to and always ends on the server’s own origin, with no 500', async () => {
    const origin = new URL(server.issuer).origin;
    const context = await browser.newContext();
    const page = await context.newPage();
    const statuses: number[] = [];
    const offsite: string[] = [];
    page.on('response', (response) => statuses.push(response.status()));
    page.on('request', (request) => {
      if (new URL(request.url()).origin !== origin) offsite.push(request.url());
    });
    const landed: Record<string, string> = {};
    for (const [name, returnTo] of CASES) {
      await context.clearCookies();
      offsite.length = 0;
      await page.goto(`${origin}/login?return_to=${encodeURIComponent(returnTo)}`);
      await page.getByLabel('Username').fill('alice');
      await page.getByLabel('Password').fill('wonderland rabbit');
      const [post] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.getByRole('button', { name: 'Sign in' }).click()]);
      if (post.status() === 303) await page.waitForURL((url) => url.pathname !== '/login' || url.origin !== origin);
      await page.waitForLoadState();
      if (post.status() !== 303) landed[name] = `sign-in answered ${post.status()}`;
      else landed[name] = new URL(page.url()).origin === origin && offsite.length === 0 ? origin : `elsewhere: ${[...offsite, page.url()].join(' ')}`;
    }
    expect(landed).toEqual(Object.fromEntries(CASES.map(([name]) => [name, origin])));
    expect(statuses.filter((status) => status >= 500)).toEqual([]);
    await context.close();
  }, 60_000);
});
