import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, cliFailure, CookieJar, createTestStore, hiddenField, startGrantry, type GrantryProcess, type TestStore } from './support/grantry-process.js';

// Behind one appending reverse proxy (`--trust-proxy 1`), the client writes the left of X-Forwarded-For itself; only
// the entry the proxy appended names it. The test plays the proxy: it connects from 127.0.0.1 and sends
// "<forged>, <appended>".
const APPENDED = '203.0.113.9';
const OTHER = '198.51.100.7';

describe('--trust-proxy 1 in the real server', () => {
  let store: TestStore;
  let server: GrantryProcess;

  beforeAll(async () => {
    store = await createTestStore();
    await cli(store, 'users', 'create', '--username', 'alice', '--password', 'wonderland rabbit');
    server = await startGrantry(store, ['--trust-proxy', '1', '--rate-limit-max', '2', '--rate-limit-source-max', '20', '--rate-limit-window', '60']);
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    await store?.dispose();
  });

  /** A login-page visitor behind the proxy, with its own session. */
  async function visitor(forwardedFor: string): Promise<(username: string, password: string, requestId: string) => Promise<Response>> {
    const jar = new CookieJar();
    const form = await fetch(`${server.issuer}/login`, { headers: { 'x-forwarded-for': forwardedFor } });
    jar.store(form);
    const csrf = hiddenField(await form.text(), 'csrf_token');
    return async (username, password, requestId) => {
      const response = await fetch(`${server.issuer}/login`, {
        method: 'POST',
        headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': forwardedFor, 'x-request-id': requestId },
        body: new URLSearchParams({ csrf_token: csrf, return_to: '/', username, password }).toString(),
        redirect: 'manual',
      });
      await response.arrayBuffer();
      return response;
    };
  }

  /** The request log line of one request (the server writes it just after answering). */
  async function logLine(requestId: string): Promise<Record<string, unknown>> {
    for (let i = 0; i < 100; i++) {
      const line = server.logs.find((l) => l.msg === 'request' && l.request_id === requestId);
      if (line) return line;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`no log line for ${requestId}`);
  }

  it('counts failures with different forged left-most entries against the one address the proxy appended, and logs that address', async () => {
    // Wrong passwords for many usernames (a spray), each with a new forged left-most entry: if the forged entry
    // were the source, no source would ever fail twice.
    const statuses: number[] = [];
    for (let i = 0; i < 100 && !statuses.includes(429); i++) {
      const login = await visitor(`6.6.6.${i}, ${APPENDED}`);
      statuses.push((await login(`nobody-${i}`, 'guess', `spray-${i}`)).status);
    }
    expect(statuses.at(-1)).toBe(429);
    expect(statuses.slice(0, -1).every((status) => status === 401)).toBe(true);

    // Another client behind the same proxy, forging the very same left-most entry, is not the source that failed.
    const other = await visitor(`6.6.6.0, ${OTHER}`);
    expect((await other('nobody-else', 'guess', 'other-1')).status).toBe(401);

    for (let i = 0; i < statuses.length; i++) expect(await logLine(`spray-${i}`)).toMatchObject({ path: '/login', source: APPENDED });
    expect(await logLine('other-1')).toMatchObject({ source: OTHER });
    expect(JSON.stringify(server.logs)).not.toContain('6.6.6.');
  }, 180_000);

  it('takes the address the proxy appended, not a forged one, when the header is forged further', async () => {
    const login = await visitor(`${OTHER}, 10.0.0.1, 6.6.6.6, 192.0.2.44`);
    expect((await login('alice', 'wonderland rabbit', 'alice-1')).status).toBe(303);
    expect(await logLine('alice-1')).toMatchObject({ source: '192.0.2.44' });
  }, 30_000);

  it.each([
    ['proxy.example', /^grantry: --trust-proxy: not an IP address: "proxy.example"/],
    ['10.0.0.0/33', /^grantry: --trust-proxy: not a valid prefix length: "10.0.0.0\/33"/],
  ])('refuses to start with --trust-proxy %s, with one clear line', async (value, message) => {
    const { code, stderr } = await cliFailure(['serve', '--port', '0', '--data-dir', store.dataDir, '--trust-proxy', value]);
    expect(code).not.toBe(0);
    expect(stderr).toMatch(message);
    expect(stderr.trim().split('\n')).toHaveLength(1);
  }, 30_000);
});
