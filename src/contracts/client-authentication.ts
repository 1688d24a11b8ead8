import type { EventEmitter, GrantryEvents } from './events.js';
import type { Params } from './form.js';
import type { AnyRequest } from './plain-request.js';
import { OAuthError, type Guess } from './oauth-error.js';
import type { Client, TokenEndpointAuthMethod } from './types.js';
import type { ClientRepository } from './repositories.js';
import { verifyClientSecret } from './client-secret.js';
import { decodeJwt } from '../tokens/jwt.js';
import { CLIENT_SECRET_JWT_ALGORITHMS, JWT_BEARER_ASSERTION_TYPE, type ClientAssertionVerifier } from './client-assertion.js';

/**
 * How a client proved who it is (RFC 8414 `token_endpoint_auth_methods_supported`).
 *
 * @example
 * ```ts
 * const { method } = await authenticateClient(request, params, { clients, events });
 * if (method === 'none') throw OAuthError.unauthorizedClient('Confidential clients only.');
 * ```
 */
export type ClientAuthMethod = TokenEndpointAuthMethod;

/**
 * The outcome of client authentication.
 *
 * @example
 * ```ts
 * const authenticated: AuthenticatedClient = await authenticateClient(request, params, { clients, events });
 * console.log(authenticated.client.id, authenticated.method); // 'app' 'client_secret_basic'
 * ```
 */
export interface AuthenticatedClient {
  readonly client: Client;
  readonly method: ClientAuthMethod;
}

interface BasicCredentials {
  id: string;
  secret: string;
}

// Buffer is a global on Node, Bun and Deno; elsewhere `atob` decodes.
const NodeBuffer = (globalThis as { Buffer?: typeof Buffer }).Buffer;
const utf8Strict = new TextDecoder('utf-8', { fatal: true });
const BASIC = /^basic +([A-Za-z0-9+/]+={0,2}) *$/i;

