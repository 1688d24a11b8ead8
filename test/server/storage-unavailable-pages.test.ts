import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/server/config.js';
import { createGrantryApp } from '../../src/server/grantry-app.js';
import type { SqliteStorage } from '../../src/storage/sqlite/index.js';
import { StorageUnavailableError } from '../../src/storage/storage-unavailable.js';
import { Browser, ISSUER, REDIRECT, basic, createTestApp, field } from './support.js';

const challenge = createHash('sha256').update('v'.repeat(43)).digest('base64url');
const authorizePath = (clientId: string) =>
  `/authorize?${new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: REDIRECT, scope: 'read', state: 'st', code_challenge: challenge, code_challenge_method: 'S256' }).toString()}`;

describe('the ready server when its storage refuses writes', () => {
  it('is not ready, answers the token endpoint 503, and redirects a consent with error=temporarily_unavailable', async () => {
    const t = await createTestApp();
    const b = new Browser(t);
    const login = await (await b.get('/login?return_to=%2F')).text();
    await b.post('/login', { csrf_token: field(login, 'csrf_token'), return_to: '/', username: 'alice', password: 'wonderland' });
    const consent = await (await b.get(authorizePath(t.clientId))).text();
    expect((await t.send('/healthz')).status).toBe(200);

    (t.store.storage as SqliteStorage).database.pragma('query_only = ON'); // every write: SQLITE_READONLY

    const health = await t.send('/healthz');
    expect(health.status).toBe(503);
    expect(health.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await health.json()).toEqual({ status: 'unavailable', reason: 'read_only' });

    const token = await t.send('/token', {
      method: 'POST',
      headers: { authorization: basic(t.clientId, t.clientSecret), 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    expect(token.status).toBe(503);
    expect(token.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await token.json()).toMatchObject({ error: 'temporarily_unavailable' });

    // RFC 6749 §4.1.2.1: the redirect URI is validated, so the error goes back to the client.
    const allow = await b.post('/authorize/decision', { csrf_token: field(consent, 'csrf_token'), consent: field(consent, 'consent'), decision: 'allow' });
    expect(allow.status).toBe(302);
    const location = new URL(allow.headers.get('location')!);
    expect(location.searchParams.get('error')).toBe('temporarily_unavailable');
    expect(location.searchParams.get('state')).toBe('st');
    expect(location.searchParams.get('code')).toBeNull();
  });

  it('shows a 503 page with Retry-After, never a redirect, when the client cannot be looked up', async () => {
    const t = await createTestApp();
    const failing = new Proxy(t.store.storage.clients, {
      get: (target, key) =>
        key === 'getClient'
          ? async () => {
              throw new StorageUnavailableError('timeout', 'the database did not answer in time: Query read timeout');
            }
          : (Reflect.get(target, key, target) as unknown),
    });
    const config = loadConfig({ 'data-dir': t.store.keys.location.replace(/\/keys\.json$/, ''), database: ':memory:' }, {});
    const store = { ...t.store, storage: Object.assign(Object.create(t.store.storage) as typeof t.store.storage, { clients: failing }) };
    const app = await createGrantryApp({ config, store, keys: await t.store.keys.load(), issuer: ISSUER, logger: { error: () => undefined } });
    const response = await app.fetch(new Request(new URL(authorizePath(t.clientId), ISSUER)), { source: '192.0.2.1' });
    expect(response.status).toBe(503);
    expect(response.headers.get('location')).toBeNull();
    expect(response.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(response.headers.get('content-type')).toContain('text/html');
    expect(await response.text()).toContain('temporarily unavailable');
  });
});
