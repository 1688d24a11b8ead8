import { generateClientSecret, hashClientSecret, verifyClientSecret } from '../../contracts/client-secret.js';
import type { ClientRegistration } from '../../contracts/client-registration-repository.js';
import { readRequestText } from '../../contracts/form.js';
import { NO_STORE_HEADERS, OAuthError } from '../../contracts/oauth-error.js';
import type { AnyRequest } from '../../contracts/plain-request.js';
import type { ServerContext } from '../../contracts/server-context.js';
import type { Client, ClientJwks } from '../../contracts/types.js';
import { encodeBase64url } from '../../tokens/base64url.js';
import { SECRET_AUTH_METHODS, validateClientMetadata, type AcceptedClientMetadata, type ClientMetadataPolicy } from './client-metadata.js';
import {
  DEFAULT_REGISTRATION_AUTH_METHODS,
  DEFAULT_REGISTRATION_GRANT_TYPES,
  type RegistrationOptions,
} from './registration-options.js';
import { toEpochSeconds } from '../../tokens/time-units.js';

/**
 * What the registration endpoint receives from the server.
 *
 * @example
 * ```ts
 * const ctx: RegistrationContext = { server: await server.context(), options: registration,
 *   endpointUrl: 'https://auth.example.com/register', enabledGrantTypes: server.enabledGrantTypes, maxBodyBytes: 16384 };
 * const response = await respondToRegistration(request, ctx);
 * ```
 */
export interface RegistrationContext {
  readonly server: ServerContext;
  readonly options: RegistrationOptions;
  /** The absolute URL of the registration endpoint; a client's configuration endpoint is this plus `/{client_id}`. */
  readonly endpointUrl: string;
  readonly enabledGrantTypes: readonly string[];
  readonly maxBodyBytes: number;
}

