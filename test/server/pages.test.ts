import { createHash } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { Browser, createTestApp, field, REDIRECT, type TestApp } from './support.js';

const challenge = createHash('sha256').update('v'.repeat(43)).digest('base64url');
const authorizePath = (clientId: string) =>
  `/authorize?${new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: REDIRECT, scope: 'read', state: 'st', code_challenge: challenge, code_challenge_method: 'S256' }).toString()}`;

async function signIn(b: Browser, password = 'wonderland', returnTo = '/'): Promise<Response> {
  const html = await (await b.get(`/login?return_to=${encodeURIComponent(returnTo)}`)).text();
  return b.post('/login', { csrf_token: field(html, 'csrf_token'), return_to: returnTo, username: 'alice', password });
}

describe('login page', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp({ 'rate-limit-max': '3', 'rate-limit-window': '60' });
  });

  it('renders an accessible form with username and password fields, a CSRF token and anti-framing headers', async () => {
    const response = await t.send('/login');
    const html = await response.text();
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(html).toContain('<html lang="en">');
    expect(html).toMatch(/<label for="username">[^<]+<\/label><input id="username" name="username"/);
    expect(html).toMatch(/<label for="password">[^<]+<\/label><input id="password" name="password" type="password"/);
    expect(field(html, 'csrf_token').length).toBeGreaterThan(20);
    expect(response.headers.get('set-cookie')).toMatch(/^grantry_session=[^;]+; Path=\/; HttpOnly; SameSite=Lax; Max-Age=\d+$/);
  });

  it('sets a Secure session cookie when the issuer is https', async () => {
    const https = await createTestApp({ issuer: 'https://auth.test' });
    expect((await https.send('/login')).headers.get('set-cookie')).toMatch(/; Secure$/);
  });

  it('refuses a login without a valid CSRF token with 403', async () => {
    const b = new Browser(t);
    await b.get('/login');
    const response = await b.post('/login', { csrf_token: 'forged', username: 'alice', password: 'wonderland' });
    expect(response.status).toBe(403);
    const noCookie = await t.send('/login', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'username=alice&password=wonderland&csrf_token=x' });
    expect(noCookie.status).toBe(403);
  });

  it('starts a new session on success and returns only to a local path (no open redirect)', async () => {
    const b = new Browser(t);
    const before = (await b.get('/login'), b.cookie);
    const response = await signIn(b, 'wonderland', '//evil.example/x');
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/');
    expect(b.cookie).not.toBe(before);
  });

  it('answers wrong passwords 401, then 429 with Retry-After to that source only, and lets it back in after the window', async () => {
    const b = new Browser(t);
    for (let i = 0; i < 3; i++) expect((await signIn(b, 'wrong')).status).toBe(401);
    const limited = await signIn(b, 'wonderland');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    // The owner at another address is let in: the hard limit is per source and username.
    expect((await signIn(new Browser(t, '198.51.100.9'), 'wonderland')).status).toBe(303);
    t.clock.advance(61);
    expect((await signIn(b, 'wonderland')).status).toBe(303);
  });

  it('answers an empty password 400 without counting it as a guess', async () => {
    const b = new Browser(t);
    for (let i = 0; i < 5; i++) expect((await signIn(b, '')).status).toBe(400);
    expect((await signIn(b, 'wonderland')).status).toBe(303);
  });
});

