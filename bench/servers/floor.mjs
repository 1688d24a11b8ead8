// The floor: what any OAuth server must at least do, and nothing more. Parse the form, sign a JWT with the same key
// and algorithm through synchronous node:crypto (or return a random opaque token); verify a bearer JWT and respond.
// No OAuth rules and no storage; client authentication (HTTP Basic, SHA-256 of the secret, constant-time compare)
// only at introspection (W4), whose floor the issue defines as parse form + check secret + verify token. The gap
// between a server and this is the server's own cost.
import { createHash, randomBytes, sign, timingSafeEqual, verify } from 'node:crypto';
import express from 'express';
import { AUDIENCE, CLIENT_ID, CLIENT_SECRET, ISSUER, JSON_NO_STORE, loadKeys, readBody } from '../lib/shared.mjs';

const SECRET_HASH = createHash('sha256').update(CLIENT_SECRET).digest();
/** HTTP Basic (RFC 6749 §2.3.1): the client id and the SHA-256 of the secret compared in constant time. */
function clientAuthenticated(authorization) {
  if (typeof authorization !== 'string' || !authorization.startsWith('Basic ')) return false;
  const decoded = Buffer.from(authorization.slice(6), 'base64').toString();
  const colon = decoded.indexOf(':');
  if (colon < 0 || decoded.slice(0, colon) !== CLIENT_ID) return false;
  return timingSafeEqual(createHash('sha256').update(decoded.slice(colon + 1)).digest(), SECRET_HASH);
}

export async function create(spec) {
  const opaque = spec.format === 'opaque';
  const keys = opaque ? undefined : loadKeys(spec.keysDir, spec.alg);
  const digest = spec.alg === 'EdDSA' ? null : 'sha256';
  const header = Buffer.from(JSON.stringify({ alg: spec.alg, typ: 'at+jwt', kid: 'floor' })).toString('base64url');

  const issue = (params) => {
    if (!params.get('grant_type')) return [400, { error: 'invalid_request' }];
    if (opaque) return [200, { access_token: randomBytes(32).toString('base64url'), token_type: 'Bearer', expires_in: 3600, scope: 'read write' }];
    const iat = Math.floor(Date.now() / 1000);
    const claims = { iss: ISSUER, sub: 'bench-client', aud: AUDIENCE, client_id: 'bench-client', scope: 'read write', iat, exp: iat + 3600, jti: randomBytes(16).toString('base64url') };
    const input = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
    const signature = sign(digest, Buffer.from(input), keys.privateKey).toString('base64url');
    return [200, { access_token: `${input}.${signature}`, token_type: 'Bearer', expires_in: 3600, scope: 'read write' }];
  };

  /** Verifies a JWT's signature and expiry: the least a resource server does. */
  const check = (token) => {
    if (typeof token !== 'string') return undefined;
    const parts = token.split('.');
    if (parts.length !== 3) return undefined;
    if (!verify(digest, Buffer.from(`${parts[0]}.${parts[1]}`), keys.publicKey, Buffer.from(parts[2], 'base64url'))) return undefined;
    const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString());
    return claims.exp * 1000 > Date.now() ? claims : undefined;
  };
  const bearer = (authorization) => (authorization?.startsWith('Bearer ') ? authorization.slice(7) : undefined);
  const introspect = (params, authorization) => {
    if (!clientAuthenticated(authorization)) return undefined;
    const claims = check(params.get('token'));
    return claims ? { active: true, ...claims, token_type: 'Bearer' } : { active: false };
  };

  let requestListener;
  if (spec.framework === 'express') {
    const app = express();
    app.disable('x-powered-by');
    app.disable('etag');
    const form = express.urlencoded({ extended: false });
    app.post('/token', form, (req, res) => {
      const [status, body] = issue(new Map(Object.entries(req.body ?? {})));
      res.status(status).set(JSON_NO_STORE).json(body);
    });
    app.get('/resource', (req, res) => {
      const claims = check(bearer(req.headers.authorization));
      if (!claims) return void res.status(401).set('www-authenticate', 'Bearer error="invalid_token"').json({ error: 'invalid_token' });
      res.json({ sub: claims.sub, scope: claims.scope });
    });
    app.post('/introspect', form, (req, res) => {
      const body = introspect(new Map(Object.entries(req.body ?? {})), req.headers.authorization);
      if (!body) return void res.status(401).set(JSON_NO_STORE).json({ error: 'invalid_client' });
      res.set(JSON_NO_STORE).json(body);
    });
    requestListener = app;
  } else {
    requestListener = async (req, res) => {
      const send = (status, body, headers = JSON_NO_STORE) => {
        res.writeHead(status, headers);
        res.end(JSON.stringify(body));
      };
      if (req.method === 'POST' && (req.url === '/token' || req.url === '/introspect')) {
        const params = new URLSearchParams((await readBody(req)).toString());
        if (req.url === '/token') return void send(...issue(params));
        const body = introspect(params, req.headers.authorization);
        return void (body ? send(200, body) : send(401, { error: 'invalid_client' }));
      }
      if (req.method === 'GET' && req.url === '/resource') {
        const claims = check(bearer(req.headers.authorization));
        if (!claims) return void send(401, { error: 'invalid_token' }, { 'content-type': 'application/json', 'www-authenticate': 'Bearer error="invalid_token"' });
        return void send(200, { sub: claims.sub, scope: claims.scope }, { 'content-type': 'application/json' });
      }
      send(404, { error: 'not_found' });
    };
  }

  return {
    requestListener,
    format: opaque ? 'opaque' : 'jwt',
    workloads: opaque ? ['W1', 'W2'] : ['W1', 'W2', 'W3', 'W4'],
    // The floor does not validate refresh tokens: any string will do.
    mintRefresh: (n) => Array.from({ length: n }, () => randomBytes(32).toString('base64url')),
    mintAccess: () => issue(new Map([['grant_type', 'client_credentials']]))[1].access_token,
    /** CPU µs of one signature of a W1 access token's signing input, measured in this process (the floor check). */
    signCostUs(n = 200) {
      if (opaque) return undefined;
      const iat = Math.floor(Date.now() / 1000);
      const claims = { iss: ISSUER, sub: 'bench-client', aud: AUDIENCE, client_id: 'bench-client', scope: 'read write', iat, exp: iat + 3600, jti: randomBytes(16).toString('base64url') };
      const input = Buffer.from(`${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`);
      for (let i = 0; i < 10; i++) sign(digest, input, keys.privateKey);
      const t0 = process.cpuUsage();
      for (let i = 0; i < n; i++) sign(digest, input, keys.privateKey);
      const d = process.cpuUsage(t0);
      return (d.user + d.system) / n;
    },
  };
}
