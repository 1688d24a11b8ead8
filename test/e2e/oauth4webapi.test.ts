import { existsSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import * as oauth from 'oauth4webapi';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResourceServer } from '../../src/core/resource-server.js';
import { withBearerToken } from '../../src/http/bearer-token.js';
import { toNodeHandler } from '../../src/http/node.js';
import { DpopNonces } from '../../src/tokens/dpop-nonces.js';
import { CHROMIUM, launchChromium, signIn } from './support/chromium.js';
import { cli, createTestStore, startGrantry, type GrantryProcess, type TestStore } from './support/grantry-process.js';

/**
 * Interoperability with an unmodified client library that no one here wrote: oauth4webapi drives the authorization
 * code flow with PAR (RFC 9126), DPoP (RFC 9449, with server nonces) and private_key_jwt (RFC 7523 §2.2) against the
 * ready server, through its real sign-in and consent pages in headless Chromium, then refreshes with the same DPoP
 * key and calls a resource server built on grantry's ResourceServer and bearer middleware.
 */

// oauth4webapi refuses http:// endpoints unless a request says otherwise; the ready server runs on a loopback http
// issuer here, so every call passes `allowInsecureRequests` (the library's documented option for that case).
const insecure = { [oauth.allowInsecureRequests]: true } as const;

const b64url = (bytes: ArrayBuffer): string => Buffer.from(bytes).toString('base64url');

/** RFC 7638 §3: SHA-256 of the required members of an EC public key, in lexicographic order. */
async function thumbprint(jwk: JsonWebKey): Promise<string> {
  const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y });
  return b64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(canonical)));
}

const payloadOf = (jwt: string): Record<string, unknown> => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;

/**
 * Runs a request and its processing; once more when the server asks for a DPoP nonce (`use_dpop_nonce`, RFC 9449
 * §8 and §9): the DPoP handle has remembered the nonce from the `DPoP-Nonce` header, as oauth4webapi expects.
 */
async function withNonceRetry<T>(attempt: () => Promise<T>, seen?: { nonceErrors: number }): Promise<T> {
  try {
    return await attempt();
  } catch (error) {
    if (!oauth.isDPoPNonceError(error)) throw error;
    if (seen) seen.nonceErrors++;
    return attempt();
  }
}

const generateEs256 = (): Promise<CryptoKeyPair> => crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);

