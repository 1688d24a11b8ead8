import type { AccessTokenRepository, ClientRepository, ResourceRepository, ScopeRepository } from './repositories.js';
import type { CryptoBackend } from '../tokens/crypto/crypto-backend.js';
import type { TokenCodec } from '../tokens/refresh-token-codec.js';
import type { SigningKeySet } from '../tokens/signing-key-set.js';
import type { TokenSealer } from '../tokens/sealed-token.js';
import type { Clock } from './clock.js';
import type { EventEmitter, GrantryEvents } from './events.js';
import type { AccessTokenFormat, Client, GrantType } from './types.js';
import type { ClientAssertionVerifier } from './client-assertion.js';

/**
 * What the custom-claims hook sees when an access token is minted.
 *
 * @example
 * ```ts
 * const server = new AuthorizationServer({
 *   ...options,
 *   customClaims: ({ client, userId, scopes }: AccessTokenClaimsContext) => ({ tenant: client.id, admin: userId === 'root' && scopes.includes('admin') }),
 * });
 * ```
 */
export interface AccessTokenClaimsContext {
  readonly client: Client;
  readonly userId: string | undefined;
  readonly scopes: readonly string[];
  readonly grantType: GrantType;
}

/**
 * Where grantry reports failures it answered with `server_error`; causes are logged, never sent.
 *
 * @example
 * ```ts
 * const logger: Logger = {
 *   error: (message, details) => console.error(JSON.stringify({ level: 'error', message, ...details })),
 * };
 * const server = new AuthorizationServer({ ...options, logger });
 * ```
 */
export interface Logger {
  error(message: string, details?: Record<string, unknown>): void;
  warn?(message: string, details?: Record<string, unknown>): void;
}

/**
 * The services an {@link AuthorizationServer} shares with its grants and endpoints: one typed context object,
 * built once when the server is ready.
 *
 * @example
 * ```ts
 * const ctx = await server.context();
 * const jwks = ctx.signingKeys.jwks();
 * ```
 */
export interface ServerContext {
  readonly issuer: string;
  /** The `aud` of access tokens (RFC 9068 §2.2). */
  readonly audience: string | readonly string[];
  readonly clock: Clock;
  readonly events: EventEmitter<GrantryEvents>;
  readonly logger: Logger;
  readonly crypto: CryptoBackend;
  readonly signingKeys: SigningKeySet;
  readonly sealer: TokenSealer;
  /** Encodes refresh tokens (sealed or opaque). */
  readonly refreshTokenCodec: TokenCodec;
  /** Encodes authorization codes (sealed or opaque). */
  readonly authCodeCodec: TokenCodec;
  readonly clients: ClientRepository;
  readonly accessTokens: AccessTokenRepository;
  readonly scopes: ScopeRepository;
  /** The server-wide form of access tokens, for clients that name none (default `jwt`). */
  readonly accessTokenFormat?: AccessTokenFormat | undefined;
  /**
   * The registered resources (RFC 8707): a requested `resource` is looked up here; without it, every `resource`
   * is `invalid_target`, and tokens carry the default `audience`.
   */
  readonly resources?: ResourceRepository | undefined;
  /** Verifies JWT client assertions (`private_key_jwt`, `client_secret_jwt`); absent when they are not enabled. */
  readonly clientAssertions?: ClientAssertionVerifier | undefined;
  /** Adds claims to access tokens; registered claims cannot be overridden. */
  readonly customClaims: ((ctx: AccessTokenClaimsContext) => Record<string, unknown> | Promise<Record<string, unknown>>) | undefined;
}