/** Fields a client update must not carry (RFC 7592 §2.2): the server assigns them. */
const SERVER_FIELDS = ['registration_access_token', 'registration_client_uri', 'client_secret_expires_at', 'client_id_issued_at'];
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/** 401 `invalid_token` with its challenge (RFC 6750 §3.1), for a missing or wrong initial or registration access token. */
const invalidToken = (description: string): OAuthError =>
  new OAuthError('invalid_token', description, { status: 401, headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' } });

function bearerOf(request: AnyRequest): string | undefined {
  const header = request.headers.get('authorization');
  return header === null ? undefined : BEARER.exec(header)?.[1];
}

const json = (status: number, body: unknown): Response => new Response(JSON.stringify(body), { status, headers: NO_STORE_HEADERS });

/**
 * The client registration endpoint (RFC 7591 §3) and the client configuration endpoint (RFC 7592 §2): `POST` at the
 * registration URL registers, `GET`, `PUT` and `DELETE` at `{registration URL}/{client_id}` read, replace and
 * delete, with the registration access token as a bearer token. Throws an {@link OAuthError} for every refusal.
 *
 * @example
 * ```ts
 * const response = await respondToRegistration(request, ctx); // 201 with client_id, registration_access_token, …
 * ```
 */
export async function respondToRegistration(request: Request, ctx: RegistrationContext): Promise<Response> {
  const base = new URL(ctx.endpointUrl).pathname.replace(/\/+$/, '');
  const path = new URL(request.url).pathname;
  if (path === base) {
    if (request.method !== 'POST') throw methodNotAllowed('POST');
    return register(request, ctx);
  }
  const rest = path.startsWith(`${base}/`) ? path.slice(base.length + 1) : '';
  if (rest === '' || rest.includes('/')) throw new OAuthError('invalid_request', 'No such registration endpoint.', { status: 404 });
  let clientId: string;
  try {
    clientId = decodeURIComponent(rest);
  } catch {
    throw invalidToken('The registration access token is invalid.');
  }
  switch (request.method) {
    case 'GET':
      return read(request, clientId, ctx);
    case 'PUT':
      return update(request, clientId, ctx);
    case 'DELETE':
      return remove(request, clientId, ctx);
    default:
      throw methodNotAllowed('GET, PUT, DELETE');
  }
}

const methodNotAllowed = (allow: string): OAuthError =>
  new OAuthError('invalid_request', `This endpoint accepts ${allow} only.`, { status: 405, headers: { Allow: allow } });

/** RFC 7591 §3.1: "the client sends an HTTP POST to the client registration endpoint with a content type of application/json". */
async function readMetadata(request: AnyRequest, ctx: RegistrationContext): Promise<Record<string, unknown>> {
  const type = request.headers.get('content-type')?.split(';', 1)[0]?.trim().toLowerCase();
  if (type !== 'application/json') throw OAuthError.invalidRequest('The body must be application/json (RFC 7591 section 3.1).');
  let body: unknown;
  try {
    body = JSON.parse(await readRequestText(request, ctx.maxBodyBytes));
  } catch (error) {
    if (error instanceof OAuthError) throw error;
    throw OAuthError.invalidRequest('The body is not valid JSON.');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw OAuthError.invalidClientMetadata('The body must be a JSON object of client metadata.');
  return body as Record<string, unknown>;
}

function policyOf(ctx: RegistrationContext): ClientMetadataPolicy {
  const allowed = ctx.options.grantTypes ?? DEFAULT_REGISTRATION_GRANT_TYPES;
  return {
    grantTypes: allowed.filter((g) => g !== 'password' && ctx.enabledGrantTypes.includes(g)),
    authMethods: ctx.options.tokenEndpointAuthMethods ?? DEFAULT_REGISTRATION_AUTH_METHODS,
    scopes: ctx.options.scopes,
    knownScopes: async (ids) => (await ctx.server.scopes.getScopes(ids)).map((s) => s.id),
  };
}

/** A random identifier or token: 128 bits for a client id, 256 for a token. */
const randomId = (ctx: RegistrationContext, bytes: number): string => encodeBase64url(ctx.server.crypto.randomBytes(bytes));

async function register(request: Request, ctx: RegistrationContext): Promise<Response> {
  // RFC 7591 §3: an initial access token, when the server requires one, is an OAuth 2.0 bearer token (RFC 6750).
  const initialToken = ctx.options.mode === 'initial-access-token' ? bearerOf(request) : undefined;
  if (ctx.options.mode === 'initial-access-token' && initialToken === undefined) {
    throw invalidToken('An initial access token is required to register (RFC 7591 section 3).');
  }
  const accepted = await validateClientMetadata(await readMetadata(request, ctx), policyOf(ctx));
  const now = ctx.server.clock.now();
  if (initialToken !== undefined) {
    // Spent only now, so that refused metadata does not use up a single-use token; one atomic step in storage.
    const used = await ctx.options.initialAccessTokens!.use(await ctx.server.crypto.sha256(initialToken), now);
    if (!used) throw invalidToken('The initial access token is invalid, expired or used up.');
  }
  const clientId = randomId(ctx, 16);
  const secret = SECRET_AUTH_METHODS.includes(accepted.authMethod) ? await generateClientSecret() : undefined;
  const token = randomId(ctx, 32);
  const registration: ClientRegistration = {
    clientId,
    accessTokenHash: await ctx.server.crypto.sha256(token),
    metadata: accepted.metadata,
    issuedAt: now,
  };
  await ctx.options.clients.register(clientOf(clientId, accepted, secret === undefined ? undefined : await hashClientSecret(secret)), registration);
  ctx.server.events.emit('client.registered', { clientId, grantTypes: accepted.grantTypes, initialAccessToken: initialToken !== undefined });
  // RFC 7591 §3.2.1: "The server responds with an HTTP 201 Created status code".
  return json(201, { ...informationOf(registration, ctx), ...secretFields(secret), registration_access_token: token });
}

function clientOf(clientId: string, accepted: AcceptedClientMetadata, secretHash: string | undefined): Client {
  return {
    id: clientId,
    name: accepted.name ?? clientId,
    ...(secretHash === undefined ? {} : { secretHash }),
    redirectUris: accepted.redirectUris,
    grantTypes: accepted.grantTypes,
    scopes: accepted.scopes,
    // Registered clients never get permissions (such as introspecting other clients' tokens).
    origin: 'registration',
    ...keysOf(accepted),
  };
}

/**
 * RFC 7591 §2 / RFC 7523 §2.2: a client registered for `private_key_jwt` authenticates only with an assertion signed
 * by one of the keys it registered (`jwks`, or `jwks_uri`, fetched SSRF-safe). Other methods keep the secret rules.
 */
function keysOf(accepted: AcceptedClientMetadata): Partial<Client> {
  if (accepted.authMethod !== 'private_key_jwt') return {};
  const { jwks, jwks_uri: jwksUri } = accepted.metadata;
  return {
    tokenEndpointAuthMethod: 'private_key_jwt',
    ...(jwks === undefined ? {} : { jwks: jwks as ClientJwks }),
    ...(typeof jwksUri === 'string' ? { jwksUri } : {}),
  };
}

/**
 * RFC 7591 §3.2.1 / RFC 7592 §3: the client information response. grantry stores only hashes of the client secret
 * and of the registration access token, so they appear in the response that issues them and never again.
 */
function informationOf(registration: ClientRegistration, ctx: RegistrationContext): Record<string, unknown> {
  return {
    client_id: registration.clientId,
    client_id_issued_at: toEpochSeconds(registration.issuedAt),
    ...registration.metadata,
    registration_client_uri: `${ctx.endpointUrl.replace(/\/+$/, '')}/${encodeURIComponent(registration.clientId)}`,
  };
}

/** RFC 7591 §3.2.1: client_secret_expires_at is "REQUIRED if client_secret is issued"; 0: it does not expire. */
const secretFields = (secret: string | undefined): Record<string, unknown> =>
  secret === undefined ? {} : { client_secret: secret, client_secret_expires_at: 0 };

/**
 * RFC 7592 §2: the registration access token as a bearer token, compared in constant time with the stored hash.
 * RFC 7592 §2.1: for a client that does not exist the server "MUST respond with HTTP 401 Unauthorized".
 */
async function authorize(request: AnyRequest, clientId: string, ctx: RegistrationContext): Promise<ClientRegistration> {
  const token = bearerOf(request);
  if (token === undefined) throw invalidToken('The registration access token is required.');
  const [registration, hash] = await Promise.all([ctx.options.clients.find(clientId), ctx.server.crypto.sha256(token)]);
  if (!registration || !ctx.server.crypto.timingSafeEqual(hash, registration.accessTokenHash)) {
    throw invalidToken('The registration access token is invalid.');
  }
  return registration;
}

/** RFC 7592 §2.1: the client read request. */
async function read(request: Request, clientId: string, ctx: RegistrationContext): Promise<Response> {
  const registration = await authorize(request, clientId, ctx);
  return json(200, informationOf(registration, ctx));
}

/** RFC 7592 §2.2: the client update request replaces the registration; omitted fields go back to their defaults. */
async function update(request: Request, clientId: string, ctx: RegistrationContext): Promise<Response> {
  const registration = await authorize(request, clientId, ctx);
  const body = await readMetadata(request, ctx);
  // RFC 7592 §2.2: "The client MUST include its client_id field in the request, and it MUST be the same as its
  // currently issued client identifier."
  if (body.client_id !== clientId) throw OAuthError.invalidClientMetadata('client_id must be present and equal to the registered client identifier.');
  // RFC 7592 §2.2: "The request MUST NOT include the registration_access_token, registration_client_uri,
  // client_secret_expires_at, or client_id_issued_at fields".
  const assigned = SERVER_FIELDS.filter((f) => f in body);
  if (assigned.length > 0) throw OAuthError.invalidRequest(`The update must not include ${assigned.join(', ')} (RFC 7592 section 2.2).`);
  const current = await ctx.server.clients.getClient(clientId);
  if (!current) throw invalidToken('The registration access token is invalid.');
  // RFC 7592 §2.2: a client_secret in the request "MUST match the currently issued client secret"; a client
  // cannot choose its own.
  if (body.client_secret !== undefined) {
    const matches = typeof body.client_secret === 'string' && current.secretHash !== undefined && (await verifyClientSecret(body.client_secret, current.secretHash));
    if (!matches) throw OAuthError.invalidClientMetadata('client_secret does not match the current client secret.');
  }
  const accepted = await validateClientMetadata(body, policyOf(ctx));
  const confidential = SECRET_AUTH_METHODS.includes(accepted.authMethod);
  // A client that becomes confidential gets a secret now; one that stays confidential keeps its secret.
  const secret = confidential && current.secretHash === undefined ? await generateClientSecret() : undefined;
  const secretHash = !confidential ? undefined : secret === undefined ? current.secretHash : await hashClientSecret(secret);
  const next: ClientRegistration = { ...registration, metadata: accepted.metadata };
  if (!(await ctx.options.clients.update(clientOf(clientId, accepted, secretHash), next))) {
    throw invalidToken('The registration access token is invalid.');
  }
  return json(200, { ...informationOf(next, ctx), ...secretFields(secret) });
}

/** RFC 7592 §2.3: deletes the client; its tokens and codes are revoked with it. */
async function remove(request: Request, clientId: string, ctx: RegistrationContext): Promise<Response> {
  await authorize(request, clientId, ctx);
  if (await ctx.options.clients.delete(clientId)) ctx.server.events.emit('client.registration_deleted', { clientId });
  // RFC 7592 §2.3: "the authorization server responds with an HTTP 204 No Content message".
  return new Response(null, { status: 204, headers: { 'Cache-Control': 'no-store', Pragma: 'no-cache' } });
}