describe('consent page', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });

  it('sends a signed-out user to the login page and back', async () => {
    const response = await new Browser(t).get(authorizePath(t.clientId));
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe(`/login?return_to=${encodeURIComponent(authorizePath(t.clientId))}`);
  });

  it('lists the client (escaped) and the scopes with Allow and Deny buttons', async () => {
    const b = new Browser(t);
    await signIn(b);
    const html = await (await b.get(authorizePath(t.clientId))).text();
    expect(html).toContain('<strong>Test &#60;App&#62;</strong>');
    expect(html).toContain('<li>read</li>');
    expect(html).toContain('<button type="submit" name="decision" value="allow">Allow</button>');
    expect(html).toContain('<button type="submit" name="decision" value="deny">Deny</button>');
  });

  it('shows a bad redirect URI as an error page and never redirects (RFC 6749 §4.1.2.1)', async () => {
    const b = new Browser(t);
    await signIn(b);
    const response = await b.get(authorizePath(t.clientId).replace(encodeURIComponent(REDIRECT), encodeURIComponent('https://evil.test/cb')));
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
    expect(response.headers.get('content-type')).toContain('text/html');
  });

  it('redirects with a code on Allow and with access_denied on Deny', async () => {
    const b = new Browser(t);
    await signIn(b);
    const html = await (await b.get(authorizePath(t.clientId))).text();
    const allow = await b.post('/authorize/decision', { csrf_token: field(html, 'csrf_token'), consent: field(html, 'consent'), decision: 'allow' });
    expect(allow.status).toBe(302);
    expect(new URL(allow.headers.get('location')!).searchParams.get('code')).toBeTruthy();
    const html2 = await (await b.get(authorizePath(t.clientId))).text();
    const deny = await b.post('/authorize/decision', { csrf_token: field(html2, 'csrf_token'), consent: field(html2, 'consent'), decision: 'deny' });
    expect(new URL(deny.headers.get('location')!).searchParams.get('error')).toBe('access_denied');
  });

  it('signs out from the consent page (CSRF-protected) and asks for the login again', async () => {
    const b = new Browser(t);
    await signIn(b);
    const html = await (await b.get(authorizePath(t.clientId))).text();
    expect(html).toContain('Not alice?');
    expect((await b.post('/logout', { csrf_token: 'forged', return_to: '/' })).status).toBe(403);
    const out = await b.post('/logout', { csrf_token: field(html, 'csrf_token'), return_to: authorizePath(t.clientId) });
    expect(out.status).toBe(303);
    expect(out.headers.get('location')).toBe(authorizePath(t.clientId));
    expect((await b.get(authorizePath(t.clientId))).headers.get('location')).toMatch(/^\/login\?return_to=/);
  });

  it('refuses a consent form from another session or with a forged CSRF token', async () => {
    const b = new Browser(t);
    await signIn(b);
    const html = await (await b.get(authorizePath(t.clientId))).text();
    const forged = await b.post('/authorize/decision', { csrf_token: 'x', consent: field(html, 'consent'), decision: 'allow' });
    expect(forged.status).toBe(403);
    const other = new Browser(t);
    await signIn(other);
    const otherHtml = await (await other.get(authorizePath(t.clientId))).text();
    const replayed = await other.post('/authorize/decision', { csrf_token: field(otherHtml, 'csrf_token'), consent: field(html, 'consent'), decision: 'allow' });
    expect(replayed.status).toBe(400);
    expect(replayed.headers.get('location')).toBeNull();
  });
});

describe('device verification page', () => {
  it('counts wrong user codes per signed-in user and source and answers 429 with Retry-After (RFC 8628 §5.1)', async () => {
    const t = await createTestApp({ 'rate-limit-max': '2', 'rate-limit-window': '60' });
    const b = new Browser(t);
    await signIn(b);
    const html = await (await b.get('/device')).text();
    expect(html).toMatch(/<input id="user_code" name="user_code"/);
    const csrf = field(html, 'csrf_token');
    expect((await b.post('/device', { csrf_token: csrf, user_code: 'BCDF-GHJK' })).status).toBe(400);
    expect((await b.post('/device', { csrf_token: csrf, user_code: 'BCDF-GHJL' })).status).toBe(400);
    const limited = await b.post('/device', { csrf_token: csrf, user_code: 'BCDF-GHJM' });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
  });

  it('shows the client and scopes of a real code, and approves it', async () => {
    const t = await createTestApp();
    const started = await t.send('/device_authorization', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${t.clientId}:${t.clientSecret}`).toString('base64')}` },
      body: 'scope=read',
    });
    const { user_code } = (await started.json()) as { user_code: string };
    const b = new Browser(t);
    await signIn(b);
    const entry = await (await b.get(`/device?user_code=${user_code}`)).text();
    expect(field(entry, 'user_code')).toBe(user_code);
    const approval = await (await b.post('/device', { csrf_token: field(entry, 'csrf_token'), user_code })).text();
    expect(approval).toContain('Test &#60;App&#62;');
    const done = await b.post('/device/decision', { csrf_token: field(approval, 'csrf_token'), device: field(approval, 'device'), decision: 'allow' });
    expect(done.status).toBe(200);
    expect(await done.text()).toContain('Device connected');
    const twice = await b.post('/device/decision', { csrf_token: field(approval, 'csrf_token'), device: field(approval, 'device'), decision: 'allow' });
    expect(twice.status).toBe(400);
  });
});

describe('token endpoint limits', () => {
  it('counts failed password grants per username and source, shared with the login page (RFC 6749 §4.3, §10.10)', async () => {
    const t = await createTestApp({ 'rate-limit-max': '3', 'rate-limit-window': '60' });
    const auth = `Basic ${Buffer.from(`${t.clientId}:${t.clientSecret}`).toString('base64')}`;
    const guess = (password: string) =>
      t.send('/token', { method: 'POST', headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'password', username: 'alice', password }).toString() });
    for (let i = 0; i < 3; i++) expect(await (await guess(`wrong-${i}`)).json()).toMatchObject({ error: 'invalid_grant' });
    const limited = await guess('wonderland');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
    // The login page shares the count: the same source is refused there, the owner elsewhere is let in.
    expect((await signIn(new Browser(t))).status).toBe(429);
    expect((await signIn(new Browser(t, '198.51.100.7'))).status).toBe(303);
    t.clock.advance(61);
    expect((await guess('wonderland')).status).toBe(200);
  });

  it('answers an oversized token request body with a 4xx, reading at most 16 KiB of it once', async () => {
    const t = await createTestApp();
    const body = `grant_type=client_credentials&client_id=${t.clientId}&pad=${'x'.repeat(1024 * 1024)}`;
    const response = await t.send('/token', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
  });
});
