import type { Grant } from '../../contracts/grant.js';
import { OAuthError } from '../../contracts/oauth-error.js';
import { MetadataDocumentClients } from '../metadata-document-clients.js';
import { endpointUrl, type EndpointContext } from './endpoint-options.js';
import { DEVICE_CODE_GRANT_TYPE } from '../../contracts/types.js';
import { CLIENT_SECRET_JWT_ALGORITHMS, PRIVATE_KEY_JWT_ALGORITHMS } from '../../contracts/client-assertion.js';

/**
 * The RFC 8414 §2 authorization server metadata grantry generates (plus any configured extra members).
 *
 * @example
 * ```ts
 * const metadata: AuthorizationServerMetadata = await server.metadata();
 * metadata.token_endpoint; // 'https://auth.example.com/token'
 * metadata.grant_types_supported; // ['client_credentials', 'refresh_token', …]
 * ```
 */
export interface AuthorizationServerMetadata {
  issuer: string;
  authorization_endpoint?: string;
  token_endpoint: string;
  jwks_uri: string;
  scopes_supported?: string[];
  response_types_supported: string[];
  response_modes_supported?: string[];
  grant_types_supported: string[];
  token_endpoint_auth_methods_supported: string[];
  revocation_endpoint: string;
  revocation_endpoint_auth_methods_supported: string[];
  introspection_endpoint: string;
  introspection_endpoint_auth_methods_supported: string[];
  code_challenge_methods_supported?: string[];
  device_authorization_endpoint?: string;
  registration_endpoint?: string;
  authorization_response_iss_parameter_supported?: boolean;
  client_id_metadata_document_supported?: boolean;
  dpop_signing_alg_values_supported?: string[];
  /** RFC 9728 §4: the resources (RFC 8707 identifiers) this server issues tokens for. */
  protected_resources?: string[];
  pushed_authorization_request_endpoint?: string;
  require_pushed_authorization_requests?: boolean;
  token_endpoint_auth_signing_alg_values_supported?: string[];
  [member: string]: unknown;
}

/** What the grants at the authorization endpoint expose (`AuthorizationResponder`, `AuthorizationCodeGrant`). */
interface AuthorizationGrant {
  readonly responseType?: unknown;
  readonly responseMode?: unknown;
  readonly allowPlainPkce?: unknown;
  readonly codeChallengeMethods?: unknown;
}

/**
 * Builds the metadata document (RFC 8414 §2) from what the server really has enabled: endpoints from the issuer
 * (or the configured URLs), grant types, response types and modes of the authorization-endpoint grants, PKCE
 * methods, client authentication methods, and scopes.
 *
 * Access-token signing algorithms have no registered metadata member: each key in the JWKS names its `alg`.
 *
 * @example
 * ```ts
 * const metadata = await buildMetadata(ctx, [new RefreshTokenGrant(storage.refreshTokens)]);
 * metadata.grant_types_supported; // ['refresh_token']
 * ```
 */
