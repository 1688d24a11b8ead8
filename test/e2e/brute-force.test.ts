import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, createTestStore, startGrantry, type GrantryProcess, type TestStore } from './support/grantry-process.js';
import { basicAuth, postForm } from './support/oauth-client.js';

describe('brute-force protection of client secrets in the real server (RFC 6749 §2.3.1, §10.10)', () => {
  let store: TestStore;
  let server: GrantryProcess;
  let client: { id: string; client_secret: string };

  beforeAll(async () => {
    store = await createTestStore();
    client = await cli(store, 'clients', 'create', '--name', 'Target', '--grant-types', 'client_credentials');
    // The hard limit per source and client is under test here; the slow-down of failed answers (tested in
    // test/server/brute-force.test.ts) is off so that 1,000 sequential guesses fit a 5-second window.
    server = await startGrantry(store, ['--rate-limit-max', '10', '--rate-limit-window', '5', '--slowdown-ms', '0', '--request-log', 'false']);
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    await store?.dispose();
  });

  it('answers 1,000 guesses with 429 and Retry-After well before the end, then serves the right secret after the window', async () => {
    const token = `${server.issuer}/token`;
    const statuses: number[] = [];
    let retryAfter = 0;
    const started = Date.now();
    for (let i = 0; i < 1000; i++) {
      const response = await postForm(token, { grant_type: 'client_credentials' }, { authorization: basicAuth(client.id, `guess-${i}`) });
      statuses.push(response.status);
      if (response.status === 429) {
        retryAfter = Number(response.headers.get('retry-after'));
        expect(await response.json()).toMatchObject({ error: 'too_many_requests' });
      } else {
        await response.arrayBuffer();
      }
    }
    const first429 = statuses.indexOf(429);
    expect(first429).toBeGreaterThan(0);
    expect(first429).toBeLessThanOrEqual(10);
    // At most 10 failures per 5-second window get through to the check, however long the 1,000 guesses take on
    // this machine: a bound from the limiter's own rule, not from the machine's speed.
    const windows = Math.ceil((Date.now() - started) / 5000) + 1;
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(10 * windows);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(1000 - 10 * windows - 1);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(5);

    // While the window holds, even the right secret is refused to the guessing source: the limiter answers it before
    // checking anything (other sources are answered normally, see test/server/brute-force.test.ts).
    const blocked = await postForm(token, { grant_type: 'client_credentials' }, { authorization: basicAuth(client.id, client.client_secret) });
    expect(blocked.status).toBe(429);
    const wait = Number(blocked.headers.get('retry-after'));

    await new Promise((r) => setTimeout(r, wait * 1000 + 200));
    const served = await postForm(token, { grant_type: 'client_credentials' }, { authorization: basicAuth(client.id, client.client_secret) });
    expect(served.status).toBe(200);
  }, 120_000);
});
