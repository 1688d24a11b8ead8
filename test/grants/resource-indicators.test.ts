import { describe, expect, it } from 'vitest';
import type { AuthorizationRequest } from '../../src/contracts/authorization-request.js';
import type { Client } from '../../src/contracts/types.js';
import { AuthorizationCodeGrant } from '../../src/grants/authorization-code-grant.js';
import { ClientCredentialsGrant } from '../../src/grants/client-credentials-grant.js';
import { DeviceCodeGrant, type DeviceAuthorizationResponseBody } from '../../src/grants/device-code-grant.js';
import { ImplicitGrant } from '../../src/grants/implicit-grant.js';
import { PasswordGrant } from '../../src/grants/password-grant.js';
import { RefreshTokenGrant } from '../../src/grants/refresh-token-grant.js';
import { createMemoryStorage } from '../../src/storage/memory/index.js';
import { CLIENT_SECRET, ISSUER, basic, confidentialClient, serverOn, testClock } from '../support/fixtures.js';
import { CHALLENGE, USER, VERIFIER } from './helpers.js';

const API = 'https://api.example.test';
const MCP = 'https://mcp.example.test/mcp';
const OPEN = 'urn:example:open-resource';
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const REDIRECT = 'https://app.example.test/callback';
const APP = { authorization: basic('app', CLIENT_SECRET) };
const LIMITED = { authorization: basic('limited', CLIENT_SECRET) };

/** A server with every grant and three resources: API (read, write), MCP (tools; 5-minute tokens), OPEN (any scope). */
async function setup(options: { withResources?: boolean } = {}) {
  const clock = testClock();
  const grantTypes = ['authorization_code', 'refresh_token', 'client_credentials', 'password', 'implicit', DEVICE_GRANT];
  const clients: Client[] = [
    await confidentialClient({ grantTypes }),
    await confidentialClient({ id: 'limited', name: 'Limited', grantTypes, resources: [API] }),
  ];
  const storage = createMemoryStorage(
    {
      clients,
      scopes: ['read', 'write', 'tools'],
      users: [{ id: USER.id, username: 'alice', password: 'wonderland' }],
      resources: [
        { id: API, scopes: ['read', 'write'] },
        { id: MCP, name: 'MCP server', scopes: ['tools'], accessTokenTTL: 300 },
        { id: OPEN, scopes: [] },
      ],
    },
    { clock },
  );
  const server = serverOn(storage, clock, {
    refreshTokens: storage.refreshTokens,
    ...(options.withResources === false ? {} : { resources: storage.resources }),
  });
  server.enableGrantType(new RefreshTokenGrant(storage.refreshTokens), 'PT1H');
  server.enableGrantType(new AuthorizationCodeGrant(storage.authCodes, { refreshTokens: storage.refreshTokens }), 'PT1H');
  server.enableGrantType(new ClientCredentialsGrant({ refreshTokens: storage.refreshTokens }), 'PT1H');
  server.enableGrantType(new PasswordGrant(storage.users, { refreshTokens: storage.refreshTokens }), 'PT1H');
  server.enableGrantType(new DeviceCodeGrant(storage.deviceCodes, { refreshTokens: storage.refreshTokens }), 'PT1H');
  server.enableGrantType(new ImplicitGrant(), 'PT1H');
  return { server, storage, clock };
}
type Setup = Awaited<ReturnType<typeof setup>>;

