import { createHash } from 'node:crypto';
import { expect } from 'vitest';
import { createClient } from '../../src/server/server-store.js';
import { basic, Browser, field, REDIRECT, type TestApp } from './support.js';

export const VERIFIER = 'v'.repeat(43);
const challenge = createHash('sha256').update(VERIFIER).digest('base64url');

/** A POST of form parameters to an endpoint, from a source address, with an optional `Authorization` header. */
export function post(t: TestApp, path: string, params: Record<string, string>, options: { source?: string; authorization?: string } = {}): Promise<Response> {
  return t.send(path, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(options.authorization ? { authorization: options.authorization } : {}) },
    body: new URLSearchParams(params).toString(),
    source: options.source ?? '192.0.2.1',
  });
}

/** A client-credentials request with HTTP Basic. */
export const clientCredentials = (t: TestApp, id: string, secret: string, source: string): Promise<Response> =>
  post(t, '/token', { grant_type: 'client_credentials' }, { source, authorization: basic(id, secret) });

/** A password grant by the test app's confidential client. */
export const passwordGrant = (t: TestApp, username: string, password: string, source: string): Promise<Response> =>
  post(t, '/token', { grant_type: 'password', username, password }, { source, authorization: basic(t.clientId, t.clientSecret) });

/** Signs in at the login page with a fresh browser (its own session) from a source. */
export async function logIn(t: TestApp, username: string, password: string, source: string): Promise<Response> {
  const b = new Browser(t, source);
  const html = await (await b.get('/login')).text();
  return b.post('/login', { csrf_token: field(html, 'csrf_token'), return_to: '/', username, password });
}

/** A confidential client for client credentials, with its secret. */
export async function confidential(t: TestApp, name: string): Promise<{ id: string; secret: string }> {
  const { client, secret } = await createClient(t.store, { name, grantTypes: ['client_credentials'], scopes: ['read'], redirectUris: [], public: false });
  return { id: client.id, secret: secret! };
}

/** Runs `count` tasks, at most `concurrency` at a time (a bounded loop). */
export async function inPool<T>(count: number, concurrency: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array<T>(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      results[i] = await task(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return results;
}

/** Runs the authorization code flow (PKCE) for alice and returns the code. */
export async function authorizationCode(t: TestApp, clientId: string, source = '192.0.2.50'): Promise<string> {
  const b = new Browser(t, source);
  const login = await (await b.get('/login')).text();
  expect((await b.post('/login', { csrf_token: field(login, 'csrf_token'), return_to: '/', username: 'alice', password: 'wonderland' })).status).toBe(303);
  const query = new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: REDIRECT, scope: 'read', state: 'st', code_challenge: challenge, code_challenge_method: 'S256' });
  const html = await (await b.get(`/authorize?${query.toString()}`)).text();
  const allow = await b.post('/authorize/decision', { csrf_token: field(html, 'csrf_token'), consent: field(html, 'consent'), decision: 'allow' });
  expect(allow.status).toBe(302);
  return new URL(allow.headers.get('location')!).searchParams.get('code')!;
}
