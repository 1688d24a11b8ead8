import { describe, expect, it } from 'vitest';
import { clientCredentials, confidential, inPool, logIn, passwordGrant, post } from './brute-force-support.js';
import { basic, createTestApp, type TestApp } from './support.js';

const ATTACKER = '203.0.113.66';

/** 350 malformed requests: seven kinds, none of them a guess. */
function malformed(t: TestApp, i: number): Promise<Response> {
  const source = ATTACKER;
  switch (i % 7) {
    case 0:
      return t.send('/token', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"grant_type":"client_credentials"}', source });
    case 1:
      return t.send('/token', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=a&grant_type=b', source });
    case 2:
      return post(t, '/token', { client_id: t.clientId }, { source });
    case 3:
      return post(t, '/token', { grant_type: 'urn:example:unknown', client_id: t.clientId }, { source });
    case 4:
      return t.send('/token', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new Uint8Array([0x67, 0x3d, 0xff, 0xfe]), source });
    case 5:
      return t.send('/revoke', { method: 'GET', source });
    default:
      return post(t, '/introspect', { token: 'x' }, { source, authorization: 'Basic !!!' });
  }
}

describe('hostile traffic from one address does not lock out the users behind it (RFC 6749 §10.10)', () => {
  it(
    'after 1,000 failed requests from one address (350 malformed, 300 wrong secrets for 50 clients, 50 wrong passwords for 50 usernames, ' +
      '300 unknown tokens at /revoke, /introspect and /token), that address still gets tokens for another client and signs in another user',
    async () => {
      const t = await createTestApp();
      const clients = await inPool(50, 10, (i) => confidential(t, `victim ${i}`));
      const fresh = await confidential(t, 'fresh');
      await t.store.storage.admin.createUser({ username: 'bob', password: 'bob password' });
      const owner = basic(t.clientId, t.clientSecret);

      const statuses = await inPool(1000, 50, async (i): Promise<number> => {
        if (i < 350) return (await malformed(t, i)).status;
        if (i < 650) return (await clientCredentials(t, clients[i % 50]!.id, `wrong-${i}`, ATTACKER)).status;
        if (i < 675) return (await logIn(t, `user-${i % 50}`, `wrong-${i}`, ATTACKER)).status;
        if (i < 700) return (await passwordGrant(t, `user-${i % 50}`, `wrong-${i}`, ATTACKER)).status;
        if (i < 800) return (await post(t, '/revoke', { token: `unknown-${i}` }, { source: ATTACKER, authorization: owner })).status;
        if (i < 900) return (await post(t, '/introspect', { token: `unknown-${i}` }, { source: ATTACKER, authorization: owner })).status;
        return (await post(t, '/token', { grant_type: 'refresh_token', refresh_token: `unknown-${i}` }, { source: ATTACKER, authorization: owner })).status;
      });
      expect(statuses).toHaveLength(1000);
      expect(statuses.filter((s) => s >= 500)).toEqual([]);
      // The malformed requests, wrong guesses and unknown refresh tokens all failed (unknown tokens at /revoke are 200 by RFC 7009 §2.2).
      expect(statuses.slice(0, 700).every((s) => s >= 400)).toBe(true);
      expect(statuses.slice(900).every((s) => s === 400)).toBe(true);

      const token = await clientCredentials(t, fresh.id, fresh.secret, ATTACKER);
      expect(token.status).toBe(200);
      expect(await token.json()).toMatchObject({ token_type: 'Bearer' });
      expect((await logIn(t, 'bob', 'bob password', ATTACKER)).status).toBe(303);
      expect((await passwordGrant(t, 'bob', 'bob password', ATTACKER)).status).toBe(200);
    },
    60_000,
  );
});
