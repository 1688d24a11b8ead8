import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeBlocks, jsonObjects, readme, section } from '../support/readme-blocks.js';
import { startGrantry, type GrantryProcess, type TestStore } from './support/grantry-process.js';

// Follows "Your first day with the ready server" literally: every ```sh block of that section, in order, in one
// shell state, on a fresh data directory, against a real `grantry serve`. The only translations, each visible
// here: the server listens on a free port instead of 8080 (the URL is replaced), `npx grantry` runs this
// checkout's bin (a shell function, so no registry is asked), and the code the browser receives replaces the
// placeholder the reader pastes over. curl, jq and openssl are the real commands (.ci/run installs them).

const run = promisify(execFile);
const CHROMIUM = '/usr/bin/chromium';
const BIN = join(import.meta.dirname, '../../bin/grantry.js');
const README_URL = 'http://127.0.0.1:8080';
const CALLBACK = 'http://127.0.0.1:9000/callback';
const CODE_PLACEHOLDER = 'paste-the-code-from-the-address-bar';
const hasTools = ['/usr/bin/curl', '/usr/bin/jq', '/usr/bin/openssl'].every((p) => existsSync(p)) && existsSync(CHROMIUM);

const blocks = codeBlocks(section(readme(), 'Your first day with the ready server')).filter((b) => b.lang === 'sh');
/** Every variable a block assigns at the start of a line: carried from one block to the next. */
const variables = [...new Set(blocks.flatMap((b) => [...b.code.matchAll(/^([A-Z_][A-Z0-9_]*)=/gm)].map((m) => m[1]!)))];

