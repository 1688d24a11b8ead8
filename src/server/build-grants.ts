import type { AuthorizationServer } from '../core/authorization-server.js';
import { AuthorizationCodeGrant } from '../grants/authorization-code-grant.js';
import { ClientCredentialsGrant } from '../grants/client-credentials-grant.js';
import { DeviceCodeGrant } from '../grants/device-code-grant.js';
import type { Grant } from '../contracts/grant.js';
import { ImplicitGrant } from '../grants/implicit-grant.js';
import { PasswordGrant } from '../grants/password-grant.js';
import { RefreshTokenGrant } from '../grants/refresh-token-grant.js';
import type { Storage } from '../contracts/repositories.js';
import type { GrantName, ServerConfig } from './config.js';

/**
 * Enables the grants named by `--grants` on a server, with the configured lifetimes. Grants that can issue
 * refresh tokens get the refresh token repository when `refresh_token` is enabled too.
 *
 * @example
 * ```ts
 * enableGrants(server, storage, config, issuer);
 * server.enabledGrantTypes; // ['authorization_code', 'client_credentials', 'refresh_token', '…device_code']
 * ```
 */
export function enableGrants(server: AuthorizationServer, storage: Storage, config: ServerConfig, issuer: string): void {
  for (const name of config.grants) server.enableGrantType(makeGrant(name, storage, config, issuer), config.accessTokenTTL);
}

function makeGrant(name: GrantName, storage: Storage, config: ServerConfig, issuer: string): Grant {
  const refresh = config.grants.includes('refresh_token')
    ? { refreshTokens: storage.refreshTokens, refreshTokenTTL: config.refreshTokenTTL, refreshTokenAbsoluteTTL: config.refreshTokenAbsoluteTTL }
    : {};
  switch (name) {
    case 'refresh_token':
      // The user is looked up on every refresh: a deleted user's refresh token is refused.
      return new RefreshTokenGrant(storage.refreshTokens, {
        refreshTokenTTL: config.refreshTokenTTL,
        refreshTokenAbsoluteTTL: config.refreshTokenAbsoluteTTL,
        users: storage.users,
        reuseGraceSeconds: config.refreshReuseGrace,
      });
    case 'authorization_code':
      return new AuthorizationCodeGrant(storage.authCodes, { ...refresh, authCodeTTL: config.authCodeTTL });
    case 'client_credentials':
      return new ClientCredentialsGrant();
    case 'device_code':
      return new DeviceCodeGrant(storage.deviceCodes, { ...refresh, deviceCodeTTL: config.deviceCodeTTL, interval: config.devicePollInterval, verificationUri: `${issuer}/device` });
    case 'password':
      return new PasswordGrant(storage.users, refresh);
    case 'implicit':
      return new ImplicitGrant();
  }
}
