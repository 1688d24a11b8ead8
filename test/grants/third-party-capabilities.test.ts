import { describe, expect, it } from 'vitest';
// A grant written outside src/, with only what the package root exports.
import {
  ClientCredentialsGrant,
  DeviceCodeGrant,
  RefreshTokenGrant,
  holdsRefreshTokens,
  isDeviceAuthorizationGrant,
  issueTokens,
  refreshIssueFor,
  resolveScopes,
  type Client,
  type DeviceAuthorizationDecision,
  type DeviceAuthorizationGrant,
  type DeviceAuthorizationResponseBody,
  type Grant,
  type RefreshTokenHolder,
  type RefreshTokenRepository,
  type ServerContext,
  type TokenRequest,
  type TokenResponseBody,
} from '../../src/index.js';
import { createMemoryStorage } from '../../src/storage/memory/index.js';
import { CLIENT_SECRET, ISSUER, basic, confidentialClient, serverOn, testClock, tokenRequest } from '../support/fixtures.js';
import { USER } from './helpers.js';

const LICENCE_GRANT = 'urn:example:grant';
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const APP = { authorization: basic('app', CLIENT_SECRET) };

/** A custom grant type that issues tokens, with refresh tokens kept in its own repository. */
class LicenceGrant implements Grant, RefreshTokenHolder {
  readonly grantType = LICENCE_GRANT;
  readonly allowsPublicClients = false;
  constructor(readonly refreshTokens: RefreshTokenRepository) {}

  async respondToAccessTokenRequest(req: TokenRequest): Promise<TokenResponseBody> {
    const { server, params } = req;
    const { client } = req.client;
    if (params.get('licence') !== 'valid-licence') throw new TypeError('test grant: bad licence');
    const scopes = await resolveScopes({ server, client, grantType: this.grantType, userId: undefined, requested: params.get('scope') });
    return issueTokens(
      { server, client, accessTokenTTL: req.accessTokenTTL },
      { userId: undefined, scopes, grantType: this.grantType, refresh: refreshIssueFor(client, this.refreshTokens, { ttl: 86400, scopes }) },
    );
  }
}

/** The same grant keeping its repository private: it does not declare the capability. */
class SecretiveLicenceGrant implements Grant {
  readonly grantType = LICENCE_GRANT;
  readonly allowsPublicClients = false;
  readonly #inner: LicenceGrant;
  constructor(refreshTokens: RefreshTokenRepository) {
    this.#inner = new LicenceGrant(refreshTokens);
  }
  respondToAccessTokenRequest(req: TokenRequest): Promise<TokenResponseBody> {
    return this.#inner.respondToAccessTokenRequest(req);
  }
}

/** A device authorization grant of its own: delegates to DeviceCodeGrant and keeps an audit trail. */
class AuditedDeviceGrant implements DeviceAuthorizationGrant {
  readonly grantType = DEVICE_GRANT;
  readonly allowsPublicClients = true;
  readonly audit: string[] = [];
  constructor(private readonly inner: DeviceCodeGrant) {}
  respondToAccessTokenRequest(req: TokenRequest): Promise<TokenResponseBody> {
    this.audit.push(`poll ${req.client.client.id}`);
    return this.inner.respondToAccessTokenRequest(req);
  }
  startDeviceAuthorization(server: ServerContext, client: Client, scopes: readonly string[]): Promise<DeviceAuthorizationResponseBody> {
    this.audit.push(`start ${client.id} ${scopes.join(' ')}`);
    return this.inner.startDeviceAuthorization(server, client, scopes);
  }
  findDeviceAuthorization(server: ServerContext, userCode: string) {
    this.audit.push(`find ${userCode}`);
    return this.inner.findDeviceAuthorization(server, userCode);
  }
  completeDeviceAuthorization(server: ServerContext, userCode: string, decision: DeviceAuthorizationDecision): Promise<boolean> {
    this.audit.push(`complete ${userCode} ${decision.approved ? 'approved' : 'denied'}`);
    return this.inner.completeDeviceAuthorization(server, userCode, decision);
  }
}

/** A grant registered under the device grant type that lacks the device authorization capability. */
class PollOnlyDeviceGrant implements Grant {
  readonly grantType = DEVICE_GRANT;
  readonly allowsPublicClients = true;
  respondToAccessTokenRequest(): Promise<TokenResponseBody> {
    return Promise.reject(new TypeError('test grant: never polled'));
  }
}

