import { describe, expect, it } from 'vitest';
import { authorizationCode, clientCredentials, logIn, passwordGrant, post, VERIFIER } from './brute-force-support.js';
import { basic, createTestApp, REDIRECT, type TestApp } from './support.js';

/** The log lines an action wrote. */
async function linesOf(t: TestApp, action: () => Promise<unknown>): Promise<Record<string, unknown>[]> {
  const before = t.logs.length;
  await action();
  return t.logs.slice(before);
}

/** The value of one counter in the /metrics exposition text, 0 when absent. */
async function counter(t: TestApp, series: string): Promise<number> {
  const text = await (await t.send('/metrics')).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

describe('security events: one JSON log line and one metric each, without secrets', () => {
  it('logs failed client authentication with the reason, failed logins, throttling, refresh token reuse and code replay', async () => {
    const t = await createTestApp({ 'rate-limit-max': '2' });
    const owner = basic(t.clientId, t.clientSecret);
    const secrets = ['wrong-secret-1', 'wrong-secret-2', 'wonderland', 'wrong-password-1', 'wrong-password-2', t.clientSecret];

    const badSecret = await linesOf(t, () => clientCredentials(t, t.clientId, 'wrong-secret-1', '198.51.100.1'));
    expect(badSecret).toEqual([
      expect.objectContaining({ level: 'warn', msg: 'security', event: 'client_authentication_failed', reason: 'bad_secret', client_id: t.clientId, source: '198.51.100.1' }),
    ]);
    const unknown = await linesOf(t, () => clientCredentials(t, 'nobody', 'wrong-secret-2', '198.51.100.1'));
    expect(unknown).toEqual([expect.objectContaining({ event: 'client_authentication_failed', reason: 'unknown_client', client_id: 'nobody' })]);
    await clientCredentials(t, t.clientId, 'wrong-secret-2', '198.51.100.1');
    const throttled = await linesOf(t, () => clientCredentials(t, t.clientId, t.clientSecret, '198.51.100.1'));
    expect(throttled).toEqual([expect.objectContaining({ event: 'rate_limited', reason: 'guessing', kind: 'client_secret', subject: t.clientId, source: '198.51.100.1' })]);
    expect(throttled[0]!.retry_after).toEqual(expect.any(Number));

    const loginPage = await linesOf(t, () => logIn(t, 'alice', 'wrong-password-1', '198.51.100.2'));
    expect(loginPage).toEqual([expect.objectContaining({ event: 'login_failed', via: 'login_page', username: 'alice', source: '198.51.100.2' })]);
    const grant = await linesOf(t, () => passwordGrant(t, 'alice', 'wrong-password-2', '198.51.100.3'));
    expect(grant).toEqual([expect.objectContaining({ event: 'login_failed', via: 'password_grant', username: 'alice', client_id: t.clientId })]);

    // Refresh token reuse (RFC 9700 §4.14.2): the rotated token presented again.
    const issued = (await (await passwordGrant(t, 'alice', 'wonderland', '198.51.100.4')).json()) as { refresh_token: string; access_token: string };
    secrets.push(issued.refresh_token, issued.access_token);
    const rotated = await post(t, '/token', { grant_type: 'refresh_token', refresh_token: issued.refresh_token }, { source: '198.51.100.4', authorization: owner });
    expect(rotated.status).toBe(200);
    const reuse = await linesOf(t, () => post(t, '/token', { grant_type: 'refresh_token', refresh_token: issued.refresh_token }, { source: '198.51.100.4', authorization: owner }));
    expect(reuse).toEqual([expect.objectContaining({ event: 'refresh_token_reuse', client_id: t.clientId, family: expect.stringMatching(/^[0-9a-f]{12}$/) })]);

    // Authorization code replay (RFC 6749 §4.1.2).
    const code = await authorizationCode(t, t.clientId);
    secrets.push(code);
    const exchange = () => post(t, '/token', { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: VERIFIER }, { source: '198.51.100.5', authorization: owner });
    expect((await exchange()).status).toBe(200);
    const replay = await linesOf(t, exchange);
    expect(replay).toEqual([expect.objectContaining({ event: 'authorization_code_replay', client_id: t.clientId, family: expect.stringMatching(/^[0-9a-f]{12}$/) })]);

    expect(await counter(t, 'grantry_client_authentication_failures_total{reason="bad_secret"}')).toBe(2);
    expect(await counter(t, 'grantry_client_authentication_failures_total{reason="unknown_client"}')).toBe(1);
    expect(await counter(t, 'grantry_rate_limited_total{reason="guessing"}')).toBe(1);
    expect(await counter(t, 'grantry_login_failures_total{via="login_page"}')).toBe(1);
    expect(await counter(t, 'grantry_login_failures_total{via="password_grant"}')).toBe(1);
    expect(await counter(t, 'grantry_refresh_token_reuse_total')).toBe(1);
    expect(await counter(t, 'grantry_authorization_code_replay_total')).toBe(1);

    // Every line is JSON-serialisable and holds no secret, password, code or token.
    const text = t.logs.map((line) => JSON.stringify(line)).join('\n');
    for (const secret of secrets) expect(text).not.toContain(secret);
  }, 30_000);

  it('logs credential guessing once when one credential passes the slow-down threshold from many sources', async () => {
    const t = await createTestApp({ 'slowdown-after': '3', 'slowdown-ms': '1' });
    const lines = await linesOf(t, async () => {
      for (let i = 0; i < 6; i++) await clientCredentials(t, t.clientId, `wrong-${i}`, `10.1.0.${i}`);
    });
    expect(lines.filter((l) => l.event === 'credential_guessing')).toEqual([expect.objectContaining({ kind: 'client_secret', subject: t.clientId, failures: 4 })]);
    expect(lines.filter((l) => l.event === 'client_authentication_failed')).toHaveLength(6);
    expect(await counter(t, 'grantry_credential_guessing_total{kind="client_secret"}')).toBe(1);
  });
});