describe.skipIf(!existsSync(CHROMIUM))('oauth4webapi against the ready server: PAR, DPoP and private_key_jwt in headless Chromium', () => {
  let store: TestStore;
  let server: GrantryProcess;
  let callback: Server;
  let api: Server;
  let apiUrl: string;
  let redirectUri: string;
  let browser: Browser;
  let as: oauth.AuthorizationServer;
  let client: oauth.Client;
  let clientAuth: oauth.ClientAuth;
  let dpopKeys: CryptoKeyPair;
  let dpopJkt: string;

  beforeAll(async () => {
    callback = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<title>callback</title><p>callback</p>'));
    await new Promise<void>((r) => callback.listen(0, '127.0.0.1', r));
    redirectUri = `http://127.0.0.1:${(callback.address() as AddressInfo).port}/callback`;

    // The client's authentication key (private_key_jwt): the private key never leaves WebCrypto, the public JWK is
    // what the client registers.
    const clientKeys = await generateEs256();
    const publicJwk = await crypto.subtle.exportKey('jwk', clientKeys.publicKey);
    store = await createTestStore();
    const jwksFile = join(store.dataDir, 'o4w-client-jwks.json');
    writeFileSync(jwksFile, JSON.stringify({ keys: [{ kty: publicJwk.kty, crv: publicJwk.crv, x: publicJwk.x, y: publicJwk.y, kid: 'o4w-1', alg: 'ES256', use: 'sig' }] }));

    await cli(store, 'scopes', 'add', 'read', '--description', 'Read your data');
    const created = await cli(store, 'clients', 'create', '--name', 'oauth4webapi App', '--grant-types', 'authorization_code,refresh_token', '--scopes', 'read',
      '--redirect-uris', redirectUri, '--auth-method', 'private_key_jwt', '--jwks-file', jwksFile, '--require-par', '--dpop-bound');
    await cli(store, 'users', 'create', '--username', 'alice', '--password', 'wonderland rabbit');
    server = await startGrantry(store, ['--grants', 'authorization_code,refresh_token', '--dpop-nonce', 'true', '--require-dpop', 'true']);

    const issuer = new URL(server.issuer);
    as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }));
    client = { client_id: created.id as string };
    clientAuth = oauth.PrivateKeyJwt({ key: clientKeys.privateKey, kid: 'o4w-1' });

    dpopKeys = await generateEs256();
    dpopJkt = await thumbprint(await crypto.subtle.exportKey('jwk', dpopKeys.publicKey));

    // The API: grantry's ResourceServer with the running server's JWKS (another process), behind the bearer
    // middleware, which checks DPoP proofs on the whole request (htm, htu, ath, the key of cnf.jkt) and asks for
    // nonces of its own.
    const rs = new ResourceServer({ issuer: server.issuer, audience: server.issuer, jwksUri: as.jwks_uri!, dpop: { nonces: new DpopNonces('o4w resource server nonce secret, 32+ chars') } });
    api = createServer(toNodeHandler(withBearerToken(rs, async (_request, claims) => Response.json({ sub: claims.sub, jkt: claims.cnf?.jkt, scope: claims.scope }))));
    await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
    apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}/me`;
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await store?.dispose();
    callback?.close();
    api?.close();
  });

  it('pushes the request, signs in and consents in Chromium, redeems the code with DPoP, refreshes, and calls the API', async () => {
    expect(as.pushed_authorization_request_endpoint).toBe(`${server.issuer}/par`);
    expect(as.dpop_signing_alg_values_supported).toContain('ES256');
    expect(as.token_endpoint_auth_methods_supported).toContain('private_key_jwt');

    const DPoP = oauth.DPoP(client, dpopKeys);
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    // The DPoP proof at PAR (RFC 9449 §10.1) binds the code to the key; the server's first answer asks for a nonce.
    const seen = { nonceErrors: 0 };
    const pushed = await withNonceRetry(async () => {
      const response = await oauth.pushedAuthorizationRequest(as, client, clientAuth, {
        response_type: 'code', redirect_uri: redirectUri, scope: 'read', state,
        code_challenge: await oauth.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
      }, { DPoP, ...insecure });
      return oauth.processPushedAuthorizationResponse(as, client, response);
    }, seen);
    expect(seen.nonceErrors).toBe(1);
    expect(pushed.request_uri).toMatch(/^urn:ietf:params:oauth:request_uri:/);

    // The browser carries only client_id and request_uri (RFC 9126 §4).
    const authorizationUrl = new URL(as.authorization_endpoint!);
    authorizationUrl.searchParams.set('client_id', client.client_id);
    authorizationUrl.searchParams.set('request_uri', pushed.request_uri);
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(authorizationUrl.href);
    expect(new URL(page.url()).pathname).toBe('/login');
    await signIn(page, 'alice', 'wonderland rabbit');
    await page.getByRole('heading', { name: 'Authorize access' }).waitFor();
    expect(await page.locator('main').innerText()).toContain('oauth4webapi App');
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL((url) => url.pathname === '/callback');
    const callbackParams = oauth.validateAuthResponse(as, client, new URL(page.url()), state);

    // The pushed request is single use (RFC 9126 §4): the same request_uri again is refused.
    const replay = await page.goto(authorizationUrl.href);
    expect(replay?.status()).toBe(400);
    expect(new URL(page.url()).pathname).toBe('/authorize');
    await context.close();

    // The code, with private_key_jwt and a DPoP proof of the same key (the nonce is remembered: no second round trip).
    const tokens = await withNonceRetry(async () => {
      const response = await oauth.authorizationCodeGrantRequest(as, client, clientAuth, callbackParams, redirectUri, verifier, { DPoP, ...insecure });
      return oauth.processAuthorizationCodeResponse(as, client, response);
    }, seen);
    expect(seen.nonceErrors).toBe(1);
    expect(tokens.token_type).toBe('dpop');
    expect(tokens.scope).toBe('read');
    expect(payloadOf(tokens.access_token)).toMatchObject({ iss: server.issuer, client_id: client.client_id, cnf: { jkt: dpopJkt } });
    expect(tokens.refresh_token).toEqual(expect.any(String));

    // The refresh with the same DPoP key.
    const refreshed = await withNonceRetry(async () => {
      const response = await oauth.refreshTokenGrantRequest(as, client, clientAuth, tokens.refresh_token!, { DPoP, ...insecure });
      return oauth.processRefreshTokenResponse(as, client, response);
    }, seen);
    expect(seen.nonceErrors).toBe(1);
    expect(refreshed.token_type).toBe('dpop');
    expect(refreshed.access_token).not.toBe(tokens.access_token);
    expect(payloadOf(refreshed.access_token)).toMatchObject({ cnf: { jkt: dpopJkt } });

    // The API: the resource server's own nonce first (RFC 9449 §9), then the claims of the bound token.
    const resource = await withNonceRetry(async () => {
      const response = await oauth.protectedResourceRequest(refreshed.access_token, 'GET', new URL(apiUrl), undefined, undefined, { DPoP, ...insecure });
      if (response.status !== 200) throw new Error(`the API answered ${response.status}: ${await response.text()}`);
      return response.json() as Promise<Record<string, unknown>>;
    }, seen);
    expect(seen.nonceErrors).toBe(2);
    expect(resource).toEqual({ sub: expect.any(String), jkt: dpopJkt, scope: 'read' });

    // The same token without its key (a stolen token sent as Bearer) is refused (RFC 9449 §7.2).
    const stolen = await oauth.protectedResourceRequest(refreshed.access_token, 'GET', new URL(apiUrl), undefined, undefined, insecure).then(
      (response) => response.status,
      (error: unknown) => (error instanceof oauth.WWWAuthenticateChallengeError ? error.cause.find((c) => c.scheme === 'bearer')?.parameters.error : error),
    );
    expect(stolen).toBe('invalid_token');
  }, 90_000);
});
