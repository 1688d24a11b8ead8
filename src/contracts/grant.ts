import type { AuthenticatedClient } from './client-authentication.js';
import type { Params } from './form.js';
import type { GrantType } from './types.js';
import type { ServerContext } from './server-context.js';

/**
 * The JSON body of a successful token response (RFC 6749 §5.1).
 *
 * @example
 * ```ts
 * const body: TokenResponseBody = await server.getGrant('client_credentials')!.respondToAccessTokenRequest(req);
 * // { access_token: 'eyJ…', token_type: 'Bearer', expires_in: 3600, scope: 'read' }
 * return new Response(JSON.stringify(body), { headers: NO_STORE_HEADERS });
 * ```
 */
export interface TokenResponseBody {
  access_token: string;
  /** `DPoP` when the access token is bound to the client's DPoP key (RFC 9449 §5). */
  token_type: 'Bearer' | 'DPoP';
  expires_in: number;
  refresh_token?: string;
  scope?: string;
  [extension: string]: unknown;
}

/**
 * What a grant receives for one token request.
 *
 * @example
 * ```ts
 * class ServiceGrant implements Grant {
 *   readonly grantType = 'urn:example:service';
 *   readonly allowsPublicClients = false;
 *   async respondToAccessTokenRequest(req: TokenRequest): Promise<TokenResponseBody> {
 *     const { server, params, accessTokenTTL } = req;
 *     const { client } = req.client; // and req.client.method: how it authenticated
 *     const scopes = await resolveScopes({ server, client, grantType: this.grantType, userId: undefined, requested: params.get('scope') });
 *     return issueTokens({ server, client, accessTokenTTL }, { userId: undefined, scopes, grantType: this.grantType });
 *   }
 * }
 * ```
 */
export interface TokenRequest {
  readonly request: Request;
  readonly params: Params;
  /**
   * The authenticated (or, for public clients, identified) client: `req.client.client` is the registered
   * `Client`, `req.client.method` how it authenticated. Grants read it as `const { client } = req.client`.
   */
  readonly client: AuthenticatedClient;
  /** The access-token lifetime this grant was enabled with, in seconds. */
  readonly accessTokenTTL: number;
  /** The server's shared services. */
  readonly server: ServerContext;
  /**
   * The request's verified DPoP proof (RFC 9449 §4.3), if it carried one: tokens issued for it are bound to `jkt`
   * (pass it to `issueTokens` as `dpopJkt`).
   */
  readonly dpop?: DpopBinding | undefined;
}

/**
 * The key a token request proved possession of with its DPoP proof (RFC 9449 §4): its RFC 7638 thumbprint.
 *
 * @example
 * ```ts
 * async respondToAccessTokenRequest(req: TokenRequest) {
 *   const binding: DpopBinding | undefined = req.dpop;
 *   return issueTokens({ server: req.server, client: req.client.client, accessTokenTTL: req.accessTokenTTL, dpopJkt: binding?.jkt }, options);
 * }
 * ```
 */
export interface DpopBinding {
  readonly jkt: string;
}

/**
 * A grant type handler: the server authenticates the client, checks the client may use the grant, then
 * dispatches here. Enable one with `server.enableGrantType(grant, 'PT1H')`.
 *
 * @example
 * ```ts
 * class MyGrant implements Grant {
 *   readonly grantType = 'urn:example:my-grant';
 *   readonly allowsPublicClients = false;
 *   async respondToAccessTokenRequest(req: TokenRequest) {
 *     const ctx = { server: req.server, client: req.client.client, accessTokenTTL: req.accessTokenTTL };
 *     return issueTokens(ctx, { userId: undefined, scopes: ['read'], grantType: this.grantType });
 *   }
 * }
 * ```
 */
export interface Grant {
  readonly grantType: GrantType;
  /** Whether public clients (no secret) may use it (RFC 6749 §2.1). */
  readonly allowsPublicClients: boolean;
  respondToAccessTokenRequest(request: TokenRequest): Promise<TokenResponseBody>;
}
