import { isResourceIdentifier } from '../contracts/resource-identifier.js';
import { publicJson } from './endpoints/metadata.js';

/**
 * The protected resource metadata document (RFC 9728 §2) a resource server publishes about itself.
 *
 * @example
 * ```ts
 * const doc: ProtectedResourceMetadata = rs.protectedResourceMetadata();
 * doc.resource;              // 'https://api.example.com/mcp'
 * doc.authorization_servers; // ['https://auth.example.com']
 * ```
 */
export interface ProtectedResourceMetadata {
  /** REQUIRED: the resource identifier (RFC 9728 §2), the `aud` of the tokens it accepts. */
  resource: string;
  /** Issuer identifiers of the authorization servers that issue tokens for it (RFC 8414). */
  authorization_servers?: string[];
  scopes_supported?: string[];
  /** How a token may be sent (RFC 6750): grantry's middlewares read the `Authorization` header only. */
  bearer_methods_supported?: string[];
  resource_name?: string;
  resource_documentation?: string;
  resource_policy_uri?: string;
  resource_tos_uri?: string;
  [member: string]: unknown;
}

/**
 * What a protected resource metadata document says besides the resource and its authorization servers.
 *
 * @example
 * ```ts
 * const options: ResourceMetadataOptions = { scopesSupported: ['tools:call'], resourceName: 'Example MCP server' };
 * const rs = new ResourceServer({ issuer, resource: 'https://api.example.com/mcp', jwksUri, resourceMetadata: options });
 * ```
 */
export interface ResourceMetadataOptions {
  /** The authorization servers' issuers (default: the resource server's issuer). */
  authorizationServers?: readonly string[];
  /** The scopes this resource understands (RFC 9728 §2 `scopes_supported`). */
  scopesSupported?: readonly string[];
  /** A name for people (RFC 9728 §2 `resource_name`). */
  resourceName?: string;
  /** A page for developers (RFC 9728 §2 `resource_documentation`). */
  resourceDocumentation?: string;
  /** Further members, copied as given (they cannot replace `resource`). */
  extra?: Record<string, unknown>;
}

/**
 * The well-known path of protected resource metadata (RFC 9728 §3).
 *
 * @example
 * ```ts
 * app.get(PROTECTED_RESOURCE_METADATA_PATH, serveMetadata); // '/.well-known/oauth-protected-resource'
 * ```
 */
export const PROTECTED_RESOURCE_METADATA_PATH = '/.well-known/oauth-protected-resource';

/**
 * The URL of a resource's metadata (RFC 9728 §3.1): the well-known path is inserted between the host and the path
 * (and query) of the resource identifier, whose terminating slash after the host is removed first.
 *
 * @example
 * ```ts
 * protectedResourceMetadataUrl('https://api.example.com/mcp'); // 'https://api.example.com/.well-known/oauth-protected-resource/mcp'
 * protectedResourceMetadataUrl('https://api.example.com');     // 'https://api.example.com/.well-known/oauth-protected-resource'
 * ```
 */
export function protectedResourceMetadataUrl(resource: string): string {
  const url = new URL(resource);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new TypeError(`grantry: protected resource metadata needs an http(s) resource identifier: ${resource}`);
  }
  const path = url.pathname === '/' ? '' : url.pathname;
  return `${url.origin}${PROTECTED_RESOURCE_METADATA_PATH}${path}${url.search}`;
}

/**
 * The RFC 9728 §2 document of a resource.
 *
 * @example
 * ```ts
 * const doc = protectedResourceMetadata('https://api.example.com/mcp', {
 *   authorizationServers: ['https://auth.example.com'], scopesSupported: ['tools:call'], resourceName: 'MCP',
 * });
 * ```
 */
export function protectedResourceMetadata(resource: string, options: ResourceMetadataOptions = {}): ProtectedResourceMetadata {
  if (!isResourceIdentifier(resource)) throw new TypeError(`grantry: ${JSON.stringify(resource)} is not an absolute URI without a fragment`);
  return {
    ...options.extra,
    resource,
    ...(options.authorizationServers ? { authorization_servers: [...options.authorizationServers] } : {}),
    ...(options.scopesSupported ? { scopes_supported: [...options.scopesSupported] } : {}),
    // RFC 9728 §2 bearer_methods_supported: RFC 6750 §2.1 header only (no form body or query token).
    bearer_methods_supported: ['header'],
    ...(options.resourceName === undefined ? {} : { resource_name: options.resourceName }),
    ...(options.resourceDocumentation === undefined ? {} : { resource_documentation: options.resourceDocumentation }),
  };
}

/**
 * What serves protected resource metadata: a `ResourceServer` with a `resource`, or anything with these two.
 *
 * @example
 * ```ts
 * const source: ProtectedResourceMetadataSource = rs; // new ResourceServer({ …, resource: 'https://api.example.com/mcp' })
 * ```
 */
export interface ProtectedResourceMetadataSource {
  /** The URL of the document (RFC 9728 §3.1); `undefined` when there is none to serve. */
  readonly resourceMetadataUrl?: string | undefined;
  protectedResourceMetadata?(): ProtectedResourceMetadata;
}

/**
 * Answers a request for the source's metadata document, or `undefined` when the request is for something else:
 * the path of RFC 9728 §3.1 (`/.well-known/oauth-protected-resource/mcp` for `https://api.example.com/mcp`) and,
 * for clients that look there first, the bare `/.well-known/oauth-protected-resource`. GET and HEAD, JSON,
 * cacheable for `maxAge` seconds (default 300).
 *
 * @example
 * ```ts
 * const metadata = respondToProtectedResourceMetadataRequest(rs, request.method, new URL(request.url).pathname);
 * if (metadata) return metadata;
 * ```
 */
export function respondToProtectedResourceMetadataRequest(
  source: ProtectedResourceMetadataSource,
  method: string,
  pathname: string,
  maxAge = 300,
): Response | undefined {
  const url = source.resourceMetadataUrl;
  if (url === undefined || !source.protectedResourceMetadata) return undefined;
  if (pathname !== new URL(url).pathname && pathname !== PROTECTED_RESOURCE_METADATA_PATH) return undefined;
  if (method !== 'GET' && method !== 'HEAD') return undefined;
  return publicJson(new Request('http://metadata.invalid/', { method }), source.protectedResourceMetadata(), maxAge);
}