/** A form POST; `resource` may be repeated (RFC 8707 §2). */
function post(path: string, params: [string, string][], headers: Record<string, string> = APP): Request {
  return new Request(`${ISSUER}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(params).toString(),
  });
}

const resources = (...ids: string[]): [string, string][] => ids.map((id) => ['resource', id]);

interface TokenBody {
  access_token: string;
  refresh_token?: string;
  scope?: string;
  expires_in: number;
  error?: string;
}

async function token(t: Setup, params: [string, string][], headers = APP): Promise<{ status: number; body: TokenBody; res: Response }> {
  const res = await t.server.handleTokenRequest(post('/token', params, headers));
  return { status: res.status, body: (await res.json()) as TokenBody, res };
}

const claims = (jwt: string): Record<string, unknown> => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;

async function expectError(t: Setup, params: [string, string][], code: string, headers = APP): Promise<void> {
  const { status, body, res } = await token(t, params, headers);
  expect(body.error).toBe(code);
  expect(status).toBe(400);
  expect(res.headers.get('cache-control')).toBe('no-store');
}

/** Both authorize steps as an approving user; the code. */
async function obtainCode(t: Setup, extra: [string, string][], clientId = 'app'): Promise<string> {
  const location = await authorize(t, extra, clientId);
  const code = location.searchParams.get('code');
  if (!code) throw new Error(`no code in ${location.href}`);
  return code;
}

async function authorize(t: Setup, extra: [string, string][], clientId = 'app', responseType = 'code'): Promise<URL> {
  const query = new URLSearchParams([
    ['response_type', responseType],
    ['client_id', clientId],
    ['redirect_uri', REDIRECT],
    ['state', 's'],
    ...(responseType === 'code' ? [['code_challenge', CHALLENGE], ['code_challenge_method', 'S256']] : []),
    ...extra,
  ] as [string, string][]);
  let authRequest: AuthorizationRequest;
  try {
    authRequest = await t.server.validateAuthorizationRequest(new Request(`${ISSUER}/authorize?${query.toString()}`));
  } catch (error) {
    const res = await t.server.errorResponse(error);
    return new URL(res.headers.get('location') ?? 'about:blank');
  }
  const restored = JSON.parse(JSON.stringify(authRequest)) as AuthorizationRequest;
  const res = await t.server.completeAuthorizationRequest(restored, { user: USER, approved: true });
  const location = res.headers.get('location')!;
  return new URL(location.replace('#', '?'));
}

const exchange = (code: string, extra: [string, string][] = []): [string, string][] => [
  ['grant_type', 'authorization_code'],
  ['code', code],
  ['redirect_uri', REDIRECT],
  ['code_verifier', VERIFIER],
  ...extra,
];
const refresh = (refreshToken: string, extra: [string, string][] = []): [string, string][] => [
  ['grant_type', 'refresh_token'],
  ['refresh_token', refreshToken],
  ...extra,
];

describe('resource indicators at the token endpoint (RFC 8707 §2.2)', () => {
  it('makes the requested resource the audience of the access token (RFC 8707 §2, RFC 9068 §2.2 aud)', async () => {
    const t = await setup();
    const { status, body } = await token(t, [['grant_type', 'client_credentials'], ['scope', 'read'], ...resources(API)]);
    expect(status).toBe(200);
    expect(claims(body.access_token).aud).toBe(API);
    expect(body.scope).toBe('read');
  });

  it('makes the audience a list when several resources are requested', async () => {
    const t = await setup();
    const { body } = await token(t, [['grant_type', 'client_credentials'], ['scope', 'read tools'], ...resources(API, MCP)]);
    expect(claims(body.access_token).aud).toEqual([API, MCP]);
    expect(body.scope).toBe('read tools');
  });

  it('keeps the default audience (the issuer) for a request that names no resource', async () => {
    const t = await setup();
    const { body } = await token(t, [['grant_type', 'client_credentials'], ['scope', 'read']]);
    expect(claims(body.access_token).aud).toBe(ISSUER);
  });

  it('uses the access-token lifetime registered for the resource', async () => {
    const t = await setup();
    const { body } = await token(t, [['grant_type', 'client_credentials'], ['scope', 'tools'], ...resources(MCP)]);
    expect(body.expires_in).toBe(300);
    const c = claims(body.access_token);
    expect((c.exp as number) - (c.iat as number)).toBe(300);
  });

  it.each([
    ['a relative URI', '/mcp'],
    ['a URI with a fragment', `${API}/#part`],
    ['a resource the server does not know', 'https://unknown.example.test'],
  ])('refuses %s with invalid_target (RFC 8707 §2)', async (_name, resource) => {
    const t = await setup();
    await expectError(t, [['grant_type', 'client_credentials'], ...resources(resource)], 'invalid_target');
  });

  it('refuses a resource the client is not allowed to use with invalid_target', async () => {
    const t = await setup();
    await expectError(t, [['grant_type', 'client_credentials'], ...resources(MCP)], 'invalid_target', LIMITED);
    // The one it may use is fine.
    expect((await token(t, [['grant_type', 'client_credentials'], ...resources(API)], LIMITED)).status).toBe(200);
  });

  it('reports the resource as aud at the introspection endpoint (RFC 7662 §2.2)', async () => {
    const t = await setup();
    const { body } = await token(t, [['grant_type', 'client_credentials'], ['scope', 'tools'], ...resources(MCP)]);
    const res = await t.server.handleIntrospectionRequest(post('/introspect', [['token', body.access_token]]));
    expect(await res.json()).toMatchObject({ active: true, aud: MCP, scope: 'tools' });
  });

  it('lists the registered resources in the metadata (RFC 9728 §4 protected_resources)', async () => {
    const t = await setup();
    expect((await t.server.metadata()).protected_resources).toEqual([MCP, API, OPEN].sort());
    expect((await (await setup({ withResources: false })).server.metadata()).protected_resources).toBeUndefined();
  });

  it('refuses every resource when the server has no resource repository', async () => {
    const t = await setup({ withResources: false });
    await expectError(t, [['grant_type', 'client_credentials'], ...resources(API)], 'invalid_target');
  });

  it('refuses a requested scope that applies to none of the resources with invalid_scope (per-resource scopes)', async () => {
    const t = await setup();
    await expectError(t, [['grant_type', 'client_credentials'], ['scope', 'read'], ...resources(MCP)], 'invalid_scope');
  });

  it('lets a resource without scopes of its own carry any scope', async () => {
    const t = await setup();
    const { body } = await token(t, [['grant_type', 'client_credentials'], ['scope', 'read tools'], ...resources(OPEN)]);
    expect(body.scope).toBe('read tools');
    expect(claims(body.access_token).aud).toBe(OPEN);
  });

  it('binds password-grant tokens to the resource and checks it before the password', async () => {
    const t = await setup();
    const password: [string, string][] = [['grant_type', 'password'], ['username', 'alice'], ['password', 'wonderland'], ['scope', 'read']];
    const { body } = await token(t, [...password, ...resources(API)]);
    expect(claims(body.access_token).aud).toBe(API);
    await expectError(t, [['grant_type', 'password'], ['username', 'alice'], ['password', 'wrong'], ...resources('https://nope.example.test')], 'invalid_target');
  });
});

