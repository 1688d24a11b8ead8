import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { clientsCommand } from '../../src/cli/clients-command.js';
import { loadPageStrings } from '../../src/server/page-strings.js';
import { fillTemplate, Html, loadTemplates } from '../../src/server/page-templates.js';
import { PageView } from '../../src/server/page-view.js';
import { Browser, createTestApp, field, REDIRECT, type TestApp } from './support.js';

const challenge = createHash('sha256').update('v'.repeat(43)).digest('base64url');
const authorizePath = (clientId: string, scope = 'read') =>
  `/authorize?${new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: REDIRECT, scope, state: 'st', code_challenge: challenge, code_challenge_method: 'S256' }).toString()}`;

const dir = (): string => mkdtempSync(join(tmpdir(), 'grantry-pages-'));

async function signIn(b: Browser): Promise<void> {
  const html = await (await b.get('/login')).text();
  const response = await b.post('/login', { csrf_token: field(html, 'csrf_token'), return_to: '/', username: 'alice', password: 'wonderland' });
  expect(response.status).toBe(303);
}

/** Opens the consent page, ticks (or not) "remember" and allows; resolves with the redirect's location. */
async function allow(b: Browser, t: TestApp, remember: boolean): Promise<string> {
  const html = await (await b.get(authorizePath(t.clientId))).text();
  const form = { csrf_token: field(html, 'csrf_token'), consent: field(html, 'consent'), decision: 'allow', ...(remember ? { remember: 'yes' } : {}) };
  const response = await b.post('/authorize/decision', form);
  expect(response.status).toBe(302);
  return response.headers.get('location')!;
}

