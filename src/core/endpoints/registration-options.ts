import type { ClientRegistrationRepository, InitialAccessTokenRepository } from '../../contracts/client-registration-repository.js';
import { DEVICE_CODE_GRANT_TYPE, type GrantType } from '../../contracts/types.js';

/**
 * Settings of dynamic client registration (RFC 7591) and its management (RFC 7592); the `registration` option of
 * `AuthorizationServer`. Without it there is no registration endpoint.
 *
 * The policy for registered clients: they get the grant types of `grantTypes` (within what the server enables),
 * never `password` (RFC 9700 §2.4) and `client_credentials` only when listed; never any `permissions` (they cannot
 * introspect other clients' tokens); the scopes of `scopes`; and they authenticate by a method of
 * `tokenEndpointAuthMethods`.
 *
 * @example
 * ```ts
 * const registration: RegistrationOptions = {
 *   mode: 'initial-access-token', clients: storage.registrations, initialAccessTokens: storage.initialAccessTokens,
 *   scopes: ['mcp:tools'],
 * };
 * const server = new AuthorizationServer({ ...options, registration });
 * ```
 */
export interface RegistrationOptions {
  /** `open`: anyone may register (RFC 7591 §3); `initial-access-token`: only with a token the operator issued. */
  readonly mode: 'open' | 'initial-access-token';
  /** Where registered clients and their registration access token hashes are stored. */
  readonly clients: ClientRegistrationRepository;
  /** The operator's initial access tokens; required with `mode: 'initial-access-token'`. */
  readonly initialAccessTokens?: InitialAccessTokenRepository | undefined;
  /**
   * Grant types a registered client may ask for (default {@link DEFAULT_REGISTRATION_GRANT_TYPES}); at request time
   * further narrowed to the enabled ones. `password` is refused here (a `TypeError`).
   */
  readonly grantTypes?: readonly GrantType[] | undefined;
  /** Scopes a registered client may ask for; also what it gets when it names none. Default: any scope the server knows. */
  readonly scopes?: readonly string[] | undefined;
  /** Token endpoint authentication methods a registered client may choose (default {@link DEFAULT_REGISTRATION_AUTH_METHODS}). */
  readonly tokenEndpointAuthMethods?: readonly string[] | undefined;
}

/**
 * The grant types a registered client may ask for unless `RegistrationOptions.grantTypes` says otherwise: the
 * user-facing ones. `client_credentials` acts for the client itself, so an operator opts in to it.
 *
 * @example
 * ```ts
 * const registration: RegistrationOptions = { mode: 'open', clients: storage.registrations,
 *   grantTypes: [...DEFAULT_REGISTRATION_GRANT_TYPES, 'client_credentials'] };
 * ```
 */
export const DEFAULT_REGISTRATION_GRANT_TYPES: readonly GrantType[] = Object.freeze([
  'authorization_code',
  'refresh_token',
  DEVICE_CODE_GRANT_TYPE,
]);

/**
 * The token endpoint authentication methods a registered client may choose by default (RFC 7591 §2). A server
 * that verifies client assertions adds `private_key_jwt` (RFC 7523 §2.2) to `tokenEndpointAuthMethods`; the
 * client then registers `jwks` or `jwks_uri`, which the registration endpoint requires and stores.
 *
 * @example
 * ```ts
 * const methods = [...DEFAULT_REGISTRATION_AUTH_METHODS, 'private_key_jwt'];
 * ```
 */
export const DEFAULT_REGISTRATION_AUTH_METHODS: readonly string[] = Object.freeze(['none', 'client_secret_basic', 'client_secret_post']);

/** Start-up checks of the registration settings: a mistake is a `TypeError` from the constructor, never a 400. */
export function checkRegistrationOptions(options: RegistrationOptions | undefined): void {
  if (options === undefined) return;
  if (options.mode !== 'open' && options.mode !== 'initial-access-token') {
    throw new TypeError(`grantry: registration.mode must be 'open' or 'initial-access-token', got ${String(options.mode)}`);
  }
  if (!options.clients) throw new TypeError('grantry: registration.clients (a ClientRegistrationRepository) is required');
  if (options.mode === 'initial-access-token' && !options.initialAccessTokens) {
    throw new TypeError("grantry: registration.mode 'initial-access-token' needs registration.initialAccessTokens");
  }
  // RFC 9700 §2.4: "The resource owner password credentials grant MUST NOT be used"; never for a self-registered client.
  if (options.grantTypes?.includes('password')) throw new TypeError('grantry: registered clients cannot be given the password grant');
}
