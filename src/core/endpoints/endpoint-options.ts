import type { RefreshTokenRepository, UserRepository } from '../../contracts/repositories.js';
import type { ServerContext } from '../../contracts/server-context.js';
import type { Client } from '../../contracts/types.js';
import type { RegistrationOptions } from './registration-options.js';

/**
 * The endpoints a server can expose, by role.
 *
 * @example
 * ```ts
 * const name: EndpointName = 'introspection';
 * endpointUrl('https://auth.example.com', name, {}); // 'https://auth.example.com/introspect'
 * ```
 */
export type EndpointName = 'authorization' | 'token' | 'revocation' | 'introspection' | 'jwks' | 'deviceAuthorization' | 'registration' | 'pushedAuthorization';

/**
 * Where each endpoint lives unless configured otherwise: paths under the issuer. The HTTP adapters and the ready
 * server route these; the metadata document (RFC 8414) announces them.
 *
 * @example
 * ```ts
 * DEFAULT_ENDPOINT_PATHS.token; // '/token'
 * DEFAULT_ENDPOINT_PATHS.jwks;  // '/.well-known/jwks.json'
 * ```
 */
export const DEFAULT_ENDPOINT_PATHS: Readonly<Record<EndpointName, string>> = Object.freeze({
  authorization: '/authorize',
  token: '/token',
  revocation: '/revoke',
  introspection: '/introspect',
  jwks: '/.well-known/jwks.json',
  deviceAuthorization: '/device_authorization',
  registration: '/register',
  pushedAuthorization: '/par',
});

/**
 * Settings of the revocation, introspection, metadata and JWKS endpoints; part of `AuthorizationServerOptions`.
 *
 * @example
 * ```ts
 * new AuthorizationServer({ ...repositories, refreshTokens: storage.refreshTokens, users: storage.users,
 *   endpoints: { token: '/oauth/token' }, metadata: { service_documentation: 'https://docs.example.com' } });
 * ```
 */
export interface EndpointOptions {
  /** Refresh tokens: needed to revoke and introspect them (RFC 7009, RFC 7662). */
  refreshTokens?: RefreshTokenRepository;
  /** Users: lets introspection report `username` (RFC 7662 §2.2). */
  users?: UserRepository;
  /**
   * Whether an authenticated client may learn about a token (RFC 7662 §4: the server "MAY ... limit which protected
   * resources can introspect which tokens"); `false` answers `{"active": false}`. Given, it decides alone. Default:
   * a client may introspect its own tokens, and other clients' only with the `introspect` permission in its
   * registration (`Client.permissions`), as a resource server's client has.
   */
  canIntrospect?: (caller: Client, token: { readonly clientId: string; readonly userId: string | undefined; readonly scopes: readonly string[] }) => boolean | Promise<boolean>;
  /**
   * Dynamic client registration (RFC 7591) and management (RFC 7592) at `/register` and `/register/{client_id}`;
   * off without it. See {@link RegistrationOptions}.
   */
  registration?: RegistrationOptions;
  /** Where endpoints live: absolute URLs, or paths appended to the issuer (defaults: {@link DEFAULT_ENDPOINT_PATHS}). */
  endpoints?: Partial<Record<EndpointName, string>>;
  /** Extra metadata members (RFC 8414 §2), e.g. `service_documentation`; they override generated ones. */
  metadata?: Record<string, unknown>;
  /** Scopes to announce in `scopes_supported`; default: `scopes.listScopes()` when the repository has it. */
  scopesSupported?: readonly string[];
  /**
   * Seconds clients may cache the JWKS and metadata (default 300). During a key rotation, publish a new key at
   * least this long (plus resource servers' own cache time) before activating it.
   */
  publicCacheMaxAge?: number;
}

/**
 * What the revocation, introspection, metadata and JWKS endpoints receive from the server.
 *
 * @example
 * ```ts
 * const ctx: EndpointContext = { server: await server.context(), options: { refreshTokens: storage.refreshTokens }, maxBodyBytes: 16384 };
 * const response = await introspectToken(request, ctx);
 * ```
 */
export interface EndpointContext {
  readonly server: ServerContext;
  readonly options: EndpointOptions;
  readonly maxBodyBytes: number;
  /** The DPoP proof algorithms the token endpoint accepts (RFC 9449 §5.1); absent when DPoP is off. */
  readonly dpopAlgorithms?: readonly string[] | undefined;
  /** Set when the PAR endpoint is served (RFC 9126), with whether every request must be pushed. */
  readonly pushedAuthorization?: { readonly required: boolean } | undefined;
}

/**
 * The absolute URL of an endpoint: the configured value, or the default path appended to the issuer.
 *
 * @example
 * ```ts
 * endpointUrl('https://auth.example.com/tenant', 'token', {}); // 'https://auth.example.com/tenant/token'
 * ```
 */
export function endpointUrl(issuer: string, name: EndpointName, options: EndpointOptions): string {
  const configured = options.endpoints?.[name] ?? DEFAULT_ENDPOINT_PATHS[name];
  if (/^https?:\/\//i.test(configured)) return configured;
  return issuer.replace(/\/+$/, '') + (configured.startsWith('/') ? configured : `/${configured}`);
}

/**
 * The RFC 8414 §3 metadata path for an issuer: `/.well-known/oauth-authorization-server`, followed by the issuer's
 * own path, if any.
 *
 * @example
 * ```ts
 * metadataPath('https://auth.example.com/tenant1'); // '/.well-known/oauth-authorization-server/tenant1'
 * ```
 */
export function metadataPath(issuer: string): string {
  const path = new URL(issuer).pathname.replace(/\/+$/, '');
  return `/.well-known/oauth-authorization-server${path}`;
}
