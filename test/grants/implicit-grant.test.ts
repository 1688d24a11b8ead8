import { describe, expect, it } from 'vitest';
import { ImplicitGrant } from '../../src/grants/implicit-grant.js';
import { ISSUER, createTestServer, tokenRequest } from '../support/fixtures.js';
import { USER, authorizeError, authorizeRequest } from './helpers.js';

const SPA_REDIRECT = 'http://127.0.0.1:3000/cb';

async function setup(enable = true) {
  const t = await createTestServer();
  if (enable) t.server.enableGrantType(new ImplicitGrant(), 'PT15M');
  const spa = (await t.storage.clients.getClient('spa'))!;
  t.storage.clients.clients.set('spa', { ...spa, grantTypes: [...spa.grantTypes, 'implicit'] });
  return t;
}

const tokenParams = (extra: Record<string, string> = {}) => ({
  response_type: 'token',
  client_id: 'spa',
  redirect_uri: SPA_REDIRECT,
  scope: 'read',
  state: 'st-1',
  ...extra,
});

const fragment = (location: string) => new URLSearchParams(new URL(location).hash.slice(1));

describe('implicit grant (RFC 6749 §4.2)', () => {
  it('returns the access token in the fragment, with state and iss, and no refresh token (RFC 6749 §4.2.2)', async () => {
    const t = await setup();
    const authRequest = await t.server.validateAuthorizationRequest(authorizeRequest(tokenParams()));
    const res = await t.server.completeAuthorizationRequest(authRequest, { user: USER, approved: true });
    expect(res.status).toBe(302);
    const location = res.headers.get('location')!;
    expect(location.startsWith(`${SPA_REDIRECT}#`)).toBe(true);
    expect(new URL(location).search).toBe('');
    const params = fragment(location);
    expect(params.get('access_token')).toMatch(/^ey/);
    expect(params.get('token_type')).toBe('Bearer');
    expect(params.get('expires_in')).toBe('900');
    expect(params.get('scope')).toBe('read');
    expect(params.get('state')).toBe('st-1');
    expect(params.get('iss')).toBe(ISSUER);
    expect(params.has('refresh_token')).toBe(false);
  });

  it('is off unless enabled: unsupported_response_type in the fragment (RFC 6749 §4.2.2.1)', async () => {
    const t = await setup(false);
    const { response } = await authorizeError(t, tokenParams());
    expect(fragment(response.headers.get('location')!).get('error')).toBe('unsupported_response_type');
  });

  it('redirects a denied consent with access_denied in the fragment (RFC 6749 §4.2.2.1)', async () => {
    const t = await setup();
    const authRequest = await t.server.validateAuthorizationRequest(authorizeRequest(tokenParams()));
    const res = await t.server.completeAuthorizationRequest(authRequest, { user: USER, approved: false });
    const params = fragment(res.headers.get('location')!);
    expect(params.get('error')).toBe('access_denied');
    expect(params.get('state')).toBe('st-1');
    expect(params.has('access_token')).toBe(false);
  });

  it('redirects a client not registered for implicit with unauthorized_client (RFC 6749 §4.2.2.1)', async () => {
    const t = await setup();
    const spa = (await t.storage.clients.getClient('spa'))!;
    t.storage.clients.clients.set('spa', { ...spa, grantTypes: ['authorization_code'] });
    const { response } = await authorizeError(t, tokenParams());
    expect(fragment(response.headers.get('location')!).get('error')).toBe('unauthorized_client');
  });

  it('redirects an unknown scope with invalid_scope (RFC 6749 §4.2.2.1)', async () => {
    const t = await setup();
    const { response } = await authorizeError(t, tokenParams({ scope: 'read everything' }));
    expect(fragment(response.headers.get('location')!).get('error')).toBe('invalid_scope');
  });

  it('never redirects to an unregistered redirect URI (RFC 6749 §4.2.2.1)', async () => {
    const t = await setup();
    const { response } = await authorizeError(t, tokenParams({ redirect_uri: 'https://evil.example/cb' }));
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
  });

  it('has no token endpoint grant: grant_type=implicit is unsupported_grant_type', async () => {
    const t = await setup();
    const res = await t.server.handleTokenRequest(tokenRequest({ grant_type: 'implicit', client_id: 'spa' }));
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toBe('unsupported_grant_type');
  });
});
