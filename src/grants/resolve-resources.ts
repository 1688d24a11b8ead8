import { paramValues, type Params } from '../contracts/form.js';
import { OAuthError } from '../contracts/oauth-error.js';
import { isResourceIdentifier } from '../contracts/resource-identifier.js';
import type { ServerContext } from '../contracts/server-context.js';
import type { AccessTokenFormat, Client, Resource } from '../contracts/types.js';

/**
 * The `resource` parameters of a request (RFC 8707 §2), in the order sent, without repeats. Each must be an
 * absolute URI without a fragment, else `invalid_target`.
 *
 * @example
 * ```ts
 * const requested = requestedResources(params); // [] when the client sent none
 * ```
 */
export function requestedResources(params: Params): string[] {
  const values = paramValues(params, 'resource');
  for (const value of values) {
    // RFC 8707 §2: "MUST be an absolute URI … MUST NOT include a fragment component".
    if (!isResourceIdentifier(value)) throw OAuthError.invalidTarget('A resource must be an absolute URI without a fragment (RFC 8707 section 2).');
  }
  return [...new Set(values)];
}

/**
 * What to resolve the resources of a token (or an authorization) against.
 *
 * @example
 * ```ts
 * const target = await resolveResources({ server, client, requested: requestedResources(params), scopes,
 *   scopeRequested: params.has('scope'), accessTokenTTL: req.accessTokenTTL } satisfies ResolveResourcesOptions);
 * ```
 */
export interface ResolveResourcesOptions {
  readonly server: ServerContext;
  readonly client: Client;
  /** The `resource` values sent (see {@link requestedResources}). */
  readonly requested: readonly string[];
  /**
   * The resources of the grant being used (a code's, a refresh token's, a device code's): the request may name a
   * subset of them, never another, and naming none means all of them. Absent for a request that starts a grant.
   */
  readonly granted?: readonly string[] | undefined;
  /** The scopes resolved for the request. */
  readonly scopes: readonly string[];
  /** Whether the client named the scopes (`scope` sent); a named scope that applies to no resource is `invalid_scope`. */
  readonly scopeRequested: boolean;
  /** The grant's access-token lifetime, in seconds. */
  readonly accessTokenTTL: number;
}

/**
 * The resources an access token is for, and what they change about it.
 *
 * @example
 * ```ts
 * const { resources, scopes, accessTokenTTL }: ResourceTarget = await resolveResources(options);
 * return issueTokens({ server, client, accessTokenTTL }, { userId, scopes, resources, grantType });
 * ```
 */
export interface ResourceTarget {
  /** The resource identifiers: the token's `aud`. Empty: no resource was named, the server's default audience. */
  readonly resources: readonly string[];
  /** The scopes, narrowed to those that apply to the resources. */
  readonly scopes: string[];
  /** The shortest access-token lifetime among the resources that set one, else the grant's (seconds). */
  readonly accessTokenTTL: number;
  /** The access-token format the resources name (they must agree), else undefined: the client's or the server's. */
  readonly accessTokenFormat?: AccessTokenFormat | undefined;
}

/**
 * RFC 8707 at the token and authorization endpoints: every requested resource must be registered and allowed for
 * the client (else `invalid_target`), and within the grant's resources when a grant is being used; the scopes are
 * narrowed to the scopes that apply to the resources (RFC 8707 §2: the server "can use the resource parameter to
 * determine ... the scope of the access token"), and the lifetime is the resources' own when they set one.
 *
 * @example
 * ```ts
 * const target = await resolveResources({ server, client, requested: requestedResources(params),
 *   granted: record.resources ?? [], scopes, scopeRequested: false, accessTokenTTL: req.accessTokenTTL });
 * ```
 */
export async function resolveResources(options: ResolveResourcesOptions): Promise<ResourceTarget> {
  const { server, client, requested, granted } = options;
  let ids = requested;
  if (granted !== undefined) {
    // The grant's resources are a ceiling: a request names a subset (one of them, say) or, naming none, gets them all.
    if (requested.some((r) => !granted.includes(r))) throw OAuthError.invalidTarget('A requested resource is not part of the grant.');
    if (requested.length === 0) ids = granted;
  }
  if (ids.length === 0) return { resources: [], scopes: [...options.scopes], accessTokenTTL: options.accessTokenTTL };
  const resources = await Promise.all(ids.map((id) => findAllowedResource(server, client, id)));

  // Per-resource scopes: a resource that names its scopes limits the token to them; one with none limits nothing.
  const limiting = resources.filter((r) => r.scopes.length > 0);
  let scopes = [...options.scopes];
  if (limiting.length === resources.length) {
    const applicable = new Set(limiting.flatMap((r) => r.scopes));
    if (options.scopeRequested && scopes.some((s) => !applicable.has(s))) {
      throw OAuthError.invalidScope('A requested scope does not apply to the requested resource.');
    }
    scopes = scopes.filter((s) => applicable.has(s));
  }
  const ttls = resources.flatMap((r) => (r.accessTokenTTL === undefined ? [] : [r.accessTokenTTL]));
  // One token cannot be both: resources that name different formats are asked for one at a time.
  const formats = new Set(resources.flatMap((r) => (r.accessTokenFormat === undefined ? [] : [r.accessTokenFormat])));
  if (formats.size > 1) throw OAuthError.invalidTarget('The requested resources need different access token formats: ask for one at a time.');
  const [accessTokenFormat] = formats;
  return {
    resources: ids,
    scopes,
    accessTokenTTL: ttls.length > 0 ? Math.min(...ttls) : options.accessTokenTTL,
    ...(accessTokenFormat === undefined ? {} : { accessTokenFormat }),
  };
}

async function findAllowedResource(server: ServerContext, client: Client, id: string): Promise<Resource> {
  const resource = await server.resources?.getResource(id);
  // RFC 8707 §2: invalid_target when "the requested resource is invalid, missing, unknown, or malformed".
  if (!resource) throw OAuthError.invalidTarget('The requested resource is unknown.');
  if (client.resources !== undefined && client.resources.length > 0 && !client.resources.includes(id)) {
    throw OAuthError.invalidTarget('The requested resource is not allowed for this client.');
  }
  return resource;
}

/**
 * The `aud` of an access token for these resources (RFC 9068 §2.2, RFC 8707 §2): the one identifier, or the
 * list; without resources, the server's default audience.
 *
 * @example
 * ```ts
 * audienceFor(server, ['https://api.example.com']); // 'https://api.example.com'
 * audienceFor(server, []);                          // server.audience (the issuer unless configured)
 * ```
 */
export function audienceFor(server: ServerContext, resources: readonly string[]): string | readonly string[] {
  if (resources.length === 0) return server.audience;
  return resources.length === 1 ? resources[0]! : [...resources];
}