/** A server with neither a `refreshTokens` option nor a RefreshTokenGrant; `app` may use the licence grant. */
async function setup(appGrantTypes = [LICENCE_GRANT, 'refresh_token']) {
  const clock = testClock();
  const storage = createMemoryStorage(
    {
      clients: [
        await confidentialClient({ grantTypes: appGrantTypes }),
        { id: 'tv', name: 'Living-room TV', redirectUris: [], grantTypes: [DEVICE_GRANT, 'refresh_token'], scopes: [] },
      ],
      scopes: ['read', 'write'],
      users: [{ id: USER.id, username: USER.username, password: 'wonderland' }],
    },
    { clock },
  );
  // The grant's own refresh token store, apart from the storage the server was given.
  const ownRefreshTokens = createMemoryStorage({}, { clock }).refreshTokens;
  return { clock, storage, ownRefreshTokens, server: serverOn(storage, clock) };
}

const form = (path: string, params: Record<string, string>, headers: Record<string, string> = APP) =>
  new Request(`${ISSUER}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(params).toString(),
  });

async function licenceTokens(server: Awaited<ReturnType<typeof setup>>['server']): Promise<TokenResponseBody> {
  const res = await server.handleTokenRequest(tokenRequest({ grant_type: LICENCE_GRANT, licence: 'valid-licence', scope: 'read' }, APP));
  expect(res.status).toBe(200);
  return (await res.json()) as TokenResponseBody;
}

async function introspect(server: Awaited<ReturnType<typeof setup>>['server'], token: string): Promise<Record<string, unknown>> {
  const res = await server.handleIntrospectionRequest(form('/introspect', { token, token_type_hint: 'refresh_token' }));
  expect(res.status).toBe(200);
  expect(res.headers.get('cache-control')).toBe('no-store');
  return (await res.json()) as Record<string, unknown>;
}

describe('a third-party grant that holds refresh tokens (RefreshTokenHolder)', () => {
  it('is recognised by holdsRefreshTokens, as RefreshTokenGrant is, and a grant hiding its repository is not', () => {
    const repository = createMemoryStorage({}).refreshTokens;
    expect(holdsRefreshTokens(new LicenceGrant(repository))).toBe(true);
    expect(holdsRefreshTokens(new RefreshTokenGrant(repository))).toBe(true);
    expect(holdsRefreshTokens(new SecretiveLicenceGrant(repository))).toBe(false);
    expect(holdsRefreshTokens(new ClientCredentialsGrant({ refreshTokens: repository }))).toBe(false);
  });

  it('lets introspection find its refresh tokens through the capability when the server has no refreshTokens option (RFC 7662 §2.2)', async () => {
    const t = await setup();
    t.server.enableGrantType(new LicenceGrant(t.ownRefreshTokens), 'PT1H');
    const body = await licenceTokens(t.server);
    expect(body.refresh_token).toEqual(expect.any(String));
    expect(await introspect(t.server, body.refresh_token!)).toMatchObject({ active: true, client_id: 'app', scope: 'read' });
  });

  it('lets revocation find and revoke its refresh tokens through the capability (RFC 7009 §2.1)', async () => {
    const t = await setup();
    t.server.enableGrantType(new LicenceGrant(t.ownRefreshTokens), 'PT1H');
    const body = await licenceTokens(t.server);
    const res = await t.server.handleRevocationRequest(form('/revoke', { token: body.refresh_token!, token_type_hint: 'refresh_token' }));
    expect(res.status).toBe(200);
    expect(await introspect(t.server, body.refresh_token!)).toEqual({ active: false });
    // RFC 7009 §2.1: revoking a refresh token also invalidates the access tokens of the same grant.
    const access = await t.server.handleIntrospectionRequest(form('/introspect', { token: body.access_token }));
    expect(await access.json()).toEqual({ active: false });
  });

  it('keeps the refresh tokens of a grant without the capability out of reach: introspection answers inactive', async () => {
    const t = await setup();
    t.server.enableGrantType(new SecretiveLicenceGrant(t.ownRefreshTokens), 'PT1H');
    const body = await licenceTokens(t.server);
    expect(body.refresh_token).toEqual(expect.any(String));
    expect(await introspect(t.server, body.refresh_token!)).toEqual({ active: false });
  });

  it('issues no refresh token to a client not registered for refresh_token (refreshIssueFor, the one rule)', async () => {
    const t = await setup([LICENCE_GRANT]);
    t.server.enableGrantType(new LicenceGrant(t.ownRefreshTokens), 'PT1H');
    const body = await licenceTokens(t.server);
    expect(body.access_token).toEqual(expect.any(String));
    expect(body).not.toHaveProperty('refresh_token');
  });
});

describe('a third-party device authorization grant (DeviceAuthorizationGrant, RFC 8628)', () => {
  async function deviceSetup() {
    const t = await setup();
    const grant = new AuditedDeviceGrant(new DeviceCodeGrant(t.storage.deviceCodes, { refreshTokens: t.ownRefreshTokens }));
    t.server.enableGrantType(grant, 'PT1H');
    return { ...t, grant };
  }

  it('is recognised by isDeviceAuthorizationGrant, as DeviceCodeGrant is', async () => {
    const t = await deviceSetup();
    expect(isDeviceAuthorizationGrant(t.grant)).toBe(true);
    expect(isDeviceAuthorizationGrant(new DeviceCodeGrant(t.storage.deviceCodes))).toBe(true);
    expect(isDeviceAuthorizationGrant(new PollOnlyDeviceGrant())).toBe(false);
  });

  it('serves the device endpoint, the verification page calls and the polling through the capability (RFC 8628 §3.1-§3.5)', async () => {
    const t = await deviceSetup();
    const started = await t.server.handleDeviceAuthorizationRequest(form('/device_authorization', { client_id: 'tv', scope: 'read' }, {}));
    expect(started.status).toBe(200);
    expect(started.headers.get('cache-control')).toBe('no-store');
    const body = (await started.json()) as DeviceAuthorizationResponseBody;
    expect(body).toMatchObject({ verification_uri: `${ISSUER}/device`, expires_in: 600, interval: 5 });

    const pending = await t.server.findDeviceAuthorization(body.user_code.toLowerCase());
    expect(pending).toMatchObject({ userCode: body.user_code, clientId: 'tv', clientName: 'Living-room TV', scopes: ['read'] });
    expect(await t.server.completeDeviceAuthorization(body.user_code, { user: { id: USER.id, username: USER.username }, approved: true })).toBe(true);

    const res = await t.server.handleTokenRequest(tokenRequest({ grant_type: DEVICE_GRANT, device_code: body.device_code, client_id: 'tv' }));
    expect(res.status).toBe(200);
    const tokens = (await res.json()) as TokenResponseBody;
    expect(tokens).toMatchObject({ token_type: 'Bearer', scope: 'read', refresh_token: expect.any(String) });
    expect(t.grant.audit).toEqual([
      'start tv read',
      `find ${body.user_code.toLowerCase()}`,
      `complete ${body.user_code} approved`,
      'poll tv',
    ]);
  });

  it('answers a denial through the capability with access_denied at the next poll (RFC 8628 §3.5)', async () => {
    const t = await deviceSetup();
    const started = await t.server.handleDeviceAuthorizationRequest(form('/device_authorization', { client_id: 'tv' }, {}));
    const body = (await started.json()) as DeviceAuthorizationResponseBody;
    expect(await t.server.completeDeviceAuthorization(body.user_code, { user: undefined, approved: false })).toBe(true);
    const res = await t.server.handleTokenRequest(tokenRequest({ grant_type: DEVICE_GRANT, device_code: body.device_code, client_id: 'tv' }));
    expect(res.status).toBe(400);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(((await res.json()) as { error: string }).error).toBe('access_denied');
  });

  it('answers unsupported_grant_type when the device grant type is served by a grant without the capability', async () => {
    const t = await setup();
    t.server.enableGrantType(new PollOnlyDeviceGrant(), 'PT1H');
    const res = await t.server.handleDeviceAuthorizationRequest(form('/device_authorization', { client_id: 'tv' }, {}));
    expect(res.status).toBe(400);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(((await res.json()) as { error: string }).error).toBe('unsupported_grant_type');
    await expect(t.server.findDeviceAuthorization('WDJB-MJHT')).rejects.toThrow(TypeError);
  });
});
