import { describe, expect, it } from 'vitest';
import { createClient } from '../../src/server/server-store.js';
import { authorizationCode, clientCredentials, confidential, inPool, logIn, passwordGrant, post, VERIFIER } from './brute-force-support.js';
import { createTestApp, REDIRECT } from './support.js';

describe('the limiter locks the guesser, not the owner (RFC 6749 §2.3.1, §10.10)', () => {
  it('answers 20 wrong secrets for one confidential client from A with 429 and Retry-After; the right secret from B gets 200', async () => {
    const t = await createTestApp();
    const A = '198.51.100.1';
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 20; i++) {
      const response = await clientCredentials(t, t.clientId, `wrong-${i}`, A);
      statuses.push(response.status);
      if (response.status === 429) {
        retryAfter = response.headers.get('retry-after');
        expect(await response.json()).toMatchObject({ error: 'too_many_requests' });
        expect(response.headers.get('cache-control')).toBe('no-store');
      }
    }
    expect(statuses).toEqual([...Array<number>(10).fill(401), ...Array<number>(10).fill(429)]);
    expect(Number(retryAfter)).toBeGreaterThan(0);
    expect(Number(retryAfter)).toBeLessThanOrEqual(300);
    // A is refused before any check, even with the right secret; B, which has not been failing, is answered.
    expect((await clientCredentials(t, t.clientId, t.clientSecret, A)).status).toBe(429);
    expect((await clientCredentials(t, t.clientId, t.clientSecret, '198.51.100.2')).status).toBe(200);
    // A's other credentials are not affected.
    const other = await confidential(t, 'other');
    expect((await clientCredentials(t, other.id, other.secret, A)).status).toBe(200);
    // One report when the credential passed the slow-down threshold (5 failures by default).
    expect(t.logs.filter((l) => l.event === 'credential_guessing')).toHaveLength(1);
  });

  it('answers 20 wrong passwords for one username at the login page from A with 429 and Retry-After; the owner signs in from B', async () => {
    const t = await createTestApp();
    const A = '198.51.100.11';
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) {
      const response = await logIn(t, 'alice', `wrong-${i}`, A);
      statuses.push(response.status);
      if (response.status === 429) expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    expect(statuses).toEqual([...Array<number>(10).fill(401), ...Array<number>(10).fill(429)]);
    expect((await logIn(t, 'alice', 'wonderland', A)).status).toBe(429);
    expect((await logIn(t, 'alice', 'wonderland', '198.51.100.12')).status).toBe(303);
  }, 30_000);

  it('answers 20 wrong passwords for one username at the password grant from A with 429 and Retry-After; the owner gets tokens from B', async () => {
    const t = await createTestApp();
    const A = '198.51.100.21';
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) {
      const response = await passwordGrant(t, 'Alice', `wrong-${i}`, A);
      statuses.push(response.status);
      if (response.status === 429) expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    expect(statuses).toEqual([...Array<number>(10).fill(400), ...Array<number>(10).fill(429)]);
    // Usernames count without case, and the login page shares the count.
    expect((await passwordGrant(t, 'alice', 'wonderland', A)).status).toBe(429);
    expect((await logIn(t, 'alice', 'wonderland', A)).status).toBe(429);
    expect((await passwordGrant(t, 'alice', 'wonderland', '198.51.100.22')).status).toBe(200);
  }, 30_000);

  it('never throttles a public client by its id: after 100 failures naming it from 5 sources, its refresh succeeds (RFC 6749 §2.1)', async () => {
    const t = await createTestApp();
    const { client } = await createClient(t.store, { name: 'SPA', grantTypes: ['authorization_code', 'refresh_token'], scopes: ['read'], redirectUris: [REDIRECT], public: true });
    const code = await authorizationCode(t, client.id);
    const issued = await post(t, '/token', { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, client_id: client.id, code_verifier: VERIFIER }, { source: '192.0.2.77' });
    expect(issued.status).toBe(200);
    const { refresh_token } = (await issued.json()) as { refresh_token: string };

    const statuses = await inPool(100, 20, async (i) => {
      const source = `198.51.100.${100 + (i % 5)}`;
      switch (i % 4) {
        case 0:
          return (await post(t, '/token', { grant_type: 'refresh_token', refresh_token: `forged-${i}`, client_id: client.id }, { source })).status;
        case 1:
          return (await post(t, '/token', { grant_type: 'refresh_token', client_id: client.id, client_secret: `guess-${i}` }, { source })).status;
        case 2:
          return (await post(t, '/token', { grant_type: 'authorization_code', code: `forged-${i}`, redirect_uri: REDIRECT, client_id: client.id, code_verifier: VERIFIER }, { source })).status;
        default:
          return (await clientCredentials(t, client.id, `guess-${i}`, source)).status;
      }
    });
    expect(statuses.filter((s) => s === 429)).toEqual([]);
    expect(statuses.every((s) => s === 400 || s === 401)).toBe(true);

    const refreshed = await post(t, '/token', { grant_type: 'refresh_token', refresh_token, client_id: client.id }, { source: '192.0.2.78' });
    expect(refreshed.status).toBe(200);
    // Even from a source that sent those failures: none of them was a guess of a credential.
    const next = ((await refreshed.json()) as { refresh_token: string }).refresh_token;
    expect((await post(t, '/token', { grant_type: 'refresh_token', refresh_token: next, client_id: client.id }, { source: '198.51.100.100' })).status).toBe(200);
  }, 30_000);

  it('answers a spraying source 429 with Retry-After on wrong credentials past --rate-limit-source-max, and normally on correct ones', async () => {
    const t = await createTestApp({ 'rate-limit-source-max': '5' });
    const S = '198.51.100.31';
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await clientCredentials(t, t.clientId, `wrong-${i}`, S)).status);
    for (let i = 0; i < 3; i++) statuses.push((await clientCredentials(t, `unknown-${i}`, `wrong-${i}`, S)).status);
    const sprayed = await passwordGrant(t, `sprayed-user`, 'wrong', S);
    statuses.push(sprayed.status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
    expect(Number(sprayed.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(t.logs.filter((l) => l.event === 'rate_limited' && l.reason === 'spraying')).toHaveLength(2);
    // Correct credentials from the spraying source are answered normally.
    expect((await clientCredentials(t, t.clientId, t.clientSecret, S)).status).toBe(200);
    expect((await logIn(t, 'alice', 'wonderland', S)).status).toBe(303);
  });

  it('has no account lockout by default: 30 failures from 30 sources leave the owner in', async () => {
    const t = await createTestApp();
    const statuses = await Promise.all(Array.from({ length: 30 }, (_, i) => clientCredentials(t, t.clientId, `wrong-${i}`, `10.0.0.${i + 1}`).then((r) => r.status)));
    expect(statuses.every((s) => s === 401)).toBe(true);
    expect((await clientCredentials(t, t.clientId, t.clientSecret, '10.0.1.1')).status).toBe(200);
  });

  it('locks a credential for every source when --lockout-threshold is set, for --lockout-seconds', async () => {
    const t = await createTestApp({ 'lockout-threshold': '5', 'lockout-seconds': '60' });
    // The password grant first: it names the client too, which is locked next.
    await Promise.all(Array.from({ length: 5 }, (_, i) => passwordGrant(t, 'alice', `wrong-${i}`, `10.0.0.${i + 1}`)));
    await Promise.all(Array.from({ length: 5 }, (_, i) => clientCredentials(t, t.clientId, `wrong-${i}`, `10.0.0.${i + 1}`)));
    const locked = await clientCredentials(t, t.clientId, t.clientSecret, '10.0.1.1');
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(locked.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    expect((await logIn(t, 'alice', 'wonderland', '10.0.1.2')).status).toBe(429);
    expect(t.logs.filter((l) => l.event === 'credential_locked').length).toBeGreaterThanOrEqual(2);
    // Another credential is not locked.
    const other = await confidential(t, 'other');
    expect((await clientCredentials(t, other.id, other.secret, '10.0.1.1')).status).toBe(200);
    t.clock.advance(61);
    expect((await clientCredentials(t, t.clientId, t.clientSecret, '10.0.1.1')).status).toBe(200);
    expect((await logIn(t, 'alice', 'wonderland', '10.0.1.2')).status).toBe(303);
  });
});
