// oidc-provider (panva), configured after its documentation: client credentials and introspection features on, the
// default in-memory adapter, one confidential client. `format: opaque` keeps its default opaque access tokens;
// `format: jwt` makes a resource server (RFC 8707 resource indicator, the default resource) take RS256 JWT access
// tokens, which its resource servers then verify with jose, as its docs show.
import express from 'express';
import { jwtVerify } from 'jose';
import Provider from 'oidc-provider';
import { AUDIENCE, CLIENT_ID, CLIENT_SECRET, ISSUER, loadKeys } from '../lib/shared.mjs';

/**
 * An unbounded in-memory adapter (the adapter interface of oidc-provider's docs). Its bundled development adapter
 * is an LRU of 1000 entries, which evicts the refresh-token pool of W2 before it is used.
 */
function mapAdapterFactory() {
  const store = new Map();
  const grants = new Map();
  return class MapAdapter {
    constructor(model) {
      this.model = model;
    }
    key(id) {
      return `${this.model}:${id}`;
    }
    async upsert(id, payload, expiresIn) {
      const key = this.key(id);
      store.set(key, { payload, expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : Infinity });
      if (payload.grantId) {
        let set = grants.get(payload.grantId);
        if (!set) grants.set(payload.grantId, (set = new Set()));
        set.add(key);
      }
    }
    async find(id) {
      const entry = store.get(this.key(id));
      if (!entry) return undefined;
      if (entry.expiresAt <= Date.now()) {
        store.delete(this.key(id));
        return undefined;
      }
      return entry.payload;
    }
    async findByUserCode() {
      return undefined;
    }
    async findByUid() {
      return undefined;
    }
    async consume(id) {
      const entry = store.get(this.key(id));
      if (entry) entry.payload.consumed = Math.floor(Date.now() / 1000);
    }
    async destroy(id) {
      store.delete(this.key(id));
    }
    async revokeByGrantId(grantId) {
      for (const key of grants.get(grantId) ?? []) store.delete(key);
      grants.delete(grantId);
    }
  };
}

export async function create(spec) {
  const jwt = spec.format === 'jwt';
  const keys = loadKeys(spec.keysDir, 'RS256');
  const jwk = { ...keys.privateKey.export({ format: 'jwk' }), kid: 'bench-rs256', alg: 'RS256', use: 'sig' };
  const provider = new Provider(ISSUER, {
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        grant_types: ['client_credentials', 'refresh_token', 'authorization_code'],
        redirect_uris: ['http://127.0.0.1/callback'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
        scope: 'openid offline_access read write',
      },
    ],
    jwks: { keys: [jwk] },
    scopes: ['openid', 'offline_access', 'read', 'write'],
    cookies: { keys: ['bench-cookie-signing-key-0123456789'] },
    findAccount: async (_ctx, id) => ({ accountId: id, claims: async () => ({ sub: id }) }),
    adapter: mapAdapterFactory(),
    routes: { token: '/token', introspection: '/introspect' },
    ttl: { AccessToken: 3600, ClientCredentials: 3600, RefreshToken: 30 * 86400, Grant: 30 * 86400 },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      resourceIndicators: jwt
        ? {
            enabled: true,
            defaultResource: () => AUDIENCE,
            useGrantedResource: () => true,
            getResourceServerInfo: () => ({ scope: 'read write', audience: AUDIENCE, accessTokenTTL: 3600, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } } }),
          }
        : { enabled: false },
    },
  });
  // No console noise from expected errors (the corrupted-token checks).
  provider.on('server_error', (_ctx, error) => console.error('oidc-provider server_error', error));
  const callback = provider.callback();

  // The resource server: opaque tokens are looked up in the provider's store; JWTs are verified with jose.
  const validate = async (authorization) => {
    const token = authorization?.startsWith('Bearer ') ? authorization.slice(7) : undefined;
    if (!token) return undefined;
    if (jwt) {
      try {
        const { payload } = await jwtVerify(token, keys.publicKey, { issuer: ISSUER, audience: AUDIENCE, algorithms: ['RS256'], typ: 'at+jwt' });
        return payload;
      } catch {
        return undefined;
      }
    }
    const at = (await provider.ClientCredentials.find(token)) ?? (await provider.AccessToken.find(token));
    return at && !at.isExpired ? { sub: at.accountId ?? at.clientId, scope: at.scope } : undefined;
  };
  const resource = async (req, res) => {
    const claims = await validate(req.headers.authorization);
    if (!claims) {
      res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer error="invalid_token"' });
      return void res.end('{"error":"invalid_token"}');
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ sub: claims.sub, scope: claims.scope }));
  };

  let requestListener;
  if (spec.framework === 'express') {
    const app = express();
    app.disable('x-powered-by');
    app.disable('etag');
    app.get('/resource', resource);
    app.use(callback);
    requestListener = app;
  } else {
    requestListener = (req, res) => (req.method === 'GET' && req.url === '/resource' ? resource(req, res) : callback(req, res));
  }

  const client = await provider.Client.find(CLIENT_ID);
  /** A grant and refresh token as an authorization code exchange with `offline_access` would leave them. */
  const mintRefreshToken = async () => {
    const grant = new provider.Grant({ accountId: 'user-1', clientId: CLIENT_ID });
    grant.addOIDCScope(jwt ? 'offline_access' : 'offline_access read write');
    if (jwt) grant.addResourceScope(AUDIENCE, 'read write');
    const grantId = await grant.save();
    const rt = new provider.RefreshToken({
      accountId: 'user-1',
      client,
      grantId,
      gty: 'authorization_code',
      scope: jwt ? 'offline_access read write' : 'offline_access read write',
      ...(jwt ? { resource: AUDIENCE } : {}),
    });
    return rt.save();
  };
  return {
    requestListener,
    format: jwt ? 'jwt' : 'opaque',
    // Its introspection endpoint refuses JWT access tokens ("Structured JWT Tokens cannot be introspected").
    workloads: jwt ? ['W1', 'W2', 'W3'] : ['W1', 'W2', 'W3', 'W4'],
    notes: jwt ? 'introspection refuses JWT access tokens' : undefined,
    async mintRefresh(n) {
      const out = [];
      for (let i = 0; i < n; i++) out.push(await mintRefreshToken());
      return out;
    },
    // A client-credentials access token as the provider's own grant would save it.
    async mintAccess() {
      const token = new provider.ClientCredentials({ client, scope: 'read write' });
      if (jwt) token.resourceServer = new provider.ResourceServer(AUDIENCE, { scope: 'read write', audience: AUDIENCE, accessTokenTTL: 3600, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } } });
      return token.save();
    },
  };
}
