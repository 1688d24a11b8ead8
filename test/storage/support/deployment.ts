import { AuthorizationServer } from '../../../src/core/authorization-server.js';
import { AuthorizationCodeGrant } from '../../../src/grants/authorization-code-grant.js';
import { RefreshTokenGrant } from '../../../src/grants/refresh-token-grant.js';
import type { ManagedStorage } from '../../../src/storage/managed-storage.js';
import { openPostgresStorage } from '../../../src/storage/postgres/index.js';
import { openSqliteStorage } from '../../../src/storage/sqlite/index.js';

export const ISSUER = 'https://auth.example.test';

/** Where a test deployment keeps its data and keys; passed to child servers through the environment. */
export interface DeploymentConfig {
  readonly engine: 'sqlite' | 'postgres';
  /** The SQLite file, or the PostgreSQL schema. */
  readonly location: string;
  readonly privateKey: string;
  readonly encryptionKey: string;
  readonly tokenFormat: 'sealed' | 'opaque';
  /** The refresh grant's reuse grace window in seconds (default 0: off). */
  readonly reuseGraceSeconds?: number;
}

export function configToEnv(config: DeploymentConfig): Record<string, string> {
  return { GRANTRY_TEST_DEPLOYMENT: JSON.stringify(config) };
}

export function configFromEnv(): DeploymentConfig {
  const raw = process.env.GRANTRY_TEST_DEPLOYMENT;
  if (!raw) throw new TypeError('GRANTRY_TEST_DEPLOYMENT is not set');
  return JSON.parse(raw) as DeploymentConfig;
}

export function openDeploymentStorage(config: DeploymentConfig): ManagedStorage {
  return config.engine === 'sqlite'
    ? openSqliteStorage({ filename: config.location })
    : openPostgresStorage({ connectionString: process.env.DATABASE_URL!, schema: config.location, max: 10 });
}

/** A server with the refresh token and authorization code grants on the deployment's storage. */
export function buildServer(storage: ManagedStorage, config: DeploymentConfig): AuthorizationServer {
  const server = new AuthorizationServer({
    clients: storage.clients,
    accessTokens: storage.accessTokens,
    scopes: storage.scopes,
    privateKey: config.privateKey,
    encryptionKey: config.encryptionKey,
    issuer: ISSUER,
    tokenFormat: config.tokenFormat,
    logger: { error: (message, details) => console.error(message, details) },
  });
  server.enableGrantType(new RefreshTokenGrant(storage.refreshTokens, { reuseGraceSeconds: config.reuseGraceSeconds ?? 0 }), 'PT1H');
  server.enableGrantType(new AuthorizationCodeGrant(storage.authCodes, { refreshTokens: storage.refreshTokens }), 'PT1H');
  return server;
}
