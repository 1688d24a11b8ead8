import { describe, expect, it } from 'vitest';
import { matchRedirectUri } from '../../src/grants/redirect-uri.js';
import { ISSUER } from '../support/fixtures.js';
import { CHALLENGE, authorize, authorizeRequest, createCodeServer, expectNotRedirected } from './helpers.js';

const REGISTERED = 'https://app.example.test:8443/callback?tenant=a';
const LOOPBACK = 'http://127.0.0.1/cb';
const LOOPBACK6 = 'http://[::1]:8080/cb';

async function serverWith(redirectUris: string[]) {
  const t = await createCodeServer();
  const app = (await t.storage.clients.getClient('app'))!;
  t.storage.clients.clients.set('app', { ...app, redirectUris });
  return t;
}

const params = (redirect_uri: string) => ({
  response_type: 'code',
  client_id: 'app',
  redirect_uri,
  state: 'st',
  code_challenge: CHALLENGE,
  code_challenge_method: 'S256',
});

describe('redirect URI matching (RFC 9700 §4.1.3 exact match, RFC 8252 §7.3 loopback ports)', () => {
  it.each([
    ['a trailing slash', 'https://app.example.test:8443/callback/?tenant=a'],
    ['another path case', 'https://app.example.test:8443/Callback?tenant=a'],
    ['another host case', 'https://APP.example.test:8443/callback?tenant=a'],
    ['an extra query parameter', 'https://app.example.test:8443/callback?tenant=a&x=1'],
    ['another query value', 'https://app.example.test:8443/callback?tenant=b'],
    ['no query', 'https://app.example.test:8443/callback'],
    ['userinfo', 'https://user@app.example.test:8443/callback?tenant=a'],
    ['userinfo that hides another host', 'https://app.example.test:8443@evil.example/callback?tenant=a'],
    ['another host', 'https://evil.example:8443/callback?tenant=a'],
    ['a sub-domain', 'https://app.example.test.evil.example:8443/callback?tenant=a'],
    ['another port', 'https://app.example.test:9443/callback?tenant=a'],
    ['the default port', 'https://app.example.test/callback?tenant=a'],
    ['http instead of https', 'http://app.example.test:8443/callback?tenant=a'],
    ['a fragment', 'https://app.example.test:8443/callback?tenant=a#x'],
    ['percent-encoding', 'https://app.example.test:8443/%63allback?tenant=a'],
    ['a path traversal', 'https://app.example.test:8443/callback/../callback?tenant=a'],
    ['a loopback URI for a non-loopback registration', 'http://127.0.0.1:8443/callback?tenant=a'],
  ])('never redirects to a near miss: %s', async (_name, uri) => {
    const t = await serverWith([REGISTERED]);
    await expectNotRedirected(t.server, authorizeRequest(params(uri)));
  });

  it('redirects to the exact registered URI', async () => {
    const t = await serverWith([REGISTERED]);
    const location = await authorize(t, params(REGISTERED));
    expect(location.href.startsWith(`${REGISTERED}&code=`)).toBe(true);
    expect(location.searchParams.get('iss')).toBe(ISSUER);
  });

  it.each([
    [LOOPBACK, 'http://127.0.0.1:50123/cb'],
    [LOOPBACK, 'http://127.0.0.1/cb'],
    [LOOPBACK6, 'http://[::1]:61000/cb'],
    [LOOPBACK6, 'http://[::1]/cb'],
  ])('lets a loopback redirect URI %s vary its port: %s (RFC 8252 §7.3)', async (registered, requested) => {
    const t = await serverWith([registered]);
    const location = await authorize(t, params(requested));
    expect(location.href.startsWith(`${requested}?code=`)).toBe(true);
  });

  it.each([
    ['another path', 'http://127.0.0.1:50123/other'],
    ['a trailing slash', 'http://127.0.0.1:50123/cb/'],
    ['another loopback address', 'http://127.0.0.2:50123/cb'],
    ['the other IP version', 'http://[::1]:50123/cb'],
    ['localhost (RFC 8252 §8.3)', 'http://localhost:50123/cb'],
    ['https', 'https://127.0.0.1:50123/cb'],
    ['userinfo after the port', 'http://127.0.0.1:50123@evil.example/cb'],
    ['a host that starts like the loopback', 'http://127.0.0.1.evil.example/cb'],
    ['a fragment', 'http://127.0.0.1:50123/cb#x'],
  ])('still matches everything but the port of a loopback URI: not %s', (_name, requested) => {
    expect(matchRedirectUri(LOOPBACK, requested)).toBe(false);
  });
});