describe('templates: values are escaped, templates run no code', () => {
  it('escapes every text value and every string; only server-built Html is kept as markup', () => {
    const out = fillTemplate('<p title="{{a}}">{{a}} {{b}} {{s.x}} {{missing}}</p>', { a: '"><script>alert(1)</script>', b: new Html('<em>ok</em>') }, { x: "<b>'" });
    expect(out).toBe('<p title="&#34;&#62;&#60;script&#62;alert(1)&#60;/script&#62;">&#34;&#62;&#60;script&#62;alert(1)&#60;/script&#62; <em>ok</em> &#60;b&#62;&#39; </p>');
  });

  it('never reads a value as a template (a value holding {{…}} stays text)', () => {
    expect(fillTemplate('{{a}}', { a: '{{b}}', b: new Html('<i>') }, {})).toBe('{{b}}');
  });

  it('the product name, the strings and the values are escaped in the rendered page', async () => {
    const strings = join(dir(), 'strings.json');
    writeFileSync(strings, JSON.stringify({ lang: 'de', sign_in_title: 'Anmelden <jetzt>' }));
    const view = new PageView({ productName: 'Acme & <Co>', strings });
    const html = await view.render('login', view.s.sign_in_title, { username: '"><img src=x>' }).text();
    expect(html).toContain('<html lang="de">');
    expect(html).toContain('<title>Anmelden &#60;jetzt&#62; · Acme &#38; &#60;Co&#62;</title>');
    expect(html).toContain('value="&#34;&#62;&#60;img src=x&#62;"');
    expect(html).not.toContain('<img src=x>');
  });

  it('rejects at start-up a template with an unknown placeholder and a strings file with an unknown key', () => {
    const d = dir();
    writeFileSync(join(d, 'login.html'), '<p>{{constructor}}</p>');
    expect(() => loadTemplates(d)).toThrow(/login\.html uses \{\{constructor\}\}/);
    const bad = join(d, 'strings.json');
    writeFileSync(bad, JSON.stringify({ sign_in_titel: 'x' }));
    expect(() => loadPageStrings(bad)).toThrow(/unknown key "sign_in_titel"/);
    expect(() => new PageView({ logoUrl: 'javascript:alert(1)' })).toThrow(/--logo-url/);
  });

  it('serves the override templates, the CSS and the logo with a policy that allows that logo only', async () => {
    const d = dir();
    writeFileSync(join(d, 'layout.html'), '<!doctype html><html lang="{{lang}}"><head><title>{{title}}</title></head><body><div id="brand">{{logo}}{{product_name}}</div><main>{{content}}</main></body></html>');
    writeFileSync(join(d, 'error.html'), '<p class="oops">{{code}} / {{description}}</p><p>{{next_step}}</p>');
    const css = join(d, 'mine.css');
    writeFileSync(css, '#brand{color:rgb(1, 2, 3)}');
    const t = await createTestApp({ 'pages-dir': d, css, 'product-name': 'Acme ID', 'logo-url': 'https://cdn.acme.test/logo.svg' });
    const login = await t.send('/login');
    const html = await login.text();
    expect(html).toContain('<div id="brand"><img src="https://cdn.acme.test/logo.svg" alt="Acme ID">Acme ID</div>');
    expect(login.headers.get('content-security-policy')).toContain("img-src 'self' https://cdn.acme.test;");
    expect(login.headers.get('content-security-policy')).toContain("style-src 'self';");
    const sheet = await t.send('/pages.css');
    expect(sheet.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(await sheet.text()).toMatch(/body\{[\s\S]*#brand\{color:rgb\(1, 2, 3\)\}$/);
    const b = new Browser(t);
    await signIn(b);
    const error = await (await b.get(authorizePath('no-such-client'))).text();
    expect(error).toMatch(/<p class="oops">invalid_request \/ The client is unknown.<\/p><p>Go back to the application/);
  });
});

describe('pages that say what happened', () => {
  it('keeps the username after a failed login and moves the focus to the password', async () => {
    const t = await createTestApp();
    const b = new Browser(t);
    const html = await (await b.get('/login')).text();
    const failed = await b.post('/login', { csrf_token: field(html, 'csrf_token'), return_to: '/', username: 'alice', password: 'nope' });
    expect(failed.status).toBe(401);
    const page = await failed.text();
    expect(page).toContain('<input id="username" name="username" value="alice" autocomplete="username" required>');
    expect(page).toMatch(/<input id="password"[^>]* required autofocus>/);
  });

  it('shows the destination host on the consent page and the signed-in account on the device page', async () => {
    const t = await createTestApp();
    const b = new Browser(t);
    await signIn(b);
    expect(await (await b.get(authorizePath(t.clientId))).text()).toContain('After your decision you will be sent to app.test.');
    expect(await (await b.get('/device')).text()).toContain('Signed in as alice.');
  });
});

describe('remembered consent', () => {
  it('skips the consent page for the same client and scopes once remembered, and asks again after revocation', async () => {
    const t = await createTestApp();
    const b = new Browser(t);
    await signIn(b);
    await allow(b, t, false);
    expect((await b.get(authorizePath(t.clientId))).status).toBe(200); // not remembered: asks again
    await allow(b, t, true);
    const skipped = await b.get(authorizePath(t.clientId));
    expect(skipped.status).toBe(302);
    expect(new URL(skipped.headers.get('location')!).searchParams.get('code')).toBeTruthy();

    const account = await (await b.get('/account')).text();
    expect(account).toContain('<strong>Test &#60;App&#62;</strong>: read');
    expect((await b.post('/account', { csrf_token: 'forged', client_id: t.clientId })).status).toBe(403);
    expect((await b.get(authorizePath(t.clientId))).status).toBe(302); // the forged revocation changed nothing
    const revoked = await b.post('/account', { csrf_token: field(account, 'csrf_token'), client_id: t.clientId });
    expect(await revoked.text()).toContain('You have no remembered decisions.');
    expect((await b.get(authorizePath(t.clientId))).status).toBe(200);
  });

  it('another user is still asked: the consent is per user', async () => {
    const t = await createTestApp();
    await t.store.storage.admin.createUser({ username: 'bob', password: 'wonderland' });
    const alice = new Browser(t);
    await signIn(alice);
    await allow(alice, t, true);
    const bob = new Browser(t, '192.0.2.2');
    const html = await (await bob.get('/login')).text();
    await bob.post('/login', { csrf_token: field(html, 'csrf_token'), return_to: '/', username: 'bob', password: 'wonderland' });
    expect((await bob.get(authorizePath(t.clientId))).status).toBe(200);
  });

  it('an operator turns remembering off per client: no checkbox, nothing stored, existing consents forgotten', async () => {
    const t = await createTestApp();
    const b = new Browser(t);
    await signIn(b);
    await allow(b, t, true);
    expect((await b.get(authorizePath(t.clientId))).status).toBe(302);

    const out = await clientsCommand(t.store, 'update', t.clientId, { 'no-remember-consent': true });
    expect(out.json).toMatchObject({ remember_consent: false });
    const html = await (await b.get(authorizePath(t.clientId))).text();
    expect(html).toContain('Authorize access');
    expect(html).not.toContain('name="remember"');
    // A forged "remember" on the opted-out client is ignored.
    await allow(b, t, true);
    expect((await b.get(authorizePath(t.clientId))).status).toBe(200);

    expect((await clientsCommand(t.store, 'update', t.clientId, { 'remember-consent': true })).json).toMatchObject({ remember_consent: true });
    expect(await (await b.get(authorizePath(t.clientId))).text()).toContain('name="remember"');
  });
});
