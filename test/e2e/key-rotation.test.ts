import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, createTestStore, hiddenField, startGrantry, type GrantryProcess, type TestStore } from './support/grantry-process.js';
import { basicAuth, discover, PageDriver, pkcePair, postForm, type Metadata } from './support/oauth-client.js';

const REDIRECT = 'http://127.0.0.1:9/callback';
const engines: [string, string | undefined][] = [['SQLite', undefined]];
if (process.env.DATABASE_URL) engines.push(['PostgreSQL', process.env.DATABASE_URL]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const kidOf = (jwt: string) => decodeProtectedHeader(jwt).kid!;

describe.each(engines)('`grantry keys rotate` on a running server (%s), seen by a resource server that caches the JWKS', (_engine, postgresUrl) => {
  let store: TestStore;
  let server: GrantryProcess;
  let meta: Metadata;
  let auth: string;
  let clientId: string;
  // A resource server as jose's users build one: the JWK set is cached (3 s here), and a token with an unknown kid
  // makes it refetch only after a 30 s cool-down: a key that signs before it is in the cache fails for 30 s.
  let resourceServer: (token: string) => Promise<unknown>;

  beforeAll(async () => {
    store = await createTestStore(postgresUrl);
    await cli(store, 'scopes', 'add', 'read');
    const client = await cli(store, 'clients', 'create', '--name', 'Rotation app', '--grant-types', 'authorization_code,client_credentials,password,refresh_token', '--scopes', 'read', '--redirect-uris', REDIRECT);
    clientId = client.id as string;
    auth = basicAuth(client.id, client.client_secret);
    await cli(store, 'users', 'create', '--username', 'alice', '--password', 'correct horse battery');
    server = await startGrantry(store, ['--grants', 'authorization_code,client_credentials,password,refresh_token']);
    meta = await discover(server.issuer);
    const jwks = createRemoteJWKSet(new URL(meta.jwks_uri), { cacheMaxAge: 3000, cooldownDuration: 30_000 });
    resourceServer = async (token) => (await jwtVerify(token, jwks, { issuer: server.issuer })).payload;
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    await store?.dispose();
  });

  const accessToken = async (): Promise<string> => {
    const response = await postForm(meta.token_endpoint, { grant_type: 'client_credentials', scope: 'read' }, { authorization: auth });
    expect(response.status).toBe(200);
    return ((await response.json()) as { access_token: string }).access_token;
  };
  const rotate = async (delaySeconds: number): Promise<string> => {
    const out = await cli(store, 'keys', 'rotate', '--key-activation-delay', String(delaySeconds));
    expect(out.signing[0].state).toBe('pending');
    return out.signing[0].kid as string;
  };
  /** Issues and checks tokens until one is signed by `kid`; every token issued on the way must verify. */
  const issueUntilSignedBy = async (kid: string): Promise<string[]> => {
    const issued: string[] = [];
    for (let i = 0; i < 120; i++) {
      const token = await accessToken();
      await expect(resourceServer(token)).resolves.toMatchObject({ client_id: clientId });
      issued.push(token);
      if (kidOf(token) === kid) return issued;
      await sleep(250);
    }
    throw new Error(`no token was signed by ${kid} within 30 s`);
  };

  it('every token issued before, during and after the rotation verifies at the resource server', async () => {
    const before = await accessToken();
    await expect(resourceServer(before)).resolves.toBeDefined();
    const oldKid = kidOf(before);
    const newKid = await rotate(8);
    const issued = await issueUntilSignedBy(newKid);
    // During the activation delay the old key still signed; then the new one, already in the resource server's cache.
    expect(kidOf(issued[0]!)).toBe(oldKid);
    expect(kidOf(issued.at(-1)!)).toBe(newKid);
    await expect(resourceServer(before)).resolves.toBeDefined();
    const jwks = (await (await fetch(meta.jwks_uri)).json()) as { keys: { kid: string }[] };
    expect(jwks.keys.map((k) => k.kid)).toEqual(expect.arrayContaining([oldKid, newKid]));
  }, 90_000);

  it('three rotations in a row leave every still-valid access token, refresh token and code usable', async () => {
    const access = await accessToken();
    const password = await postForm(meta.token_endpoint, { grant_type: 'password', username: 'alice', password: 'correct horse battery', scope: 'read' }, { authorization: auth });
    expect(password.status).toBe(200);
    const { refresh_token } = (await password.json()) as { refresh_token: string };
    const { code, verifier } = await authorizationCode();

    // Each activation delay is longer than the resource server's cache (3 s) plus the server's key poll (2 s) with
    // room for a loaded machine: a key is in every cached JWK set before it signs.
    await rotate(8);
    await rotate(8);
    const newest = await rotate(8);
    await issueUntilSignedBy(newest);

    await expect(resourceServer(access)).resolves.toMatchObject({ client_id: clientId });
    const refreshed = await postForm(meta.token_endpoint, { grant_type: 'refresh_token', refresh_token }, { authorization: auth });
    expect(refreshed.status).toBe(200);
    const afterRefresh = (await refreshed.json()) as { access_token: string };
    expect(kidOf(afterRefresh.access_token)).toBe(newest);
    await expect(resourceServer(afterRefresh.access_token)).resolves.toBeDefined();
    const redeemed = await postForm(meta.token_endpoint, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier }, { authorization: auth });
    expect(redeemed.status).toBe(200);

    const listed = await cli(store, 'keys', 'list');
    expect(listed.signing.map((k: { state: string }) => k.state)).toEqual(['active', 'retiring', 'retiring', 'retiring', 'retiring']);
  }, 120_000);

  async function authorizationCode(): Promise<{ code: string; verifier: string }> {
    const { verifier, challenge } = pkcePair();
    const query = new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: REDIRECT, scope: 'read', state: 's', code_challenge: challenge, code_challenge_method: 'S256' });
    const authorizeUrl = `${new URL(meta.authorization_endpoint).pathname}?${query.toString()}`;
    const browser = new PageDriver(server.issuer);
    await browser.get(authorizeUrl);
    await browser.login('alice', 'correct horse battery', authorizeUrl);
    const html = await (await browser.get(authorizeUrl)).text();
    const decision = await browser.post('/authorize/decision', { csrf_token: hiddenField(html, 'csrf_token'), consent: hiddenField(html, 'consent'), decision: 'allow' });
    const code = new URL(decision.headers.get('location')!).searchParams.get('code');
    expect(code).toEqual(expect.any(String));
    return { code: code!, verifier };
  }
});
