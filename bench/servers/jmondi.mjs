// @jmondi/oauth2-server (the TypeScript port of thephpleague/oauth2-server) with in-memory repositories as in its
// documentation. It signs with a KeyObject through a JwtInterface set to RS256 (a string secret would make
// jsonwebtoken re-parse the key on every call); refresh tokens are its default signed JWTs.
import { randomBytes } from 'node:crypto';
import express from 'express';
import jwt from 'jsonwebtoken';
import { AuthorizationServer, DateInterval, OAuthRequest } from '@jmondi/oauth2-server';
import { handleExpressError, handleExpressResponse, requestFromExpress } from '@jmondi/oauth2-server/express';
import { CLIENT_ID, CLIENT_SECRET, ISSUER, JSON_NO_STORE, loadKeys, readBody } from '../lib/shared.mjs';

/** A JwtInterface over jsonwebtoken with KeyObjects, in the style of the library's JwtService. */
class KeyObjectJwtService {
  constructor(privateKey, publicKey, algorithm) {
    this.privateKey = privateKey;
    this.publicKey = publicKey;
    this.algorithm = algorithm;
  }
  verify(token, options = {}) {
    return new Promise((resolve, reject) => {
      jwt.verify(token, this.publicKey, { ...options, algorithms: [this.algorithm] }, (err, decoded) => (decoded ? resolve(decoded) : reject(err)));
    });
  }
  decode(token) {
    return jwt.decode(token);
  }
  sign(payload) {
    return new Promise((resolve, reject) => {
      jwt.sign(payload, this.privateKey, { algorithm: this.algorithm }, (err, encoded) => (encoded ? resolve(encoded) : reject(err)));
    });
  }
}

function memoryRepositories() {
  const scopes = [{ name: 'read' }, { name: 'write' }];
  const client = { id: CLIENT_ID, name: 'Benchmark client', secret: CLIENT_SECRET, redirectUris: [], allowedGrants: ['client_credentials', 'refresh_token'], scopes };
  const byAccess = new Map();
  const byRefresh = new Map();
  const clientRepository = {
    async getByIdentifier(id) {
      if (id !== client.id) throw new Error('client not found');
      return client;
    },
    async isClientValid(grantType, c, secret) {
      if (c.secret && c.secret !== secret) return false;
      return c.allowedGrants.includes(grantType);
    },
  };
  const scopeRepository = {
    async getAllByIdentifiers(names) {
      return scopes.filter((s) => names.includes(s.name));
    },
    async finalize(requested) {
      return requested;
    },
  };
  const tokenRepository = {
    async issueToken(c, s, user) {
      return { accessToken: randomBytes(32).toString('hex'), accessTokenExpiresAt: new Date(Date.now() + 3600_000), refreshToken: null, refreshTokenExpiresAt: null, client: c, user, scopes: s };
    },
    async issueRefreshToken(token) {
      token.refreshToken = randomBytes(32).toString('hex');
      token.refreshTokenExpiresAt = new Date(Date.now() + 30 * 86400_000);
      byRefresh.set(token.refreshToken, token);
      return token;
    },
    async persist(token) {
      byAccess.set(token.accessToken, token);
      if (token.refreshToken) byRefresh.set(token.refreshToken, token);
    },
    async revoke(token) {
      token.accessTokenExpiresAt = new Date(0);
      token.refreshTokenExpiresAt = new Date(0);
    },
    async isRefreshTokenRevoked(token) {
      return Date.now() > (token.refreshTokenExpiresAt?.getTime() ?? 0);
    },
    async getByRefreshToken(id) {
      const token = byRefresh.get(id);
      if (!token) throw new Error('refresh token not found');
      return token;
    },
    async getByAccessToken(id) {
      const token = byAccess.get(id);
      if (!token) throw new Error('access token not found');
      return token;
    },
  };
  return { client, scopes, clientRepository, scopeRepository, tokenRepository };
}

