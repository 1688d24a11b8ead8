import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PG_SKIP } from './support/postgres.js';
import { spawnServer, type ChildServer } from './support/spawn-server.js';
import { createDeployment, jtiOf, postCode, postRefresh, type TestDeployment } from './support/test-deployment.js';

interface Answer {
  status: number;
  body: Record<string, string>;
}

const answer = async (response: Promise<Response>): Promise<Answer> => {
  const r = await response;
  return { status: r.status, body: (await r.json()) as Record<string, string> };
};

/** Sends 50 requests at once, alternating between the two processes. */
const fireSplit = (servers: readonly ChildServer[], send: (url: string) => Promise<Response>): Promise<Answer[]> =>
  Promise.all(Array.from({ length: 50 }, (_, i) => answer(send(servers[i % 2]!.url))));

describe.skipIf(PG_SKIP !== undefined)('two grantry processes on one PostgreSQL database', () => {
  let deployment: TestDeployment;
  let servers: ChildServer[] = [];

  beforeAll(async () => {
    deployment = await createDeployment('postgres');
    servers = await Promise.all([spawnServer(deployment.config), spawnServer(deployment.config)]);
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await deployment?.destroy();
  });

  it('rotates one refresh token exactly once across 50 concurrent requests, and reuse revokes the family for both (RFC 9700 §4.14.2)', async () => {
    const refreshToken = await deployment.mintRefreshToken();
    const answers = await fireSplit(servers, (url) => postRefresh(url, refreshToken));
    const winners = answers.filter((a) => a.status === 200);
    expect(winners).toHaveLength(1);
    expect(answers.filter((a) => a.status === 400 && a.body.error === 'invalid_grant')).toHaveLength(49);

    // The replays revoked the whole family: the winner's new refresh token is dead in both processes' view.
    const { refresh_token: rotated, access_token: accessToken } = winners[0]!.body;
    for (const server of servers) {
      const reply = await answer(postRefresh(server.url, rotated!));
      expect(reply).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    }
    expect(await deployment.storage.accessTokens.isRevoked(jtiOf(accessToken!))).toBe(true);
  });

  it('redeems one authorization code exactly once across 50 concurrent requests, and the replay revokes its tokens (RFC 6749 §4.1.2)', async () => {
    const { code, verifier } = await deployment.issueCode();
    const answers = await fireSplit(servers, (url) => postCode(url, code, verifier));
    const winners = answers.filter((a) => a.status === 200);
    expect(winners).toHaveLength(1);
    expect(answers.filter((a) => a.status === 400 && a.body.error === 'invalid_grant')).toHaveLength(49);

    const { refresh_token: refreshToken, access_token: accessToken } = winners[0]!.body;
    expect(refreshToken).toBeDefined();
    for (const server of servers) {
      expect(await answer(postRefresh(server.url, refreshToken!))).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    }
    expect(await deployment.storage.accessTokens.isRevoked(jtiOf(accessToken!))).toBe(true);
  });

  it('lets both processes refresh distinct tokens normally (control: the rejections above are not a broken setup)', async () => {
    const tokens = await Promise.all([deployment.mintRefreshToken(), deployment.mintRefreshToken()]);
    const answers = await Promise.all(tokens.map((t, i) => answer(postRefresh(servers[i]!.url, t))));
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    // The rotated token from process 0 works in process 1.
    expect((await answer(postRefresh(servers[1]!.url, answers[0]!.body.refresh_token!))).status).toBe(200);
  });
});

if (PG_SKIP !== undefined) {
  describe('two grantry processes on one PostgreSQL database', () => {
    it.skip(`skipped: ${PG_SKIP}`, () => undefined);
  });
}