/** The bytes of standard base64 with `atob`'s strictness (padding only to a multiple of 4, never a lone sextet). */
function decodeBase64(b64: string): Uint8Array | undefined {
  const padded = b64.charCodeAt(b64.length - 1) === 61; /* = */
  if (padded ? b64.length % 4 !== 0 : b64.length % 4 === 1) return undefined;
  // One native decode on Node; atob + a byte copy elsewhere.
  if (NodeBuffer) return NodeBuffer.from(b64, 'base64');
  try {
    return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
}

/** A form-url-encoded value (`+` is a space); the common case, with neither `%` nor `+`, is returned as it is. */
function formDecode(value: string): string {
  return value.includes('%') || value.includes('+') ? decodeURIComponent(value.replace(/\+/g, ' ')) : value;
}

/**
 * RFC 6749 §2.3.1: the id and secret are form-url-encoded, then joined with ':' and base64-encoded. The secret may
 * itself contain ':' (only the first separates); `+` decodes to a space as in any form value.
 */
function parseBasic(header: string): BasicCredentials | undefined {
  const match = BASIC.exec(header);
  if (!match) return undefined;
  const bytes = decodeBase64(match[1]!);
  if (bytes === undefined) return undefined;
  let decoded: string;
  try {
    decoded = utf8Strict.decode(bytes);
  } catch {
    return undefined;
  }
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  try {
    const id = formDecode(decoded.slice(0, colon));
    const secret = formDecode(decoded.slice(colon + 1));
    return id === '' ? undefined : { id, secret };
  } catch {
    return undefined;
  }
}

/** RFC 6749 Appendix A.1: client-id = *VSCHAR (%x20-7E). Non-ASCII ids are tolerated; control characters never. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\x00-\x1F\x7F]/;

/**
 * Whether a client id can name a client: no control characters (RFC 6749 Appendix A.1). Anything else is refused
 * before it reaches storage, where a NUL would fail a PostgreSQL query (a 500 from client input).
 *
 * @example
 * ```ts
 * isWellFormedClientId('app'); // true
 * isWellFormedClientId('a\u0000b'); // false
 * ```
 */
export function isWellFormedClientId(id: string): boolean {
  return !CONTROL.test(id);
}

/**
 * Dependencies of {@link authenticateClient}.
 *
 * @example
 * ```ts
 * const ctx: ClientAuthenticationContext = { clients: storage.clients, events: server.events };
 * const { client } = await authenticateClient(request, await readForm(request), ctx);
 * ```
 */
export interface ClientAuthenticationContext {
  readonly clients: ClientRepository;
  readonly events: EventEmitter<GrantryEvents>;
  /** Verifies JWT client assertions (`private_key_jwt`, `client_secret_jwt`); without it they are refused. */
  readonly clientAssertions?: ClientAssertionVerifier | undefined;
}

/**
 * The client credentials a request presents, read by the RFC 6749 §2.3.1 rules: `id` and `secret` from HTTP Basic
 * or from the body (`client_secret_post`), `method` the way they came. `id` is `undefined` when none was sent or
 * the Basic header is malformed.
 *
 * @example
 * ```ts
 * const credentials: ClientCredentials = readClientCredentials(request, await readForm(request));
 * credentials.secret !== undefined; // a secret was presented: a wrong one is a guess
 * ```
 */
export interface ClientCredentials {
  readonly id: string | undefined;
  readonly secret: string | undefined;
  readonly method: ClientAuthMethod;
  /** Whether the `Authorization` header asked for HTTP Basic (RFC 6749 §5.2: then answer 401 with a challenge). */
  readonly usedBasic: boolean;
  /** The JWT of `client_assertion` (RFC 7523 §2.2), not yet verified; `id` is then its `sub`. */
  readonly assertion?: string | undefined;
}

const readCredentials = new WeakMap<AnyRequest, ClientCredentials>();

/**
 * Reads the client credentials of a request once (the same answer for a limiter and for
 * {@link authenticateClient}): HTTP Basic or `client_id`/`client_secret` in the body, never both (RFC 6749 §2.3:
 * "MUST NOT use more than one authentication method in each request"), which throws `invalid_request`.
 * It checks nothing against storage.
 *
 * @example
 * ```ts
 * const params = await readForm(request);
 * const { id, secret } = readClientCredentials(request, params);
 * ```
 */
export function readClientCredentials(request: AnyRequest, params: Params): ClientCredentials {
  const cached = readCredentials.get(request);
  if (cached) return cached;
  const header = request.headers.get('authorization');
  const usedBasic = header !== null && /^basic /i.test(header);
  let credentials: ClientCredentials;
  if (usedBasic) {
    const basic = parseBasic(header);
    if (basic && (params.has('client_secret') || params.has('client_assertion'))) throw OAuthError.invalidRequest('Use one client authentication method, not two.');
    const bodyId = params.get('client_id');
    if (basic && bodyId !== undefined && bodyId !== basic.id) throw OAuthError.invalidRequest('client_id does not match the Authorization header.');
    credentials = { id: basic?.id, secret: basic?.secret, method: 'client_secret_basic', usedBasic };
  } else if (params.has('client_assertion') || params.has('client_assertion_type')) {
    credentials = readAssertion(params);
  } else {
    const secret = params.get('client_secret');
    credentials = { id: params.get('client_id'), secret, method: secret === undefined ? 'none' : 'client_secret_post', usedBasic };
  }
  readCredentials.set(request, credentials);
  return credentials;
}

/**
 * RFC 7521 §4.2 / RFC 7523 §2.2: `client_assertion_type` and `client_assertion` together, the client identified by
 * the assertion's `sub`; `client_id`, if sent, "MUST identify the same client". The method follows the JWS `alg`:
 * HMAC is `client_secret_jwt`, anything else `private_key_jwt` (checked against the registration later).
 */
function readAssertion(params: Params): ClientCredentials {
  const type = params.get('client_assertion_type');
  const assertion = params.get('client_assertion');
  if (params.has('client_secret')) throw OAuthError.invalidRequest('Use one client authentication method, not two.');
  if (type === undefined || assertion === undefined) throw OAuthError.invalidRequest('Send client_assertion_type and client_assertion together.');
  if (type !== JWT_BEARER_ASSERTION_TYPE) throw OAuthError.invalidRequest(`The client_assertion_type must be ${JWT_BEARER_ASSERTION_TYPE}.`);
  const decoded = decodeJwt(assertion);
  const sub = decoded?.payload.sub;
  const bodyId = params.get('client_id');
  const id = typeof sub === 'string' && sub !== '' ? sub : bodyId;
  if (bodyId !== undefined && id !== bodyId) throw OAuthError.invalidRequest('client_id does not match the client assertion.');
  const method = decoded !== undefined && CLIENT_SECRET_JWT_ALGORITHMS.includes(decoded.header.alg) ? 'client_secret_jwt' : 'private_key_jwt';
  return { id, secret: undefined, method, usedBasic: false, assertion };
}

/** The method a client must use (RFC 7591 §2): the registered one, else a secret (either way) or `none`. */
function registeredMethods(client: Client): readonly ClientAuthMethod[] {
  if (client.tokenEndpointAuthMethod !== undefined) return [client.tokenEndpointAuthMethod];
  return client.secretHash === undefined ? PUBLIC_METHODS : SECRET_METHODS;
}

const PUBLIC_METHODS: readonly ClientAuthMethod[] = Object.freeze(['none'] as const);
const SECRET_METHODS: readonly ClientAuthMethod[] = Object.freeze(['client_secret_basic', 'client_secret_post'] as const);

/**
 * Authenticates the client of a token, revocation or introspection request (RFC 6749 §2.3) with the credentials
 * of {@link readClientCredentials}. A public client identifies itself with `client_id` alone. A wrong secret for a
 * confidential client throws `invalid_client` carrying a {@link Guess} naming the client id; a secret for an
 * unknown client id, a guess without a subject (it counts against the source only).
 *
 * @example
 * ```ts
 * const { client, method } = await authenticateClient(request, params, { clients, events });
 * ```
 */
export async function authenticateClient(
  request: AnyRequest,
  params: Params,
  ctx: ClientAuthenticationContext,
): Promise<AuthenticatedClient> {
  const { id, secret, method, usedBasic, assertion } = readClientCredentials(request, params);
  const fail = (clientId: string | undefined, reason: GrantryEvents['client.authentication_failed']['reason'], guess?: Guess): never => {
    ctx.events.emit('client.authentication_failed', { clientId, reason });
    throw OAuthError.invalidClient(usedBasic, undefined, guess);
  };

  if (id === undefined) return fail(undefined, 'missing_credentials');
  if (!isWellFormedClientId(id)) return fail(undefined, 'unknown_client');

  let client: Client | undefined;
  try {
    client = await ctx.clients.getClient(id);
  } catch (error) {
    // A repository that refuses a client id with a reason (a client ID metadata document that cannot be used):
    // answered as any failed client authentication (RFC 6749 §5.2, 401), with that reason as the description.
    if (!(error instanceof OAuthError) || error.code !== 'invalid_client') throw error;
    ctx.events.emit('client.authentication_failed', { clientId: id, reason: 'unknown_client' });
    throw OAuthError.invalidClient(usedBasic, error.description);
  }
  if (!client) {
    // Spend the same work as a real check so that timing does not tell which client ids exist.
    if (secret !== undefined) await verifyClientSecret(secret, 'sha256$');
    return fail(id, 'unknown_client', secret === undefined ? undefined : { kind: 'client_secret' });
  }
  const allowed = registeredMethods(client);
  if (assertion !== undefined) {
    // RFC 7591 §2: a client registered for a method uses that one.
    if (!allowed.includes(method)) return fail(id, 'wrong_method');
    const jwtMethod = method as 'private_key_jwt' | 'client_secret_jwt';
    if (!ctx.clientAssertions) return fail(id, 'bad_assertion');
    const failure = await ctx.clientAssertions.verify(assertion, client, jwtMethod);
    // A wrong HMAC is a guess at the shared secret; a bad signature is not guessable and counts against the source.
    if (failure !== undefined) return fail(id, failure, failure === 'bad_assertion' && jwtMethod === 'client_secret_jwt' ? { kind: 'client_secret', subject: id } : undefined);
    return { client, method: jwtMethod };
  }
  if (client.tokenEndpointAuthMethod === 'private_key_jwt' || client.tokenEndpointAuthMethod === 'client_secret_jwt') {
    return fail(id, secret === undefined ? 'missing_credentials' : 'wrong_method');
  }
  if (client.secretHash === undefined) {
    // A public client has no secret to present (RFC 6749 §2.1); one that sends a secret is misconfigured.
    if (secret !== undefined && secret !== '') return fail(id, 'public_client');
    return { client, method: 'none' };
  }
  if (secret === undefined) return fail(id, 'missing_credentials');
  if (!(await verifyClientSecret(secret, client.secretHash))) return fail(id, 'bad_secret', { kind: 'client_secret', subject: id });
  if (!allowed.includes(method)) return fail(id, 'wrong_method');
  return { client, method };
}