export async function create(spec) {
  const keys = loadKeys(spec.keysDir, 'RS256');
  const repos = memoryRepositories();
  const jwtService = new KeyObjectJwtService(keys.privateKey, keys.publicKey, 'RS256');
  const server = new AuthorizationServer(repos.clientRepository, repos.tokenRepository, repos.scopeRepository, jwtService, { issuer: ISSUER });
  server.enableGrantType('client_credentials', new DateInterval('1h'));
  server.enableGrantType('refresh_token', new DateInterval('1h'));

  // A resource server of @jmondi verifies the JWT with the same service (signature, exp, nbf).
  const validate = async (authorization) => {
    const token = authorization?.startsWith('Bearer ') ? authorization.slice(7) : undefined;
    if (!token) throw new Error('missing');
    return jwtService.verify(token);
  };

  let requestListener;
  if (spec.framework === 'express') {
    const app = express();
    app.disable('x-powered-by');
    app.disable('etag');
    app.use(express.urlencoded({ extended: false }));
    app.post('/token', async (req, res) => {
      try {
        handleExpressResponse(res, await server.respondToAccessTokenRequest(requestFromExpress(req)));
      } catch (e) {
        handleExpressError(e, res);
      }
    });
    app.post('/introspect', async (req, res) => {
      try {
        handleExpressResponse(res, await server.introspect(requestFromExpress(req)));
      } catch (e) {
        handleExpressError(e, res);
      }
    });
    app.get('/resource', async (req, res) => {
      try {
        const claims = await validate(req.headers.authorization);
        res.json({ sub: claims.sub, scope: claims.scope });
      } catch {
        res.status(401).set('www-authenticate', 'Bearer error="invalid_token"').json({ error: 'invalid_token' });
      }
    });
    requestListener = app;
  } else {
    requestListener = async (req, res) => {
      const send = (status, headers, body) => {
        res.writeHead(status, { ...headers, 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      try {
        if (req.method === 'GET' && req.url === '/resource') {
          try {
            const claims = await validate(req.headers.authorization);
            return send(200, {}, { sub: claims.sub, scope: claims.scope });
          } catch {
            return send(401, { 'www-authenticate': 'Bearer error="invalid_token"' }, { error: 'invalid_token' });
          }
        }
        const body = Object.fromEntries(new URLSearchParams((await readBody(req)).toString()));
        const request = new OAuthRequest({ headers: req.headers, body, query: {} });
        if (req.method === 'POST' && req.url === '/token') {
          const r = await server.respondToAccessTokenRequest(request);
          return send(r.status, r.headers, r.body);
        }
        if (req.method === 'POST' && req.url === '/introspect') {
          const r = await server.introspect(request);
          return send(r.status, r.headers, r.body);
        }
        send(404, JSON_NO_STORE, { error: 'not_found' });
      } catch (e) {
        // As the library's own handleExpressError answers.
        if (e?.errorType) send(e.status, {}, { status: e.status, message: e.message, error: e.errorType, error_description: e.errorDescription ?? e.error });
        else send(500, {}, { error: 'server_error' });
      }
    };
  }

  const user = { id: 'user-1' };
  const mint = async () => {
    const token = await repos.tokenRepository.issueToken(repos.client, repos.scopes, user);
    await repos.tokenRepository.issueRefreshToken(token, repos.client);
    await repos.tokenRepository.persist(token);
    return token;
  };
  return {
    requestListener,
    format: 'jwt',
    workloads: ['W1', 'W2', 'W3', 'W4'],
    // Refresh tokens as the library's encryptRefreshToken() makes them: a JWT naming the stored token.
    async mintRefresh(n) {
      const out = [];
      for (let i = 0; i < n; i++) {
        const token = await mint();
        out.push(
          await jwtService.sign({
            client_id: CLIENT_ID,
            access_token_id: token.accessToken,
            refresh_token_id: token.refreshToken,
            scope: 'read write',
            user_id: user.id,
            expire_time: Math.ceil(token.refreshTokenExpiresAt.getTime() / 1000),
          }),
        );
      }
      return out;
    },
    // An access token as the library's encryptAccessToken() makes it.
    async mintAccess() {
      const token = await mint();
      const now = Math.floor(Date.now() / 1000);
      return jwtService.sign({ iss: ISSUER, cid: CLIENT_ID, scope: 'read write', sub: user.id, exp: now + 3600, nbf: now, iat: now, jti: token.accessToken });
    },
  };
}
