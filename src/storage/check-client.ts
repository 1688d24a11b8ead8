import { assertRedirectUris } from '../contracts/redirect-uri-rules.js';
import { isResourceIdentifier } from '../contracts/resource-identifier.js';
import type { Client, Resource } from '../contracts/types.js';

const METHODS = new Set(['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'client_secret_jwt', 'none']);
/** RFC 7518 §3.2: an HMAC key at least as long as the hash output (32 bytes for HS256). */
const MIN_JWT_SECRET_LENGTH = 32;

/**
 * The checks every engine's admin runs before it stores a client (create and update): redirect URIs by the rule of
 * `redirectUriProblem` (https, http on loopback, or a native app's private-use scheme; no fragment), allowed
 * resources that are resource identifiers (RFC 8707 §2), and a consistent authentication method (RFC 7591 §2). Throws an
 * `InvalidRedirectUriError` (a `TypeError`) naming the URI and the rule, or a `TypeError` naming the problem.
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
  checkAuthentication(client);
}

function checkAuthentication(client: Client): void {
  const method = client.tokenEndpointAuthMethod;
  const fail = (why: string): never => {
    throw new TypeError(`grantry: client ${client.id}: ${why}`);
  };
  if (method !== undefined && !METHODS.has(method)) fail(`unknown token_endpoint_auth_method ${String(method)}`);
  const secret = method === 'client_secret_basic' || method === 'client_secret_post';
  if (secret && client.secretHash === undefined) fail(`${method} needs a client secret`);
  if (!secret && method !== undefined && client.secretHash !== undefined) fail(`a client registered for ${method} has no client secret`);
  // RFC 7591 §2: "The "jwks_uri" and "jwks" parameters MUST NOT both be present in the same request or response."
  if (client.jwks !== undefined && client.jwksUri !== undefined) fail('give jwks or jwks_uri, not both (RFC 7591 §2)');
  if (client.jwks !== undefined) checkJwks(client.jwks, fail);
  if (client.jwksUri !== undefined) checkJwksUri(client.jwksUri, fail);
  if (method === 'private_key_jwt' && client.jwks === undefined && client.jwksUri === undefined) fail('private_key_jwt needs jwks or jwks_uri');
  if (method === 'client_secret_jwt' && (client.secretForJwt === undefined || [...client.secretForJwt].length < MIN_JWT_SECRET_LENGTH)) {
    fail(`client_secret_jwt needs a secret of at least ${MIN_JWT_SECRET_LENGTH} characters (RFC 7518 §3.2)`);
  }
  if (method !== 'client_secret_jwt' && client.secretForJwt !== undefined) fail('only a client_secret_jwt client has a secret for JWTs');
}

function checkJwks(jwks: unknown, fail: (why: string) => never): void {
  const keys = (jwks as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0) fail('jwks must be a JWK set with at least one key ({"keys": [...]})');
  for (const key of keys as unknown[]) {
    if (typeof key !== 'object' || key === null || typeof (key as { kty?: unknown }).kty !== 'string') fail('every key of jwks needs a kty');
    // RFC 7517 §4: a client registers public keys only; a private member here is a leaked key.
    if (['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'].some((m) => m in key)) fail('jwks holds a private or symmetric key; register the public keys only');
  }
}

function checkJwksUri(uri: string, fail: (why: string) => never): void {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return fail(`jwks_uri ${uri} is not a URL`);
  }
  const loopback = url.hostname === 'localhost' || url.hostname === '127.0.0.1' || url.hostname === '[::1]';
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) fail(`jwks_uri must be https (http only on loopback): ${uri}`);
  if (url.hash !== '' || url.username !== '' || url.password !== '') fail(`jwks_uri must have no fragment or credentials: ${uri}`);
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
