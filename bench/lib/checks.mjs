// Before a server is timed: it must return a valid token and reject a corrupted one, for every workload it runs.
import { verify } from 'node:crypto';
import { BASIC } from './shared.mjs';

/** Flips one character in the last segment (the signature of a JWT, the tag of a JWE, the middle of opaque). */
export function corrupt(token) {
  const start = token.lastIndexOf('.') + 1;
  let i = start + Math.floor((token.length - start) / 2);
  const c = token[i];
  return token.slice(0, i) + (c === 'A' ? 'B' : 'A') + token.slice(i + 1);
}

/** Verifies a JWT access token's signature with the benchmark's public key, its `alg`, and its expiry. */
export function verifyJwt(token, keys) {
  const parts = token.split('.');
  if (parts.length !== 3) return 'not a JWS';
  const header = JSON.parse(Buffer.from(parts[0], 'base64url').toString());
  if (header.alg !== keys.alg) return `alg ${header.alg}, expected ${keys.alg}`;
  const ok = verify(keys.alg === 'EdDSA' ? null : 'sha256', Buffer.from(`${parts[0]}.${parts[1]}`), keys.publicKey, Buffer.from(parts[2], 'base64url'));
  if (!ok) return 'bad signature';
  const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString());
  if (!(claims.exp * 1000 > Date.now())) return 'expired';
  return undefined;
}

const form = (body, authorization = BASIC) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded', authorization },
  body: new URLSearchParams(body).toString(),
});

async function call(port, path, init) {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, init);
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text };
}

/**
 * Runs the checks for one workload; throws with the reason when the server misbehaves. `server` is the started
 * child (its `call` mints tokens), `keys` the public key for JWT formats, `isFloor` skips what the floor omits.
 */
export async function checkWorkload(workload, { server, keys, isFloor }) {
  const { port, format } = server;
  const tokenOk = async (token) => {
    if (typeof token !== 'string' || token.length < 16) return `no usable token (${String(token)})`;
    if (format === 'jwt') return verifyJwt(token, keys);
    return undefined;
  };
  const expect = (cond, what) => {
    if (!cond) throw new Error(`check ${workload}: ${what}`);
  };
  switch (workload) {
    case 'W1': {
      const r = await call(port, '/token', form({ grant_type: 'client_credentials', scope: 'read write' }));
      expect(r.status === 200, `client credentials answered ${r.status} ${r.text.slice(0, 200)}`);
      const bad = await tokenOk(r.json?.access_token);
      expect(!bad, `invalid access token: ${bad}`);
      if (!isFloor) {
        const wrong = BASIC.slice(0, -4) + (BASIC.endsWith('AAAA') ? 'BBBB' : 'AAAA');
        const r2 = await call(port, '/token', form({ grant_type: 'client_credentials', scope: 'read write' }, wrong));
        expect(r2.status === 401 || r2.status === 400, `a corrupted client secret answered ${r2.status}`);
      }
      return 'valid JWT/opaque token; corrupted client secret refused';
    }
    case 'W2': {
      const [good, other] = await server.call('mintRefresh', 2);
      const r = await call(port, '/token', form({ grant_type: 'refresh_token', refresh_token: good }));
      expect(r.status === 200, `refresh answered ${r.status} ${r.text.slice(0, 200)}`);
      const bad = await tokenOk(r.json?.access_token);
      expect(!bad, `invalid access token: ${bad}`);
      if (!isFloor) {
        const r2 = await call(port, '/token', form({ grant_type: 'refresh_token', refresh_token: corrupt(other) }));
        expect(r2.status === 400, `a corrupted refresh token answered ${r2.status} ${r2.text.slice(0, 200)}`);
        expect(r2.json?.error === 'invalid_grant' || r2.json?.error === 'invalid_request', `a corrupted refresh token answered ${r2.text.slice(0, 200)}`);
      }
      return 'valid token pair; corrupted refresh token refused';
    }
    case 'W3': {
      const token = await server.call('mintAccess');
      const r = await call(port, '/resource', { headers: { authorization: `Bearer ${token}` } });
      expect(r.status === 200, `a valid bearer answered ${r.status} ${r.text.slice(0, 200)}`);
      const r2 = await call(port, '/resource', { headers: { authorization: `Bearer ${corrupt(token)}` } });
      expect(r2.status === 401, `a corrupted bearer answered ${r2.status}`);
      return 'valid bearer accepted; corrupted refused (401)';
    }
    case 'W4': {
      const token = await server.call('mintAccess');
      const r = await call(port, '/introspect', form({ token, token_type_hint: 'access_token' }));
      expect(r.status === 200 && r.json?.active === true, `a valid token introspected as ${r.status} ${r.text.slice(0, 200)}`);
      const r2 = await call(port, '/introspect', form({ token: corrupt(token), token_type_hint: 'access_token' }));
      // RFC 7662 §2.2 wants {"active": false}; a 4xx still refuses the token, and is noted.
      if (r2.status >= 400 && r2.status < 500) return `active:true for a valid token; a corrupted one answered ${r2.status} (RFC 7662 wants active:false)`;
      expect(r2.status === 200 && r2.json?.active === false, `a corrupted token introspected as ${r2.status} ${r2.text.slice(0, 200)}`);
      return 'active:true for a valid token; active:false for a corrupted one';
    }
    default:
      throw new Error(`unknown workload ${workload}`);
  }
}