describe.skipIf(!hasTools)("the README's first day, as written", () => {
  let dir: string;
  let server: GrantryProcess;
  let browser: Browser;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'grantry-first-day-'));
    const store: TestStore = { dataDir: join(dir, 'data'), database: undefined, dispose: async () => undefined };
    server = await startGrantry(store);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Runs one README block in `dir` (so `./data` is the server's fresh data directory); returns its stdout. */
  async function sh(code: string): Promise<string> {
    const script = [
      'set -euo pipefail',
      'npx() { if [ "$1" = grantry ]; then shift; "$FIRST_DAY_NODE" "$FIRST_DAY_BIN" "$@"; else command npx "$@"; fi; }',
      '[ -f .first-day-state ] && . ./.first-day-state',
      code.replaceAll(README_URL, server.issuer),
      `declare -p ${variables.join(' ')} > .first-day-state 2>/dev/null || true`,
    ].join('\n');
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, FIRST_DAY_NODE: process.execPath, FIRST_DAY_BIN: BIN };
    try {
      const { stdout } = await run('bash', ['-c', script], { cwd: dir, env, timeout: 60_000 });
      return stdout;
    } catch (error) {
      const e = error as { stderr?: string; code?: number };
      throw new Error(`README block failed (exit ${e.code}):\n${code}\n${e.stderr ?? ''}`);
    }
  }

  const shellVar = async (name: string): Promise<string> => (await sh(`printf '%s' "$${name}"`)).trim();

  /** Signs alice in on the page the browser is on (the login page comes first when no session exists). */
  async function signIn(page: import('playwright-core').Page): Promise<void> {
    await page.getByLabel('Username').fill('alice');
    await page.getByLabel('Password').fill('correct horse battery staple');
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  it('gets every token the first day promises', async () => {
    expect(blocks.length).toBeGreaterThanOrEqual(7);
    expect(blocks[0]!.code).toContain('npx grantry serve'); // started above, as the real process, on a free port
    expect(readme().split('\n').slice(0, 6).join('\n')).toContain('npm install && npm start');
    const steps = blocks.slice(1);
    const find = (needle: string) => {
      const found = steps.filter((b) => b.code.includes(needle));
      expect(found, needle).toHaveLength(1);
      return found[0]!;
    };
    const scopes = find('scopes add read');
    const backend = find('grant_type=client_credentials');
    const web = find('/authorize?');
    const exchange = find(CODE_PLACEHOLDER);
    const refresh = find('grant_type=refresh_token');
    const device = find('/device_authorization');
    const poll = find('grant-type:device_code -d device_code');
    expect(steps).toEqual([scopes, backend, web, exchange, refresh, device, poll]);

    // The server says where it is and what to do next: on stderr (stdout stays JSON lines) and on its `/` page.
    expect(server.stderr()).toContain(`grantry is listening on ${server.issuer}`);
    const home = await fetch(`${server.issuer}/`);
    expect(home.status).toBe(200);
    const homeHtml = await home.text();
    for (const command of ['npx grantry scopes add read', 'npx grantry clients create', `${server.issuer}/token`]) {
      expect(server.stderr()).toContain(command);
      expect(homeHtml).toContain(command);
    }

    // Scopes and a user (the consent page below lists both scopes; alice signs in twice).
    await sh(scopes.code);

    // A client-credentials token.
    const cc = jsonObjects(await sh(backend.code));
    expect(cc).toEqual([expect.objectContaining({ token_type: 'Bearer', scope: 'read', access_token: expect.stringMatching(/^eyJ[\w-]+\.[\w-]+\.[\w-]+$/) })]);

    // An authorization code with PKCE, through the sign-in and consent pages in Chromium.
    const url = (await sh(web.code)).trim();
    expect(url.startsWith(`${server.issuer}/authorize?`)).toBe(true);
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.route(`${CALLBACK}**`, (route) => route.fulfill({ status: 200, contentType: 'text/html', body: '<title>callback</title>' }));
    await page.goto(url);
    await signIn(page);
    await page.getByRole('heading', { name: 'Authorize access' }).waitFor();
    expect(await page.locator('main li').allInnerTexts()).toEqual(['read — Read your data', 'write — Change your data']);
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL((u) => u.href.startsWith(CALLBACK));
    const back = new URL(page.url());
    expect(back.searchParams.get('state')).toBe('first-day');
    expect(back.searchParams.get('iss')).toBe(server.issuer);
    const code = back.searchParams.get('code')!;
    expect(code).toBeTruthy();
    await context.close();

    const exchanged = jsonObjects(await sh(exchange.code.replace(CODE_PLACEHOLDER, code)));
    expect(exchanged).toEqual([expect.objectContaining({ token_type: 'Bearer', scope: 'read write', access_token: expect.any(String), refresh_token: expect.any(String) })]);
    expect(await shellVar('REFRESH')).toBe(exchanged[0]!.refresh_token);

    // Refresh (a new pair), introspect (active), revoke, introspect again (inactive).
    const answers = jsonObjects(await sh(refresh.code));
    expect(answers).toEqual([
      expect.objectContaining({ active: true, scope: 'read write', username: 'alice', client_id: await shellVar('WEB_ID') }),
      { active: false },
    ]);
    const rotated = await shellVar('REFRESH');
    expect(rotated).toMatch(/\S{20,}/);
    expect(rotated).not.toBe(exchanged[0]!.refresh_token);
    expect(await shellVar('ACCESS')).not.toBe(exchanged[0]!.access_token);

    // The device flow: the user approves on the verification page; the device's poll gets the tokens.
    const complete = (await sh(device.code)).trim();
    expect(complete).toMatch(new RegExp(`^${server.issuer}/device\\?user_code=`));
    const tv = await browser.newContext();
    const devicePage = await tv.newPage();
    await devicePage.goto(complete);
    await signIn(devicePage);
    await devicePage.getByRole('button', { name: 'Continue' }).click();
    expect(await devicePage.locator('main').innerText()).toContain('TV app');
    await devicePage.getByRole('button', { name: 'Allow' }).click();
    await devicePage.getByRole('heading', { name: 'Device connected' }).waitFor();
    await tv.close();
    const deviceTokens = jsonObjects(await sh(poll.code));
    expect(deviceTokens).toEqual([expect.objectContaining({ token_type: 'Bearer', scope: 'read', access_token: expect.any(String), refresh_token: expect.any(String) })]);
  }, 120_000);
});
