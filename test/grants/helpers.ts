import { expect } from 'vitest';
import { AuthorizationError } from '../../src/contracts/authorization-error.js';
import { AuthorizationCodeGrant, type AuthorizationCodeGrantOptions } from '../../src/grants/authorization-code-grant.js';
import type { AuthorizationRequest } from '../../src/contracts/authorization-request.js';
import { ISSUER, createTestServer, type TestServer } from '../support/fixtures.js';

export const VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
export const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
export const USER = { id: 'user-1', username: 'alice' };

/** A test server with the authorization code grant enabled (refresh tokens into the shared repository). */
export async function createCodeServer(options: AuthorizationCodeGrantOptions = {}, serverOptions = {}): Promise<TestServer> {
  const t = await createTestServer(serverOptions);
  t.server.enableGrantType(new AuthorizationCodeGrant(t.storage.authCodes, { refreshTokens: t.storage.refreshTokens, ...options }), 'PT1H');
  return t;
}

/** A GET to the authorization endpoint. */
export function authorizeRequest(params: Record<string, string>): Request {
  return new Request(`${ISSUER}/authorize?${new URLSearchParams(params).toString()}`);
}

/** Default parameters of a code request by the confidential client `app`, with PKCE S256. */
export function codeParams(extra: Record<string, string> = {}): Record<string, string> {
  return {
    response_type: 'code',
    client_id: 'app',
    redirect_uri: 'https://app.example.test/callback',
    scope: 'read write',
    state: 'xyz-state',
    code_challenge: CHALLENGE,
    code_challenge_method: 'S256',
    ...extra,
  };
}

/** Runs both authorize steps as an approving user and returns the redirect Location. */
export async function authorize(t: Pick<TestServer, 'server'>, params: Record<string, string>): Promise<URL> {
  const authRequest: AuthorizationRequest = await t.server.validateAuthorizationRequest(authorizeRequest(params));
  // What an application does between the steps: keep the request as JSON in a session.
  const restored = JSON.parse(JSON.stringify(authRequest)) as AuthorizationRequest;
  const res = await t.server.completeAuthorizationRequest(restored, { user: USER, approved: true });
  if (res.status !== 302) throw new Error(`expected a redirect, got ${res.status}`);
  return new URL(res.headers.get('location')!);
}

/** Authorizes and returns the code. */
export async function obtainCode(t: TestServer, extra: Record<string, string> = {}): Promise<string> {
  const location = await authorize(t, codeParams(extra));
  const code = location.searchParams.get('code');
  if (!code) throw new Error(`no code in ${location.href}`);
  return code;
}

/** The exception `validateAuthorizationRequest` throws, or a failure if it does not throw. */
export async function authorizeError(t: TestServer, params: Record<string, string>) {
  try {
    await t.server.validateAuthorizationRequest(authorizeRequest(params));
  } catch (error) {
    return { error, response: await t.server.errorResponse(error) };
  }
  throw new Error('validateAuthorizationRequest did not throw');
}

/**
 * Asserts that an authorization request fails without a redirect (RFC 6749 §4.1.2.1: a bad client or redirect URI
 * is shown to the user) and that the error answers 400 with no Location. Resolves with that response.
 */
export async function expectNotRedirected(server: TestServer['server'], request: Request): Promise<Response> {
  const error = await server.validateAuthorizationRequest(request).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AuthorizationError);
  expect((error as AuthorizationError).redirectable).toBe(false);
  const res = await server.errorResponse(error);
  expect(res.status).toBe(400);
  expect(res.headers.get('location')).toBeNull();
  return res;
}
