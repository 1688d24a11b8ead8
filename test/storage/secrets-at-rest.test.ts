import { existsSync, readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { generateClientSecret, hashClientSecret } from '../../src/contracts/client-secret.js';
import { basic, CLIENT_SECRET, tokenRequest } from '../support/fixtures.js';
import { DATABASE_URL, PG_SKIP } from './support/postgres.js';
import { createDeployment, REDIRECT_URI, type TestDeployment } from './support/test-deployment.js';

/** Every text a table holds, one JSON line per row, plus (SQLite) the raw bytes of the database and WAL files. */
async function dumpDatabase(deployment: TestDeployment): Promise<{ text: string; files: Buffer[] }> {
  const { engine, location } = deployment.config;
  if (engine === 'sqlite') {
    const db = new Database(location, { readonly: true });
    try {
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[];
      const text = tables.map((t) => JSON.stringify(db.prepare(`SELECT * FROM "${t}"`).all())).join('\n');
      const files = [location, `${location}-wal`].filter(existsSync).map((f) => readFileSync(f));
      return { text, files };
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    const { rows: tables } = await client.query<{ tablename: string }>('SELECT tablename FROM pg_tables WHERE schemaname = $1', [location]);
    const parts: string[] = [];
    for (const { tablename } of tables) {
      const { rows } = await client.query<{ row: string }>(`SELECT t::text AS row FROM "${location}"."${tablename}" t`);
      parts.push(...rows.map((r) => r.row));
    }
    return { text: parts.join('\n'), files: [] };
  } finally {
    await client.end();
  }
}

const cases = [
  { engine: 'sqlite' as const, tokenFormat: 'sealed' as const, skip: undefined },
  { engine: 'sqlite' as const, tokenFormat: 'opaque' as const, skip: undefined },
  { engine: 'postgres' as const, tokenFormat: 'sealed' as const, skip: PG_SKIP },
  { engine: 'postgres' as const, tokenFormat: 'opaque' as const, skip: PG_SKIP },
];

describe('secrets at rest', () => {
  let deployment: TestDeployment | undefined;
  afterEach(async () => {
    await deployment?.destroy();
    deployment = undefined;
  });

  for (const c of cases.filter((c) => c.skip !== undefined)) it.skip(`${c.engine} (${c.tokenFormat}) skipped: ${c.skip}`, () => undefined);

  it.each(cases.filter((c) => c.skip === undefined))(
    'keeps no raw refresh token, code, client secret or password in $engine ($tokenFormat tokens)',
    async ({ engine, tokenFormat }) => {
      deployment = await createDeployment(engine, tokenFormat);
      const { server, storage } = deployment;
      const secret = await generateClientSecret();
      await storage.admin.createClient({ ...deployment.client, id: 'second', secretHash: await hashClientSecret(secret) });
      const password = 'correct horse battery staple 7f3a';
      await storage.admin.createUser({ username: 'alice', password });
      const raw: string[] = [CLIENT_SECRET, secret, password];
      const auth = { authorization: basic('app', CLIENT_SECRET) };

      // A refresh token, rotated once through the token endpoint.
      const refreshToken = await deployment.mintRefreshToken();
      const rotated = await server.handleTokenRequest(tokenRequest({ grant_type: 'refresh_token', refresh_token: refreshToken }, auth));
      expect(rotated.status).toBe(200);
      const rotatedBody = (await rotated.json()) as Record<string, string>;
      raw.push(refreshToken, rotatedBody.refresh_token!, rotatedBody.access_token!);

      // A code, redeemed for tokens.
      const { code, verifier } = await deployment.issueCode();
      const redeemed = await server.handleTokenRequest(
        tokenRequest({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier }, auth),
      );
      expect(redeemed.status).toBe(200);
      const redeemedBody = (await redeemed.json()) as Record<string, string>;
      raw.push(code, verifier, redeemedBody.refresh_token!, redeemedBody.access_token!);

      const { text, files } = await dumpDatabase(deployment);
      // The scan sees the records: the hashes and the rotated token's storage id are there.
      expect(text).toContain('sha256$');
      expect(text).toContain('scrypt$');
      const ctx = await server.context();
      expect(text).toContain((await ctx.refreshTokenCodec.open(rotatedBody.refresh_token!))!.id);
      for (const value of raw) {
        expect(text.includes(value), `a raw value of length ${value.length} is stored`).toBe(false);
        for (const file of files) expect(file.includes(value), `a raw value of length ${value.length} is in a database file`).toBe(false);
      }
    },
  );
});