describe('resource indicators with the authorization code and refresh (RFC 8707 §2.1, §2.2)', () => {
  it('remembers the resources of the authorization in the code and in the refresh token', async () => {
    const t = await setup();
    const code = await obtainCode(t, [['scope', 'read tools'], ...resources(API, MCP)]);
    const { body } = await token(t, exchange(code));
    expect(claims(body.access_token).aud).toEqual([API, MCP]);
    expect(body.scope).toBe('read tools');
    const family = [...t.storage.refreshTokens.records.values()];
    expect(family[0]?.resources).toEqual([API, MCP]);
  });

  it('narrows to one resource on refresh, with its scopes and lifetime, and never widens', async () => {
    const t = await setup();
    const code = await obtainCode(t, [['scope', 'read tools'], ...resources(API, MCP)]);
    const first = (await token(t, exchange(code))).body;

    const narrowed = await token(t, refresh(first.refresh_token!, resources(MCP)));
    expect(narrowed.status).toBe(200);
    expect(claims(narrowed.body.access_token).aud).toBe(MCP);
    expect(narrowed.body.scope).toBe('tools');
    expect(narrowed.body.expires_in).toBe(300);

    // The new refresh token keeps the whole grant: both resources again, and every scope.
    const again = await token(t, refresh(narrowed.body.refresh_token!));
    expect(claims(again.body.access_token).aud).toEqual([API, MCP]);
    expect(again.body.scope).toBe('read tools');

    // A registered resource outside the grant is a widening: invalid_target, and the token is not spent.
    await expectError(t, refresh(again.body.refresh_token!, resources(OPEN)), 'invalid_target');
    const still = await token(t, refresh(again.body.refresh_token!, resources(API)));
    expect(still.status).toBe(200);
    expect(claims(still.body.access_token).aud).toBe(API);
    expect(still.body.scope).toBe('read');
  });

  it('refuses a narrowed scope that does not apply to the narrowed resource (invalid_scope)', async () => {
    const t = await setup();
    const code = await obtainCode(t, [['scope', 'read tools'], ...resources(API, MCP)]);
    const first = (await token(t, exchange(code))).body;
    await expectError(t, refresh(first.refresh_token!, [['scope', 'read'], ...resources(MCP)]), 'invalid_scope');
  });

  it('refuses a resource on refresh when the grant had none (no widening from the default audience)', async () => {
    const t = await setup();
    const code = await obtainCode(t, [['scope', 'read']]);
    const first = (await token(t, exchange(code))).body;
    expect(claims(first.access_token).aud).toBe(ISSUER);
    await expectError(t, refresh(first.refresh_token!, resources(API)), 'invalid_target');
  });

  it('narrows at the code exchange, and refuses a resource outside the code without spending it', async () => {
    const t = await setup();
    const code = await obtainCode(t, [['scope', 'read tools'], ...resources(API, MCP)]);
    await expectError(t, exchange(code, resources(OPEN)), 'invalid_target');
    const { body } = await token(t, exchange(code, resources(API)));
    expect(claims(body.access_token).aud).toBe(API);
    expect(body.scope).toBe('read');
  });

  it('answers a refresh for a resource the client lost since with invalid_target', async () => {
    const t = await setup();
    const code = await obtainCode(t, [['scope', 'read tools'], ...resources(API, MCP)]);
    const first = (await token(t, exchange(code))).body;
    await t.storage.admin.deleteResource(MCP);
    await expectError(t, refresh(first.refresh_token!), 'invalid_target');
    expect((await token(t, refresh(first.refresh_token!, resources(API)))).status).toBe(200);
  });
});

