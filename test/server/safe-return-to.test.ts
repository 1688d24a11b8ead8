import { beforeAll, describe, expect, it } from 'vitest';
import { safeReturnTo } from '../../src/server/request-info.js';
import { Browser, createTestApp, field, ISSUER, type TestApp } from './support.js';

// Post-login return addresses are same-origin paths only (RFC 9700 §4.11, open redirection): resolved against the
// issuer, the result must keep the issuer's origin; control characters and backslashes are refused.
const CASES = [
  // value, where the login sends the browser
  ['/\t/evil.example/phish', '/'],
  ['/\\evil.example', '/'],
  ['/\\/evil.example', '/'],
  ['\\\\evil.example', '/'],
  ['/%2F%2Fevil.example', '/%2F%2Fevil.example'],
  ['%2F%2Fevil.example', '/'],
  ['https://evil.example/', '/'],
  [`${ISSUER}/account`, '/'],
  ['//evil.example/x', '/'],
  ['///evil.example/x', '/'],
  ['/a\u0000b', '/'],
  ['/a\r\nSet-Cookie: x=1', '/'],
  ['/a\u007fb', '/'],
  ['/ok?x=1', '/ok?x=1'],
  ['/authorize?client_id=app&scope=read%20write#frag', '/authorize?client_id=app&scope=read%20write'],
  ['/caf\u00e9 bar?q=\u00e9', '/caf%C3%A9%20bar?q=%C3%A9'],
  ['/a/../b', '/b'],
  ['javascript:alert(1)', '/'],
  ['', '/'],
] as const;

describe('safeReturnTo', () => {
  it.each(CASES)('%j goes to %j', (value, expected) => {
    expect(safeReturnTo(value, ISSUER)).toBe(expected);
  });

  it('answers / for a missing value', () => {
    expect(safeReturnTo(null, ISSUER)).toBe('/');
    expect(safeReturnTo(undefined, ISSUER)).toBe('/');
  });
});

describe('the login page with hostile return_to values', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });

  it.each(CASES)('signs in with return_to %j and redirects to %j on its own origin, never a 500', async (value, expected) => {
    const b = new Browser(t);
    const form = await b.get(`/login?return_to=${encodeURIComponent(value)}`);
    expect(form.status).toBe(200);
    const html = await form.text();
    // The form carries the cleaned value forward, never the raw one.
    expect(field(html, 'return_to')).toBe(expected);
    // A hand-made form post with the raw value is cleaned the same way.
    const login = await b.post('/login', { csrf_token: field(html, 'csrf_token'), return_to: value, username: 'alice', password: 'wonderland' });
    expect(login.status).toBe(303);
    expect(login.headers.get('location')).toBe(expected);
    expect(new URL(login.headers.get('location')!, ISSUER).origin).toBe(ISSUER);
  });

  it('signs out to a cleaned address as well', async () => {
    const b = new Browser(t);
    const html = await (await b.get('/login')).text();
    const out = await b.post('/logout', { csrf_token: field(html, 'csrf_token'), return_to: '/\t/evil.example' });
    expect(out.status).toBe(303);
    expect(out.headers.get('location')).toBe('/');
  });
});
