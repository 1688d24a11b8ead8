import { describe, expect, it } from 'vitest';
import { InvalidRedirectUriError, redirectUriProblem } from '../../src/contracts/redirect-uri-rules.js';
import type { Client } from '../../src/contracts/types.js';
import { engines } from '../review/engines.js';
import { CHALLENGE, authorize, authorizeRequest, createCodeServer, expectNotRedirected } from './helpers.js';

const ACCEPTED = [
  ['https', 'https://app.example/cb'],
  ['https with a port and a query', 'https://app.example:8443/cb?tenant=a'],
  ['http on 127.0.0.1 with a port (RFC 8252 §7.3)', 'http://127.0.0.1:49152/cb'],
  ['http on another 127/8 address', 'http://127.8.9.10/cb'],
  ['http on [::1] (RFC 8252 §7.3)', 'http://[::1]/cb'],
  ['http on [::1] with a port', 'http://[::1]:8080/cb'],
  ['a private-use scheme (RFC 8252 §7.1)', 'com.example.app:/cb'],
  ['a private-use scheme with two slashes', 'com.example.app://cb'],
] as const;

const REFUSED = [
  ['plain http on a public host', 'http://client.example.com/cb', /plain http on a host that is not a loopback address/],
  ['plain http on a private address', 'http://192.168.1.10/cb', /plain http/],
  ['localhost (RFC 8252 §8.3)', 'http://localhost:8080/cb', /localhost.*NOT RECOMMENDED.*127\.0\.0\.1/],
  ['a host that starts like the loopback', 'http://127.0.0.1.evil.example/cb', /plain http/],
  ['userinfo after a loopback port', 'http://127.0.0.1:80@evil.example/cb', /user information|plain http/],
  ['a fragment', 'https://app.example/cb#frag', /fragment.*RFC 6749 §3\.1\.2/],
  ['an empty fragment', 'https://app.example/cb#', /fragment/],
  ['a fragment on a loopback URI', 'http://127.0.0.1/cb#x', /fragment/],
  ['a relative URI', '/cb', /not an absolute URI/],
  ['a URI without a scheme', 'app.example/cb', /not an absolute URI/],
  ['a scheme without a period', 'myapp:/cb', /scheme myapp:.*com\.example\.app/],
  ['javascript:', 'javascript:alert(1)', /scheme javascript:/],
  ['data:', 'data:text/html,hi', /scheme data:/],
  ['user information', 'https://user@app.example/cb', /user information/],
  ['a space', 'https://app.example/c b', /not a URI/],
  ['an empty string', '', /empty/],
] as const;

describe('the redirect URI rule (RFC 9700 §2.6, RFC 8252 §7, RFC 6749 §3.1.2)', () => {
  it.each(ACCEPTED)('accepts %s', (_name, uri) => {
    expect(redirectUriProblem(uri)).toBeUndefined();
  });

  it.each(REFUSED)('refuses %s with a reason', (_name, uri, reason) => {
    expect(redirectUriProblem(uri)).toMatch(reason);
  });
});

const client = (redirectUris: string[]): Client => ({
  id: 'native', name: 'Native app', redirectUris, grantTypes: ['authorization_code'], scopes: [],
});

describe.each(engines)('registration through the admin API on $name', ({ skip, open }) => {
  it('refuses http://client.example.com/cb with a message naming the URI and what to use', async (t) => {
    if (skip) return t.skip(skip);
    const storage = await open();
    const error = await storage.admin.createClient(client(['https://app.example/cb', 'http://client.example.com/cb'])).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidRedirectUriError);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as InvalidRedirectUriError).code).toBe('invalid_redirect_uri');
    expect((error as Error).message).toContain('"http://client.example.com/cb"');
    expect((error as Error).message).toMatch(/use https/);
    expect(await storage.admin.getClient('native')).toBeUndefined();
  });

  it('accepts loopback http, [::1] and a private-use scheme', async (t) => {
    if (skip) return t.skip(skip);
    const storage = await open();
    const uris = ['http://127.0.0.1:51234/cb', 'http://[::1]/cb', 'com.example.app:/cb'];
    await storage.admin.createClient(client(uris));
    expect((await storage.admin.getClient('native'))?.redirectUris).toEqual(uris);
  });

  it('refuses a fragment, also on update, and leaves the stored client as it was', async (t) => {
    if (skip) return t.skip(skip);
    const storage = await open();
    await expect(storage.admin.createClient(client(['https://app.example/cb#x']))).rejects.toThrow(/fragment/);
    await storage.admin.createClient(client(['https://app.example/cb']));
    await expect(storage.admin.updateClient(client(['https://app.example/cb#x']))).rejects.toThrow(InvalidRedirectUriError);
    await expect(storage.admin.updateClient(client(['http://client.example.com/cb']))).rejects.toThrow(/plain http/);
    expect((await storage.admin.getClient('native'))?.redirectUris).toEqual(['https://app.example/cb']);
  });
});

describe('the authorization endpoint applies the same rule to registered URIs', () => {
  async function serverWith(redirectUris: string[]) {
    const t = await createCodeServer();
    const app = (await t.storage.clients.getClient('app'))!;
    // Written to storage directly, as a client stored before the rule existed would be.
    t.storage.clients.clients.set('app', { ...app, redirectUris });
    return t;
  }
  const params = (extra: Record<string, string>) => ({
    response_type: 'code', client_id: 'app', state: 'st', code_challenge: CHALLENGE, code_challenge_method: 'S256', ...extra,
  });

  it.each([
    ['plain http on a public host', 'http://client.example.com/cb'],
    ['localhost', 'http://localhost:8080/cb'],
    ['a scheme without a period', 'myapp:/cb'],
  ])('never redirects to a registered URI that breaks the rule: %s', async (_name, uri) => {
    const t = await serverWith([uri]);
    await expectNotRedirected(t.server, authorizeRequest(params({ redirect_uri: uri })));
    // Nor when it is the only one registered and the request names none (RFC 6749 §3.1.2.3).
    await expectNotRedirected(t.server, authorizeRequest(params({})));
  });

  it('redirects to a private-use scheme of a native app (RFC 8252 §7.1)', async () => {
    const t = await serverWith(['com.example.app:/cb']);
    const location = await authorize(t, params({ redirect_uri: 'com.example.app:/cb' }));
    expect(location.protocol).toBe('com.example.app:');
    expect(location.searchParams.get('code')).toBeTruthy();
  });

  it('still uses the valid URIs of a client that also has an invalid one', async () => {
    const t = await serverWith(['http://client.example.com/cb', 'https://app.example/cb']);
    const location = await authorize(t, params({ redirect_uri: 'https://app.example/cb' }));
    expect(location.href.startsWith('https://app.example/cb?code=')).toBe(true);
    await expectNotRedirected(t.server, authorizeRequest(params({ redirect_uri: 'http://client.example.com/cb' })));
  });
});
