import { assertRedirectUris } from '../contracts/redirect-uri-rules.js';
import { isResourceIdentifier } from '../contracts/resource-identifier.js';
import type { Client, Resource } from '../contracts/types.js';

/**
 * The checks every engine's admin runs before it stores a client (create and update): redirect URIs by the rule of
 * `redirectUriProblem` (https, http on loopback, or a native app's private-use scheme; no fragment), and allowed
 * resources that are resource identifiers (RFC 8707 §2). Throws an `InvalidRedirectUriError` (a `TypeError`) naming
 * the URI and the rule, or a `TypeError` naming the resource or an access-token format other than `jwt` or `opaque`.
 *
 * @example
 * ```ts
 * async createClient(client: Client) { checkClient(client); await insert(client); }
 * ```
 */
export function checkClient(client: Client): void {
  assertRedirectUris(client.redirectUris);
  const format = client.accessTokenFormat;
  if (format !== undefined && format !== 'jwt' && format !== 'opaque') {
    throw new TypeError(`grantry: client ${client.id}: accessTokenFormat must be 'jwt' or 'opaque', not ${String(format)}`);
  }
  for (const id of client.resources ?? []) assertResourceIdentifier(id);
}

function assertResourceIdentifier(id: string): void {
  if (!isResourceIdentifier(id)) {
    throw new TypeError(`grantry: resource ${JSON.stringify(id)} is not an absolute URI without a fragment (RFC 8707 section 2)`);
  }
}

/** RFC 6749 §3.3 scope-token. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/**
 * The checks every engine's admin runs before it stores a resource: the identifier is an absolute URI without a
 * fragment (RFC 8707 §2), the scopes are scope tokens (RFC 6749 §3.3), the lifetime a positive whole number of
 * seconds, the format `jwt` or `opaque`. Throws a `TypeError` naming the problem.
 *
 * @example
 * ```ts
 * async createResource(resource: Resource) { checkResource(resource); await insert(resource); }
 * ```
 */
export function checkResource(resource: Resource): void {
  assertResourceIdentifier(resource.id);
  for (const scope of resource.scopes) {
    if (!SCOPE_TOKEN.test(scope)) throw new TypeError(`grantry: resource scope ${JSON.stringify(scope)} is not a scope token (RFC 6749 section 3.3)`);
  }
  const ttl = resource.accessTokenTTL;
  if (ttl !== undefined && (!Number.isInteger(ttl) || ttl <= 0)) {
    throw new TypeError(`grantry: a resource's accessTokenTTL is a positive whole number of seconds: ${ttl}`);
  }
  const format = resource.accessTokenFormat;
  if (format !== undefined && format !== 'jwt' && format !== 'opaque') {
    throw new TypeError(`grantry: a resource's accessTokenFormat is 'jwt' or 'opaque': ${String(format)}`);
  }
}
