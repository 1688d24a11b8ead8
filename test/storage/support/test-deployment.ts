import { createHash, randomBytes } from 'node:crypto';
import type { AuthorizationServer } from '../../../src/core/authorization-server.js';
import { hashClientSecret } from '../../../src/contracts/client-secret.js';
import type { Client } from '../../../src/contracts/types.js';
import type { AuthorizationCodeGrant } from '../../../src/grants/authorization-code-grant.js';
import { issueTokens } from '../../../src/grants/issue-tokens.js';
import type { ManagedStorage } from '../../../src/storage/managed-storage.js';
import { basic, CLIENT_SECRET, encryptionKey, privateKeyPem, tokenRequest } from '../../support/fixtures.js';
import { buildServer, openDeploymentStorage, type DeploymentConfig } from './deployment.js';
import { dropSchema, uniqueSchema } from './postgres.js';
import { tempDir } from './temp-sqlite.js';

export const REDIRECT_URI = 'https://app.example.test/callback';

/** A migrated database with client `app`, and an in-process server on it that shares the children's keys. */
export interface TestDeployment {
  readonly config: DeploymentConfig;
  readonly storage: ManagedStorage;
  readonly server: AuthorizationServer;
  readonly client: Client;
  /** A refresh token issued as a grant would (a new family each time). */
  mintRefreshToken(): Promise<string>;
  /** A code approved through the authorization code grant, with its PKCE verifier. */
  issueCode(): Promise<{ code: string; verifier: string }>;
  /** Closes the storage and removes the database. */
  destroy(): Promise<void>;
}

export async function createDeployment(engine: 'sqlite' | 'postgres', tokenFormat: 'sealed' | 'opaque' = 'sealed', reuseGraceSeconds = 0): Promise<TestDeployment> {
  const tmp = engine === 'sqlite' ? tempDir() : undefined;
  const location = tmp ? tmp.file('grantry.db') : uniqueSchema();
  const config: DeploymentConfig = { engine, location, privateKey: privateKeyPem, encryptionKey, tokenFormat, reuseGraceSeconds };
  const storage = openDeploymentStorage(config);
  await storage.migrate();
  const client: Client = {
    id: 'app',
    name: 'Test app',
    secretHash: await hashClientSecret(CLIENT_SECRET),
    redirectUris: [REDIRECT_URI],
    grantTypes: ['authorization_code', 'refresh_token'],
    scopes: [],
  };
  await storage.admin.createClient(client);
  await storage.admin.addScope({ id: 'read' });
  const server = buildServer(storage, config);
  const ctx = await server.context();
  return {
    config,
    storage,
    server,
    client,
    async mintRefreshToken() {
      const body = await issueTokens(
        { server: ctx, client, accessTokenTTL: 3600 },
        { userId: 'user-1', scopes: ['read'], grantType: 'authorization_code', refresh: { repository: storage.refreshTokens, ttl: 86400, scopes: ['read'] } },
      );
      return body.refresh_token!;
    },
    async issueCode() {
      const verifier = randomBytes(32).toString('base64url');
      const codeChallenge = createHash('sha256').update(verifier).digest('base64url');
      const grant = server.getGrant('authorization_code') as AuthorizationCodeGrant;
      const { code } = await grant.approve({
        server: ctx,
        client,
        user: { id: 'user-1' },
        authRequest: {
          responseType: 'code',
          clientId: client.id,
          clientName: client.name,
          redirectUri: REDIRECT_URI,
          redirectUriSent: true,
          scopes: ['read'],
          codeChallenge,
          codeChallengeMethod: 'S256',
        },
        scopes: ['read'],
        accessTokenTTL: 3600,
      });
      return { code: code!, verifier };
    },
    async destroy() {
      await storage.close();
      if (tmp) tmp.remove();
      else await dropSchema(location);
    },
  };
}

/** The token request that refreshes `refreshToken` as client `app`, sent to a child server. */
export function postRefresh(url: string, refreshToken: string): Promise<Response> {
  const request = tokenRequest({ grant_type: 'refresh_token', refresh_token: refreshToken }, { authorization: basic('app', CLIENT_SECRET) }, url);
  return fetch(request);
}

/** The token request that redeems a code as client `app`, sent to a child server. */
export function postCode(url: string, code: string, verifier: string): Promise<Response> {
  const request = tokenRequest(
    { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier },
    { authorization: basic('app', CLIENT_SECRET) },
    url,
  );
  return fetch(request);
}

/** The `jti` of an access token. */
export function jtiOf(accessToken: string): string {
  const payload = JSON.parse(Buffer.from(accessToken.split('.')[1]!, 'base64url').toString()) as { jti: string };
  return payload.jti;
}
