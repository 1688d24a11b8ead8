import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqliteStorage } from '../../src/storage/sqlite/index.js';
import { basic, CLIENT_SECRET, tokenRequest } from '../support/fixtures.js';
import { DATABASE_URL, PG_SKIP } from './support/postgres.js';
import { createDeployment, REDIRECT_URI, type TestDeployment } from './support/test-deployment.js';

const AUTH = { authorization: basic('app', CLIENT_SECRET) };

/** Makes every insert of a refresh token fail inside the database (a trigger), as a full disk or a lost connection would. */
async function injectFailure(deployment: TestDeployment, on: boolean): Promise<void> {
  if (deployment.config.engine === 'sqlite') {
    (deployment.storage as SqliteStorage).database.exec(
      on
        ? "CREATE TRIGGER grantry_test_fail BEFORE INSERT ON grantry_refresh_tokens BEGIN SELECT RAISE(ABORT, 'injected failure'); END"
        : 'DROP TRIGGER grantry_test_fail',
    );
    return;
  }
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    await client.query(`SET search_path TO "${deployment.config.location}"`);
    await client.query(
      on
        ? `CREATE FUNCTION grantry_test_fail() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$;
           CREATE TRIGGER grantry_test_fail BEFORE INSERT ON grantry_refresh_tokens FOR EACH ROW EXECUTE FUNCTION grantry_test_fail()`
        : 'DROP TRIGGER grantry_test_fail ON grantry_refresh_tokens; DROP FUNCTION grantry_test_fail()',
    );
  } finally {
    await client.end();
  }
}

describe.each([
  { engine: 'sqlite' as const, skip: undefined },
  { engine: 'postgres' as const, skip: PG_SKIP },
])('a $engine write that fails after the spend, over the token endpoint', ({ engine, skip }) => {
  let deployment: TestDeployment;
  beforeAll(async () => {
    if (!skip) deployment = await createDeployment(engine);
  });
  afterAll(async () => deployment?.destroy());

  const post = async (params: Record<string, string>): Promise<{ status: number; body: Record<string, string> }> => {
    const response = await deployment.server.handleTokenRequest(tokenRequest(params, AUTH));
    return { status: response.status, body: (await response.json()) as Record<string, string> };
  };

  it('answers 500 and leaves the refresh token valid: the retry rotates and the family lives (RFC 9700 §4.14.2)', async (t) => {
    if (skip) return t.skip(skip);
    const token = await deployment.mintRefreshToken();
    const ctx = await deployment.server.context();
    const id = (await ctx.refreshTokenCodec.open(token))!.id;
    await injectFailure(deployment, true);
    try {
      expect(await post({ grant_type: 'refresh_token', refresh_token: token })).toMatchObject({ status: 500, body: { error: 'server_error' } });
    } finally {
      await injectFailure(deployment, false);
    }
    expect(await deployment.storage.refreshTokens.find(id)).toMatchObject({ consumed: false, revoked: false });
    const retry = await post({ grant_type: 'refresh_token', refresh_token: token });
    expect(retry.status).toBe(200);
    expect((await post({ grant_type: 'refresh_token', refresh_token: retry.body.refresh_token! })).status).toBe(200);
  });

  it('answers 500 and leaves the code redeemable: the retry gets the tokens (RFC 6749 §4.1.2)', async (t) => {
    if (skip) return t.skip(skip);
    const { code, verifier } = await deployment.issueCode();
    const params = { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier };
    await injectFailure(deployment, true);
    try {
      expect(await post(params)).toMatchObject({ status: 500, body: { error: 'server_error' } });
    } finally {
      await injectFailure(deployment, false);
    }
    const retry = await post(params);
    expect(retry.status).toBe(200);
    expect((await post({ grant_type: 'refresh_token', refresh_token: retry.body.refresh_token! })).status).toBe(200);
    expect(await post(params)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });
});