export async function buildMetadata(ctx: EndpointContext, grants: readonly Grant[]): Promise<AuthorizationServerMetadata> {
  const { server, options } = ctx;
  const url = (name: Parameters<typeof endpointUrl>[1]): string => endpointUrl(server.issuer, name, options);
  const responders = grants.filter((g): g is Grant & AuthorizationGrant => typeof (g as AuthorizationGrant).responseType === 'string');
  const responseTypes = unique(responders.map((g) => g.responseType as string));
  const responseModes = unique(responders.flatMap((g) => (typeof g.responseMode === 'string' ? [g.responseMode] : [])));
  const pkce = unique(responders.flatMap(pkceMethods));
  const publicClients = grants.some((g) => g.allowsPublicClients);
  const scopes = options.scopesSupported ?? (await server.scopes.listScopes?.())?.map((s) => s.id);
  // RFC 8707 defines no metadata member; RFC 9728 §4 `protected_resources` lists the registered resources.
  const resources = (await server.resources?.listResources())?.map((r) => r.id) ?? [];

  // RFC 7523 §2.2 / OpenID Connect Core §9: with a replay store, JWT client authentication at every endpoint.
  const jwt = server.clientAssertions ? ['private_key_jwt', 'client_secret_jwt'] : [];
  const jwtAlgs = server.clientAssertions ? { signing: [...PRIVATE_KEY_JWT_ALGORITHMS, ...CLIENT_SECRET_JWT_ALGORITHMS] } : undefined;
  const algs = (endpoint: string): Record<string, string[]> => (jwtAlgs ? { [`${endpoint}_endpoint_auth_signing_alg_values_supported`]: jwtAlgs.signing } : {});
  const par = ctx.pushedAuthorization && responders.length > 0 ? ctx.pushedAuthorization : undefined;
  const metadata: AuthorizationServerMetadata = {
    issuer: server.issuer,
    ...(responders.length > 0 ? { authorization_endpoint: url('authorization') } : {}),
    token_endpoint: url('token'),
    jwks_uri: url('jwks'),
    ...(scopes ? { scopes_supported: [...scopes] } : {}),
    // RFC 8414 §2: response_types_supported is REQUIRED; empty when no grant answers at the authorization endpoint.
    response_types_supported: responseTypes,
    ...(responseModes.length > 0 ? { response_modes_supported: responseModes } : {}),
    grant_types_supported: grants.map((g) => g.grantType),
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', ...jwt, ...(publicClients ? ['none'] : [])],
    ...algs('token'),
    revocation_endpoint: url('revocation'),
    // A public client may revoke its own tokens with its client_id (RFC 7009 §5).
    revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', ...jwt, 'none'],
    ...algs('revocation'),
    introspection_endpoint: url('introspection'),
    introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', ...jwt],
    ...algs('introspection'),
    // RFC 9126 §5: the PAR endpoint, and whether every authorization request must go through it.
    ...(par ? { pushed_authorization_request_endpoint: url('pushedAuthorization'), require_pushed_authorization_requests: par.required } : {}),
    ...(pkce.length > 0 ? { code_challenge_methods_supported: pkce } : {}),
    ...(grants.some((g) => g.grantType === DEVICE_CODE_GRANT_TYPE) ? { device_authorization_endpoint: url('deviceAuthorization') } : {}),
    // RFC 8414 §2: "registration_endpoint OPTIONAL. URL of the authorization server's OAuth 2.0 Dynamic Client
    // Registration endpoint [RFC7591]", announced when registration is on.
    ...(options.registration ? { registration_endpoint: url('registration') } : {}),
    // RFC 9207 §3: the authorization endpoint adds `iss` to every authorization response.
    ...(responders.length > 0 ? { authorization_response_iss_parameter_supported: true } : {}),
    // draft-ietf-oauth-client-id-metadata-document §5: servers that support it "MUST include" this member.
    ...(server.clients instanceof MetadataDocumentClients ? { client_id_metadata_document_supported: true } : {}),
    // RFC 9449 §5.1: "dpop_signing_alg_values_supported: A JSON array containing a list of the JWS alg values ...
    // supported by the authorization server for DPoP proof JWTs."
    ...(ctx.dpopAlgorithms ? { dpop_signing_alg_values_supported: [...ctx.dpopAlgorithms] } : {}),
    ...(resources.length > 0 ? { protected_resources: resources } : {}),
  };
  return { ...metadata, ...options.metadata };
}

/** RFC 7636 §4.3 methods a grant accepts: its `codeChallengeMethods`, or S256 (plus plain when allowed). */
function pkceMethods(grant: AuthorizationGrant): string[] {
  if (Array.isArray(grant.codeChallengeMethods)) return grant.codeChallengeMethods.filter((m): m is string => typeof m === 'string');
  if (typeof grant.allowPlainPkce !== 'boolean') return [];
  return grant.allowPlainPkce ? ['S256', 'plain'] : ['S256'];
}

const unique = (values: readonly string[]): string[] => [...new Set(values)];

/**
 * Answers a GET (or HEAD) for a public document with JSON and a cache lifetime; other methods get 405.
 *
 * @example
 * ```ts
 * return publicJson(request, await buildMetadata(ctx, grants), 300);
 * ```
 */
export function publicJson(request: Request, body: unknown, maxAge: number, contentType = 'application/json'): Response {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    throw new OAuthError('invalid_request', 'This endpoint accepts GET only.', { status: 405, headers: { Allow: 'GET, HEAD' } });
  }
  return new Response(request.method === 'HEAD' ? null : JSON.stringify(body), {
    status: 200,
    headers: { 'Content-Type': contentType, 'Cache-Control': `public, max-age=${maxAge}` },
  });
}

/**
 * The metadata endpoint (RFC 8414 §3): `GET /.well-known/oauth-authorization-server` answers the document as
 * `application/json` (RFC 8414 §3.2).
 *
 * @example
 * ```ts
 * if (url.pathname === metadataPath(issuer)) return respondWithMetadata(request, ctx, grants);
 * ```
 */
export async function respondWithMetadata(request: Request, ctx: EndpointContext, grants: readonly Grant[]): Promise<Response> {
  return publicJson(request, await buildMetadata(ctx, grants), ctx.options.publicCacheMaxAge ?? 300);
}