describe('resource indicators at the authorization endpoint (RFC 8707 §2.1)', () => {
  it('keeps the validated resources in the authorization request, for the consent page', async () => {
    const t = await setup();
    const query = new URLSearchParams([
      ['response_type', 'code'], ['client_id', 'app'], ['redirect_uri', REDIRECT], ['scope', 'tools'],
      ['code_challenge', CHALLENGE], ['code_challenge_method', 'S256'], ...resources(MCP),
    ]);
    const authRequest = await t.server.validateAuthorizationRequest(new Request(`${ISSUER}/authorize?${query.toString()}`));
    expect(authRequest.resources).toEqual([MCP]);
  });

  it.each([
    ['an unknown resource', 'app', 'https://unknown.example.test'],
    ['a resource the client may not use', 'limited', MCP],
    ['a relative resource', 'app', 'mcp'],
  ])('redirects %s back with error=invalid_target', async (_name, clientId, resource) => {
    const t = await setup();
    const location = await authorize(t, [['scope', 'read'], ...resources(resource)], clientId);
    expect(location.searchParams.get('error')).toBe('invalid_target');
    expect(location.searchParams.get('state')).toBe('s');
  });

  it('narrows the scopes shown for consent to those of the resource, and refuses one that applies to none', async () => {
    const t = await setup();
    const location = await authorize(t, [['scope', 'read tools'], ...resources(MCP)]);
    expect(location.searchParams.get('error')).toBe('invalid_scope');
  });

  it('binds an implicit token to the resource (RFC 8707 §2.1)', async () => {
    const t = await setup();
    const location = await authorize(t, [['scope', 'tools'], ...resources(MCP)], 'app', 'token');
    expect(claims(location.searchParams.get('access_token')!).aud).toBe(MCP);
    expect(location.searchParams.get('expires_in')).toBe('300');
  });
});

describe('resource indicators with the device authorization grant (RFC 8628, RFC 8707)', () => {
  it('keeps the resources of the device authorization and binds the token to them', async () => {
    const t = await setup();
    const res = await t.server.handleDeviceAuthorizationRequest(post('/device_authorization', [['scope', 'tools'], ...resources(MCP)]));
    expect(res.status).toBe(200);
    const started = (await res.json()) as DeviceAuthorizationResponseBody;
    const pending = await t.server.findDeviceAuthorization(started.user_code);
    expect(pending?.resources).toEqual([MCP]);
    await t.server.completeDeviceAuthorization(started.user_code, { approved: true, user: USER });
    const { body } = await token(t, [['grant_type', DEVICE_GRANT], ['device_code', started.device_code]]);
    expect(claims(body.access_token).aud).toBe(MCP);
    expect(body.scope).toBe('tools');
  });

  it('refuses an unknown resource at the device authorization endpoint with invalid_target', async () => {
    const t = await setup();
    const res = await t.server.handleDeviceAuthorizationRequest(post('/device_authorization', resources('https://unknown.example.test')));
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toBe('invalid_target');
  });
});
