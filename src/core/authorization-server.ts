import type { Grant, TokenRequest, TokenResponseBody } from '../contracts/grant.js';
import type { AccessTokenRepository, ClientRepository, RefreshTokenRepository, ResourceRepository, ScopeRepository } from '../contracts/repositories.js';
import { loadCryptoBackend, type PrivateKeyMaterial, type SigningAlgorithm } from '../tokens/crypto/crypto-backend.js';
import { checkEncryptionKeys, loadEncryptionKeys, type EncryptionKeyInput, type EncryptionKeyMaterial } from '../tokens/encryption-keys.js';
import { TokenCodec } from '../tokens/refresh-token-codec.js';
import { SigningKeySet, type SigningKeyInput } from '../tokens/signing-key-set.js';
import { authenticateClient, type AuthenticatedClient } from '../contracts/client-authentication.js';
import { systemClock, type Clock } from '../contracts/clock.js';
import { toSeconds, type Duration } from '../contracts/duration.js';
import { EventEmitter, type GrantryEvents } from '../contracts/events.js';
import { DEFAULT_MAX_BODY_BYTES, readFormNow, type Params } from '../contracts/form.js';
import { NO_STORE_HEADERS, OAuthError, toOAuthError } from '../contracts/oauth-error.js';
import { StorageUnavailableError } from '../contracts/storage-unavailable-error.js';
import type { AccessTokenClaimsContext, Logger, ServerContext } from '../contracts/server-context.js';
import type { Client } from '../contracts/types.js';
import type { AuthorizationRequest } from '../contracts/authorization-request.js';
import type { AccessTokenFormat } from '../contracts/types.js';
import {
  holdsRefreshTokens,
  isDeviceAuthorizationGrant,
  type DeviceAuthorization,
  type DeviceAuthorizationDecision,
  type DeviceAuthorizationGrant,
} from '../contracts/capabilities.js';
import {
  completeAuthorizationRequest,
  validateAuthorizationRequest,
  type AuthorizationDecision,
  type AuthorizeEndpointContext,
} from './authorize-endpoint.js';
import { deviceAuthorizationBody, respondToDeviceAuthorizationRequest } from './device-authorization-endpoint.js';
import { endpointUrl, type EndpointContext, type EndpointOptions } from './endpoints/endpoint-options.js';
import { introspectionBody, introspectToken } from './endpoints/introspection-endpoint.js';
import { PlainRequest, plainError, plainJson, type AnyRequest, type PlainResult } from '../contracts/plain-request.js';
import { respondWithJwks } from './endpoints/jwks-endpoint.js';
import { buildMetadata, respondWithMetadata, type AuthorizationServerMetadata } from './endpoints/metadata.js';
import { revokeRequestedToken, revokeToken } from './endpoints/revocation-endpoint.js';
import { respondToRegistration } from './endpoints/registration-endpoint.js';
import { checkRegistrationOptions } from './endpoints/registration-options.js';
import { withRotatedKeys, type KeyRotation } from './key-rotation.js';
import { MetadataDocumentClients, type ClientIdMetadataDocumentOptions } from './metadata-document-clients.js';
import type { ReplayRepository } from '../contracts/replay-repository.js';
import type { DpopBinding } from '../contracts/grant.js';
import type { DpopOptions } from './dpop-options.js';
import { checkPushedRequestProof, checkTokenRequestProof, LocalReplays, type TokenEndpointDpop } from './token-endpoint-dpop.js';
import { DPOP_ALGORITHMS } from '../tokens/dpop-proof.js';
import { DEVICE_CODE_GRANT_TYPE } from '../contracts/types.js';
import { ClientAssertionVerifier } from '../contracts/client-assertion.js';
import type { PushedAuthorizationRequestRepository } from '../contracts/pushed-authorization-request-repository.js';
import { respondToPushedAuthorizationRequest } from './pushed-authorization-endpoint.js';
import type { RemoteJwksOptions } from '../tokens/remote-jwks.js';

/**
 * Options of an {@link AuthorizationServer}: the seed's repositories and keys, plus grantry's settings (the
 * revocation, introspection, metadata and JWKS settings are in {@link EndpointOptions}).
 *
 * @example
 * ```ts
 * const storage = createMemoryStorage();
 * const options: AuthorizationServerOptions = {
 *   clients: storage.clients, accessTokens: storage.accessTokens, scopes: storage.scopes,
 *   refreshTokens: storage.refreshTokens, // to revoke and introspect them
 *   issuer: 'https://auth.example.com',
 *   privateKey: process.env.PRIVATE_KEY_PEM!,
 *   encryptionKey: process.env.ENCRYPTION_KEY!,
 * };
 * const server = new AuthorizationServer(options);
 * ```
 */
export interface AuthorizationServerOptions extends EndpointOptions {
  clients: ClientRepository;
  accessTokens: AccessTokenRepository;
  scopes: ScopeRepository;
  /**
   * The key that signs access tokens: PEM text, a path to a PEM file, `{ pem, passphrase }`, a private JWK, a
   * `KeyObject` or a `CryptoKey`; or a list of keys for rotation (exactly one `active`).
   */
  privateKey: PrivateKeyMaterial | readonly SigningKeyInput[];
  /** The key that seals refresh tokens and codes; or a list, newest first, for rotation. */
  encryptionKey: EncryptionKeyMaterial | readonly EncryptionKeyInput[];
  /** The `iss` of tokens and metadata (RFC 8414 §2), e.g. `https://auth.example.com`. */
  issuer: string;
  /** The `aud` of access tokens for a request that names no `resource` (RFC 8707); defaults to the issuer. */
  audience?: string | readonly string[];
  /**
   * The registered resources (RFC 8707 resource indicators): a `resource` parameter at the authorization, device
   * authorization or token endpoint must name one of them (allowed for the client), and becomes the token's `aud`.
   * Without it, every `resource` parameter is answered `invalid_target`.
   */
  resources?: ResourceRepository;
  /** Signing algorithm for a key whose type allows several (RSA: RS256 or PS256). Defaults from the key type. */
  signingAlgorithm?: SigningAlgorithm;
  /** `sealed` (default, the seed's encrypted payload) or `opaque` random refresh tokens and codes. */
  tokenFormat?: 'sealed' | 'opaque';
  /**
   * The form of access tokens for clients whose registration names none (`Client.accessTokenFormat`): `jwt`
   * (default, RFC 9068) or `opaque` (random, stored hashed with its claims; resource servers validate it through
   * the storage in-process or through introspection, RFC 7662, and revocation takes effect at once).
   */
  accessTokenFormat?: AccessTokenFormat;
  clock?: Clock;
  logger?: Logger;
  /** Largest accepted form body in bytes (default 16 KiB). */
  maxBodyBytes?: number;
  customClaims?: (ctx: AccessTokenClaimsContext) => Record<string, unknown> | Promise<Record<string, unknown>>;
  /**
   * Turns on client ID metadata documents (draft-ietf-oauth-client-id-metadata-document): a `client_id` that is an
   * https URL and names no client of `clients` is resolved by fetching that document, SSRF-safe, validated and
   * cached; the metadata then announces `client_id_metadata_document_supported`. Off unless given (`{}` for the
   * defaults).
   */
  clientIdMetadataDocuments?: ClientIdMetadataDocumentOptions;
  /**
   * DPoP (RFC 9449), on by default: a token request with a valid proof gets tokens bound to its key. `required`
   * refuses requests without one; `nonces` turns on server nonces. `false` ignores DPoP headers (Bearer only).
   */
  dpop?: DpopOptions | false;
  /**
   * Where single-use identifiers are remembered, each kind in its own namespace: a DPoP proof's `jti` and a client
   * assertion's `jti`. The storage's `replays`, shared by every instance. Without it DPoP uses a process-local store
   * (single use within one process only) and JWT client authentication is off; given, JWT client authentication
   * (`private_key_jwt`, `client_secret_jwt`) is enabled at every endpoint that authenticates clients.
   */
  replays?: ReplayRepository;
  /** Settings of JWT client authentication (see {@link ClientAssertionSettings}). */
  clientAssertions?: ClientAssertionSettings;
  /** Pushed authorization requests (RFC 9126): given, the PAR endpoint is served and `request_uri` accepted. */
  pushedAuthorizationRequests?: PushedAuthorizationRequestRepository;
  /** How long a pushed `request_uri` may wait for the authorization endpoint (default 60 seconds). */
  requestUriTTL?: Duration;
  /** RFC 9126 §5: every authorization request must be pushed (default: only clients registered so). */
  requirePushedAuthorizationRequests?: boolean;
}

/**
 * Settings of JWT client authentication (RFC 7523 §2.2, OpenID Connect Core §9).
 *
 * @example
 * ```ts
 * const settings: ClientAssertionSettings = { maxTTL: 'PT5M', clockSkew: 30, acceptTokenEndpointAudience: true };
 * new AuthorizationServer({ ...options, replays: storage.replays, clientAssertions: settings });
 * ```
 */
export interface ClientAssertionSettings {
  /** The longest an assertion may be valid from now to its `exp` (default 5 minutes). */
  maxTTL?: Duration;
  /** Tolerated clock difference for `exp`, `nbf` and `iat` (default 60 seconds). */
  clockSkew?: Duration;
  /**
   * Also accept the token endpoint URL as `aud` (default `false`: only the issuer identifier, as
   * draft-ietf-oauth-rfc7523bis requires; the token endpoint is what OpenID Connect Core §9 used to recommend).
   */
  acceptTokenEndpointAudience?: boolean;
  /** The `fetch` for clients' `jwks_uri` (default: `safeFetchJson`'s SSRF-safe fetch: https, public addresses only). */
  fetch?: RemoteJwksOptions['fetch'];
  /** Least time between two fetches of a client's `jwks_uri` caused by an unknown `kid` (default 30 seconds). */
  jwksRefetchCooldown?: Duration;
}

const MAKE_SIGNING_KEY =
  'give PEM text, a path to a PEM file or a private JWK; make one with `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out private.key`';

/** Sync checks of PEM text given inline: the common mistakes (a truncated paste, the public key) fail in the constructor. */
function checkPrivateKeyText(key: AuthorizationServerOptions['privateKey']): void {
  const texts = typeof key === 'string' ? [key] : Array.isArray(key) ? (key as readonly SigningKeyInput[]).map((k) => k.key).filter((k): k is string => typeof k === 'string') : [];
  for (const text of texts) {
    if (!text.includes('-----BEGIN')) continue; // a path: read by ready()
    if (/-----BEGIN (RSA )?PUBLIC KEY-----|-----BEGIN CERTIFICATE-----/.test(text)) {
      throw new TypeError(`grantry: privateKey is a public key or certificate; give the private key (-----BEGIN PRIVATE KEY-----)`);
    }
    if (!/-----END [A-Z ]+-----/.test(text)) throw new TypeError('grantry: privateKey: the PEM text has no -----END ...----- line (cut short when pasted?)');
  }
}

/** The key import's failure with the problem named in words and the fix, never the key itself. */
function signingKeyError(error: unknown, key: AuthorizationServerOptions['privateKey']): unknown {
  if (!(error instanceof Error)) return error;
  const path = typeof key === 'string' && !key.includes('-----BEGIN') ? key.replace(/^file:\/\//, '') : undefined;
  const code = (error as { code?: string }).code;
  if (path !== undefined && (code === 'ENOENT' || /ENOENT/.test(error.message))) {
    return new TypeError(`grantry: privateKey: the key file ${path} does not exist; ${MAKE_SIGNING_KEY}`, { cause: error });
  }
  if (path !== undefined && /EACCES/.test(error.message)) {
    return new TypeError(`grantry: privateKey: the key file ${path} cannot be read (permission denied); make it readable by this process's user (chmod 600, owned by it)`, { cause: error });
  }
  if (/DECODER|unsupported|asn1|PEM|invalid key|Invalid keyData/i.test(error.message) && !/passphrase/i.test(error.message)) {
    return new TypeError(`grantry: privateKey${path === undefined ? '' : ` in ${path}`} is not a private key grantry can read (PKCS#8 or PKCS#1 PEM, or a private JWK: ${error.message}); ${MAKE_SIGNING_KEY}`, { cause: error });
  }
  return error;
}

const consoleLogger: Logger = {
  error: (message, details) => console.error(JSON.stringify({ level: 'error', message, ...details })),
  warn: (message, details) => console.warn(JSON.stringify({ level: 'warn', message, ...details })),
};

/**
 * The {@link TokenRequest} a grant receives: a class, so that the lazy `request` getter lives on the prototype and a
 * token request costs one small object. A PlainRequest becomes a Fetch Request only if the grant reads `request`
 * (the built-in grants do not).
 */
class GrantRequest implements TokenRequest {
  readonly #source: AnyRequest;

  constructor(
    source: AnyRequest,
    readonly params: Params,
    readonly client: AuthenticatedClient,
    readonly accessTokenTTL: number,
    readonly server: ServerContext,
    readonly dpop: DpopBinding | undefined,
  ) {
    this.#source = source;
  }

  get request(): Request {
    return this.#source instanceof PlainRequest ? this.#source.toRequest() : this.#source;
  }
}

/**
 * The authorization server of the seed, on the Fetch API: repositories and keys in, `Request` in, `Response` out.
 *
 * @example
 * ```ts
 * const server = new AuthorizationServer({
 *   clients, accessTokens, scopes, issuer: 'https://auth.example.com',
 *   privateKey: 'file:///etc/grantry/private.key', encryptionKey: process.env.ENCRYPTION_KEY!,
 * });
 * server.enableGrantType(new RefreshTokenGrant(refreshTokens), 'PT1H');
 * const response = await server.handleTokenRequest(request); // never throws
 * ```
 */
export class AuthorizationServer {
  readonly events = new EventEmitter<GrantryEvents>();
  readonly #grants = new Map<string, { grant: Grant; ttl: number }>();
  readonly #options: AuthorizationServerOptions;
  readonly #maxBodyBytes: number;
  readonly #clients: ClientRepository;
  readonly #replays: ReplayRepository;
  #context: Promise<ServerContext> | undefined;
  /** The context once built: the token endpoint reads it without awaiting a settled promise each time. */
  #resolved: ServerContext | undefined;

  constructor(options: AuthorizationServerOptions) {
    if (!options.issuer || !/^https?:\/\/[^?#]+$/.test(options.issuer)) {
      throw new TypeError('grantry: issuer must be an http(s) URL without query or fragment (RFC 8414 §2)');
    }
    for (const name of ['clients', 'accessTokens', 'scopes'] as const) {
      if (!options[name]) throw new TypeError(`grantry: the ${name} repository is required`);
    }
    if (!options.privateKey) throw new TypeError(`grantry: privateKey is required; ${MAKE_SIGNING_KEY}`);
    if (!options.encryptionKey) throw new TypeError('grantry: encryptionKey is required; make one with `openssl rand -base64 32`');
    // What can be checked without I/O fails here; a key file and the key import are checked by ready().
    checkEncryptionKeys(options.encryptionKey);
    checkPrivateKeyText(options.privateKey);
    checkRegistrationOptions(options.registration);
    if (options.accessTokenFormat !== undefined && options.accessTokenFormat !== 'jwt' && options.accessTokenFormat !== 'opaque') {
      throw new TypeError(`grantry: accessTokenFormat must be 'jwt' or 'opaque', not ${String(options.accessTokenFormat)}`);
    }
    this.#options = options;
    this.#maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    // Client ID metadata documents: registered clients first, then documents fetched by URL (a bad option fails here).
    const documents = options.clientIdMetadataDocuments;
    this.#clients = documents ? new MetadataDocumentClients(options.clients, documents, options.clock ?? systemClock) : options.clients;
    this.#replays = options.replays ?? new LocalReplays(() => (options.clock ?? systemClock).now());
  }

  /**
   * Enables a grant with the lifetime of the access tokens it issues (the seed's `enableGrantType`).
   * The TTL is seconds or an ISO 8601 duration such as `'PT1H'`; the default is one hour.
   */
  enableGrantType(grant: Grant, accessTokenTTL: Duration = 'PT1H'): this {
    if (this.#grants.has(grant.grantType)) throw new TypeError(`grantry: grant ${grant.grantType} is already enabled`);
    this.#grants.set(grant.grantType, { grant, ttl: toSeconds(accessTokenTTL) });
    return this;
  }

  /** The grant types enabled, for metadata (RFC 8414 `grant_types_supported`). */
  get enabledGrantTypes(): string[] {
    return [...this.#grants.keys()];
  }

  /** The enabled grant for a type, if any. */
  getGrant(grantType: string): Grant | undefined {
    return this.#grants.get(grantType)?.grant;
  }

  /**
   * Imports the keys (reads a key file, parses the PEM or JWK) and resolves with the server, or rejects with a
   * `TypeError` naming the problem and its fix: a missing key file, a bad PEM, a wrong algorithm. Await it once at
   * start-up, before listening, so that a key mistake stops the process instead of answering the first request
   * with a 500. (The constructor already refuses, synchronously, a malformed encryption key or PEM text.)
   *
   * @example
   * ```ts
   * const server = await new AuthorizationServer(options).ready();
   * ```
   */
  async ready(): Promise<this> {
    await this.context();
    return this;
  }

  /** The shared services, built once: keys are imported on first use (or call {@link ready} at start-up to fail early). */
  context(): Promise<ServerContext> {
    this.#context ??= this.#buildContext().then((ctx) => {
      // Only while no rotation replaced it meanwhile: #resolved always mirrors #context.
      if (this.#resolved === undefined) this.#resolved = ctx;
      return ctx;
    });
    return this.#context;
  }

  async #buildContext(): Promise<ServerContext> {
    const o = this.#options;
    const crypto = await loadCryptoBackend();
    const signingKeys = await SigningKeySet.load(crypto, o.privateKey, o.signingAlgorithm).catch((error: unknown) => {
      throw signingKeyError(error, o.privateKey);
    });
    const sealer = await loadEncryptionKeys(crypto, o.encryptionKey);
    const format = o.tokenFormat ?? 'sealed';
    return {
      issuer: o.issuer,
      audience: o.audience ?? o.issuer,
      clock: o.clock ?? systemClock,
      events: this.events,
      logger: o.logger ?? consoleLogger,
      crypto,
      signingKeys,
      sealer,
      refreshTokenCodec: new TokenCodec(format, crypto, sealer, 'rt'),
      authCodeCodec: new TokenCodec(format, crypto, sealer, 'ac'),
      clients: this.#clients,
      accessTokens: o.accessTokens,
      scopes: o.scopes,
      resources: o.resources,
      customClaims: o.customClaims,
      accessTokenFormat: o.accessTokenFormat ?? 'jwt',
      clientAssertions: this.#clientAssertions(o.clock ?? systemClock),
    };
  }

  #clientAssertions(clock: Clock): ClientAssertionVerifier | undefined {
    const o = this.#options;
    if (!o.replays) return undefined;
    const settings = o.clientAssertions ?? {};
    // draft-ietf-oauth-rfc7523bis: the issuer identifier is the audience; the token endpoint URL only when allowed.
    const audiences = [o.issuer, ...(settings.acceptTokenEndpointAudience ? [endpointUrl(o.issuer, 'token', o)] : [])];
    return new ClientAssertionVerifier({
      audiences,
      replays: o.replays,
      clock,
      ...(settings.maxTTL === undefined ? {} : { maxTTL: toSeconds(settings.maxTTL) }),
      ...(settings.clockSkew === undefined ? {} : { clockSkew: toSeconds(settings.clockSkew) }),
      ...(settings.jwksRefetchCooldown === undefined ? {} : { jwksRefetchCooldown: toSeconds(settings.jwksRefetchCooldown) }),
      ...(settings.fetch ? { fetch: settings.fetch } : {}),
    });
  }

  /**
   * The token endpoint (RFC 6749 §3.2), as the seed's `respondToAccessTokenRequest`: resolves with the token
   * response, or throws an {@link OAuthError} for the caller to turn into a response with `toResponse()`.
   */
  async respondToAccessTokenRequest(request: Request): Promise<Response> {
    const { body, dpopNonce } = await this.#tokenBody(request);
    const response = tokenResponse(body);
    if (dpopNonce !== undefined) response.headers.set('DPoP-Nonce', dpopNonce);
    return response;
  }

  async #tokenBody(request: AnyRequest): Promise<{ body: TokenResponseBody; dpopNonce: string | undefined }> {
    const server = this.#resolved ?? (await this.context());
    const form = readFormNow(request, this.#maxBodyBytes);
    const params = form instanceof Promise ? await form : form;
    const grantType = params.get('grant_type');
    if (grantType === undefined) throw OAuthError.invalidRequest('The grant_type parameter is required.');
    const enabled = this.#grants.get(grantType);
    if (!enabled) throw OAuthError.unsupportedGrantType();

    const authenticated = await authenticateClient(request, params, server);
    // RFC 6749 §4.4 / §2.1: grants for confidential clients only refuse a client that did not authenticate.
    if (authenticated.method === 'none' && !enabled.grant.allowsPublicClients) {
      throw OAuthError.unauthorizedClient('This grant type requires a confidential client.');
    }
    // RFC 6749 §5.2 unauthorized_client: "not authorized to use this authorization grant type".
    if (!authenticated.client.grantTypes.includes(grantType)) throw OAuthError.unauthorizedClient();
    const proof = this.#checkDpop(request, authenticated.client, server);
    const dpop = proof === undefined ? undefined : await proof;

    const body = await enabled.grant.respondToAccessTokenRequest(new GrantRequest(request, params, authenticated, enabled.ttl, server, dpop));
    // RFC 9449 §8.2: a server using nonces may send a fresh one with any response.
    const nonces = this.#options.dpop === false ? undefined : this.#options.dpop?.nonces;
    return { body, dpopNonce: nonces && dpop ? await nonces.current(server.clock.now()) : undefined };
  }

  #checkDpop(request: AnyRequest, client: Client, server: ServerContext): Promise<DpopBinding> | undefined {
    // Built once: the options, the replay store and the token endpoint's URL are fixed for the server's life.
    this.#tokenEndpointDpop ??= { options: this.#options.dpop ?? {}, replays: this.#replays, tokenEndpoint: endpointUrl(server.issuer, 'token', this.#options) };
    return checkTokenRequestProof(request, client, server, this.#tokenEndpointDpop);
  }

  #tokenEndpointDpop: TokenEndpointDpop | undefined;

  /**
   * The token endpoint on the Node adapters' path: a {@link PlainRequest} in, a {@link PlainResult} out, no Fetch
   * objects; never throws. The same rules and answers as {@link handleTokenRequest}. Advanced and internal: the
   * adapters call it; applications on a Fetch runtime use `handleTokenRequest`.
   *
   * @example
   * ```ts
   * const { status, headers, body } = await server.serveTokenRequest(plainRequest);
   * ```
   */
  async serveTokenRequest(request: AnyRequest): Promise<PlainResult> {
    try {
      const { body, dpopNonce } = await this.#tokenBody(request);
      const result = plainJson(body);
      return dpopNonce === undefined ? result : { status: result.status, body: result.body, headers: { 'dpop-nonce': dpopNonce, ...result.headers } };
    } catch (error) {
      return plainError(this.#loggedError(error));
    }
  }

  /**
   * The introspection endpoint (RFC 7662) on the Node adapters' path, like {@link serveTokenRequest}: never
   * throws, the same answers as {@link handleIntrospectionRequest}.
   *
   * @example
   * ```ts
   * const { status, body } = await server.serveIntrospectionRequest(plainRequest); // 200 '{"active":true,...}'
   * ```
   */
  async serveIntrospectionRequest(request: AnyRequest): Promise<PlainResult> {
    try {
      return plainJson(await introspectionBody(request, await this.#endpointContext(true)));
    } catch (error) {
      return plainError(this.#loggedError(error));
    }
  }

  /**
   * The revocation endpoint (RFC 7009) on the Node adapters' path, like {@link serveTokenRequest}: never throws,
   * the same answers as {@link handleRevocationRequest} (200 with an empty body, or the OAuth error).
   *
   * @example
   * ```ts
   * const { status, body } = await server.serveRevocationRequest(plainRequest); // 200 ''
   * ```
   */
  async serveRevocationRequest(request: AnyRequest): Promise<PlainResult> {
    try {
      await revokeRequestedToken(request, await this.#endpointContext(true));
      return PLAIN_EMPTY;
    } catch (error) {
      return plainError(this.#loggedError(error));
    }
  }

  /**
   * The device authorization endpoint (RFC 8628 §3.1) on the Node adapters' path, like {@link serveTokenRequest}:
   * never throws, the same answers as {@link handleDeviceAuthorizationRequest}.
   *
   * @example
   * ```ts
   * const { status, body } = await server.serveDeviceAuthorizationRequest(plainRequest); // 200 '{"device_code":...}'
   * ```
   */
  async serveDeviceAuthorizationRequest(request: AnyRequest): Promise<PlainResult> {
    try {
      const grant = this.#grants.get(DEVICE_CODE_GRANT_TYPE)?.grant;
      return plainJson(await deviceAuthorizationBody(request, { server: await this.context(), grant, maxBodyBytes: this.#maxBodyBytes }));
    } catch (error) {
      return plainError(this.#loggedError(error));
    }
  }

  /** The token endpoint in one call that never throws: OAuth errors and unexpected failures become responses. */
  async handleTokenRequest(request: Request): Promise<Response> {
    try {
      return await this.respondToAccessTokenRequest(request);
    } catch (error) {
      return await this.errorResponse(error);
    }
  }

  /**
   * The authorization endpoint, step 1 (RFC 6749 §4.1.1, §4.2.1; the seed's `validateAuthorizationRequest`):
   * returns a serialisable authorization request to keep while the user logs in and consents. Throws an
   * `AuthorizationError`: `redirectable` ones redirect back with `toResponse()`; the others (bad client or
   * redirect URI) must be shown to the user.
   */
  async validateAuthorizationRequest(request: Request): Promise<AuthorizationRequest> {
    return validateAuthorizationRequest(request, await this.#authorizeContext());
  }

  /**
   * The authorization endpoint, step 2 (the seed's `completeAuthorizationRequest`): the 302 back to the client
   * with a code, implicit tokens, or `access_denied` when `approved` is false. Throws a non-redirectable
   * `AuthorizationError` only if the client or redirect URI no longer hold.
   */
  async completeAuthorizationRequest(authRequest: AuthorizationRequest, decision: AuthorizationDecision): Promise<Response> {
    return completeAuthorizationRequest(authRequest, decision, await this.#authorizeContext());
  }

  async #authorizeContext(): Promise<AuthorizeEndpointContext> {
    const requireDpop = this.#options.dpop !== undefined && this.#options.dpop !== false && this.#options.dpop.required === true;
    return {
      server: await this.context(),
      enabled: (type) => this.#grants.get(type),
      maxBodyBytes: this.#maxBodyBytes,
      requireDpop,
      pushedRequests: this.#options.pushedAuthorizationRequests,
      requirePushedRequests: this.#options.requirePushedAuthorizationRequests === true,
    };
  }

  /**
   * The pushed authorization request endpoint (RFC 9126 §2): 201 `{ request_uri, expires_in }`; throws an
   * `OAuthError` on failure. Needs the `pushedAuthorizationRequests` option.
   *
   * @example
   * ```ts
   * const response = await server.respondToPushedAuthorizationRequest(request); // 201 {"request_uri":"urn:…","expires_in":60}
   * ```
   */
  async respondToPushedAuthorizationRequest(request: Request): Promise<Response> {
    const requestUriTTL = toSeconds(this.#options.requestUriTTL ?? 60);
    const server = await this.context();
    const checkDpopProof = (proofRequest: Request) => checkPushedRequestProof(proofRequest, server, {
      options: this.#options.dpop ?? {},
      replays: this.#replays,
      endpoint: endpointUrl(server.issuer, 'pushedAuthorization', this.#options),
    });
    return respondToPushedAuthorizationRequest(request, { ...(await this.#authorizeContext()), requestUriTTL, checkDpopProof });
  }

  /** The PAR endpoint in one call that never throws. */
  async handlePushedAuthorizationRequest(request: Request): Promise<Response> {
    return this.#handle(() => this.respondToPushedAuthorizationRequest(request));
  }

  /** The device authorization endpoint (RFC 8628 §3.1); throws an `OAuthError` on failure. */
  async respondToDeviceAuthorizationRequest(request: Request): Promise<Response> {
    const grant = this.#grants.get(DEVICE_CODE_GRANT_TYPE)?.grant;
    return respondToDeviceAuthorizationRequest(request, { server: await this.context(), grant, maxBodyBytes: this.#maxBodyBytes });
  }

  /** The device authorization endpoint in one call that never throws. */
  async handleDeviceAuthorizationRequest(request: Request): Promise<Response> {
    try {
      return await this.respondToDeviceAuthorizationRequest(request);
    } catch (error) {
      return await this.errorResponse(error);
    }
  }

  /** For the verification page (RFC 8628 §3.3): the pending authorization of a user code as typed, if any. */
  async findDeviceAuthorization(userCode: string): Promise<DeviceAuthorization | undefined> {
    return this.#deviceGrant().findDeviceAuthorization(await this.context(), userCode);
  }

  /** For the verification page: approve (with the user) or deny; `false` if the code is unknown, expired or decided. */
  async completeDeviceAuthorization(userCode: string, decision: DeviceAuthorizationDecision): Promise<boolean> {
    return this.#deviceGrant().completeDeviceAuthorization(await this.context(), userCode, decision);
  }

  #deviceGrant(): DeviceAuthorizationGrant {
    const grant = this.#grants.get(DEVICE_CODE_GRANT_TYPE)?.grant;
    if (!grant || !isDeviceAuthorizationGrant(grant)) throw new TypeError('grantry: the device code grant is not enabled');
    return grant;
  }

  /**
   * The revocation endpoint (RFC 7009): 200 with no body whether or not the token existed; throws an `OAuthError`
   * for a bad request or failed client authentication. Refresh tokens need the `refreshTokens` option.
   */
  async respondToRevocationRequest(request: Request): Promise<Response> {
    return revokeToken(request, await this.#endpointContext(true));
  }

  /** The revocation endpoint in one call that never throws. */
  async handleRevocationRequest(request: Request): Promise<Response> {
    return this.#handle(() => this.respondToRevocationRequest(request));
  }

  /** The introspection endpoint (RFC 7662) for authenticated clients; throws an `OAuthError` on failure. */
  async respondToIntrospectionRequest(request: Request): Promise<Response> {
    return introspectToken(request, await this.#endpointContext(true));
  }

  /** The introspection endpoint in one call that never throws. */
  async handleIntrospectionRequest(request: Request): Promise<Response> {
    return this.#handle(() => this.respondToIntrospectionRequest(request));
  }

  /**
   * Dynamic client registration (RFC 7591 §3) at `POST /register`, and the client configuration endpoint (RFC 7592)
   * at `GET`, `PUT` and `DELETE /register/{client_id}` (paths under the `registration` endpoint setting). Needs the
   * `registration` option; throws an `OAuthError` on failure (`invalid_client_metadata`, `invalid_redirect_uri`,
   * 401 `invalid_token`).
   *
   * @example
   * ```ts
   * const response = await server.respondToRegistrationRequest(new Request('https://auth.example.com/register', {
   *   method: 'POST', headers: { 'content-type': 'application/json' },
   *   body: JSON.stringify({ client_name: 'CLI', redirect_uris: ['http://127.0.0.1:8765/cb'], token_endpoint_auth_method: 'none' }),
   * })); // 201 {"client_id": …, "registration_access_token": …, "registration_client_uri": …}
   * ```
   */
  async respondToRegistrationRequest(request: Request): Promise<Response> {
    const options = this.#options.registration;
    if (!options) throw new OAuthError('invalid_request', 'Client registration is not enabled on this server.', { status: 404 });
    const server = await this.context();
    return respondToRegistration(request, {
      server,
      options,
      endpointUrl: endpointUrl(server.issuer, 'registration', this.#options),
      enabledGrantTypes: this.enabledGrantTypes,
      maxBodyBytes: this.#maxBodyBytes,
    });
  }

  /** The registration and client configuration endpoints in one call that never throws. */
  async handleRegistrationRequest(request: Request): Promise<Response> {
    return this.#handle(() => this.respondToRegistrationRequest(request));
  }

  /** The authorization server metadata (RFC 8414 §2), generated from what is enabled. */
  async metadata(): Promise<AuthorizationServerMetadata> {
    return buildMetadata(await this.#endpointContext(), [...this.#grants.values()].map((g) => g.grant));
  }

  /** `GET /.well-known/oauth-authorization-server` (RFC 8414 §3; see `metadataPath(issuer)` for issuers with a path). */
  async respondToMetadataRequest(request: Request): Promise<Response> {
    return respondWithMetadata(request, await this.#endpointContext(), [...this.#grants.values()].map((g) => g.grant));
  }

  /** The metadata endpoint in one call that never throws. */
  async handleMetadataRequest(request: Request): Promise<Response> {
    return this.#handle(() => this.respondToMetadataRequest(request));
  }

  /** The JWK set (RFC 7517 §5) of every published signing key. */
  async jwks(): Promise<ReturnType<SigningKeySet['jwks']>> {
    return (await this.context()).signingKeys.jwks();
  }

  /** `GET /.well-known/jwks.json`: the public signing keys. */
  async respondToJwksRequest(request: Request): Promise<Response> {
    return respondWithJwks(request, await this.#endpointContext());
  }

  /** The JWKS endpoint in one call that never throws. */
  async handleJwksRequest(request: Request): Promise<Response> {
    return this.#handle(() => this.respondToJwksRequest(request));
  }

  /**
   * Replaces the signing keys and/or the encryption keys without a restart. The new keys are imported and checked
   * first (a `TypeError` leaves the running keys in place); requests that start afterwards use them.
   *
   * @example
   * ```ts
   * await server.rotateKeys({ privateKey: [{ key: newPem, kid: '2026-12', status: 'active' }, { key: oldPem, kid: '2026-06', status: 'published' }] });
   * ```
   */
  async rotateKeys(keys: KeyRotation): Promise<void> {
    const next = await withRotatedKeys(await this.context(), { signingAlgorithm: this.#options.signingAlgorithm, ...keys });
    this.#context = Promise.resolve(next);
    this.#resolved = next;
  }

  async #endpointContext(findsTokens = false): Promise<EndpointContext> {
    // Revocation and introspection find refresh tokens in the server's repository, or else in the one a grant holds
    // (the refresh grant's first, then any other grant's that declares the RefreshTokenHolder capability).
    const grant = this.#grants.get('refresh_token')?.grant;
    const refreshTokens = this.#options.refreshTokens ?? this.#heldRefreshTokens();
    if (findsTokens && grant && !refreshTokens) {
      throw new TypeError('grantry: pass the refreshTokens repository to AuthorizationServer to revoke and introspect refresh tokens');
    }
    const options = refreshTokens === undefined || refreshTokens === this.#options.refreshTokens ? this.#options : { ...this.#options, refreshTokens };
    const dpop = this.#options.dpop;
    const dpopAlgorithms = dpop === false ? undefined : (dpop?.algorithms ?? DPOP_ALGORITHMS);
    const pushedAuthorization = this.#options.pushedAuthorizationRequests ? { required: this.#options.requirePushedAuthorizationRequests === true } : undefined;
    return { server: await this.context(), options, maxBodyBytes: this.#maxBodyBytes, dpopAlgorithms, pushedAuthorization };
  }

  #heldRefreshTokens(): RefreshTokenRepository | undefined {
    const refreshGrant = this.#grants.get('refresh_token')?.grant;
    if (refreshGrant) return holdsRefreshTokens(refreshGrant) ? refreshGrant.refreshTokens : undefined;
    for (const { grant } of this.#grants.values()) if (holdsRefreshTokens(grant)) return grant.refreshTokens;
    return undefined;
  }

  async #handle(respond: () => Promise<Response>): Promise<Response> {
    try {
      return await respond();
    } catch (error) {
      return await this.errorResponse(error);
    }
  }

  /**
   * Turns anything thrown into a response; unexpected errors are logged and answered `server_error`, unavailable
   * storage (a {@link StorageUnavailableError}) is logged as what failed and answered 503 `temporarily_unavailable`
   * with `Retry-After`.
   */
  async errorResponse(error: unknown): Promise<Response> {
    return this.#loggedError(error).toResponse();
  }

  #loggedError(error: unknown): OAuthError {
    const oauth = toOAuthError(error);
    const logger = this.#options.logger ?? consoleLogger;
    const cause = oauth.cause ?? error;
    if (oauth.code === 'server_error') {
      logger.error('grantry: unexpected error', { error: cause instanceof Error ? cause.message : String(cause) });
    } else if (cause instanceof StorageUnavailableError) {
      (logger.warn ?? logger.error).call(logger, 'grantry: storage unavailable', { reason: cause.reason, error: cause.message });
    }
    return oauth;
  }
}

/** RFC 7009 §2.2: 200, no body, not cached. */
const PLAIN_EMPTY: PlainResult = Object.freeze({ status: 200, headers: Object.freeze({ 'cache-control': 'no-store', pragma: 'no-cache' }), body: '' });

/**
 * A successful token response (RFC 6749 §5.1) with `Cache-Control: no-store` and `Pragma: no-cache`.
 *
 * @example
 * ```ts
 * return tokenResponse({ access_token, token_type: 'Bearer', expires_in: 3600 });
 * ```
 */
export function tokenResponse(body: TokenResponseBody): Response {
  return new Response(JSON.stringify(body), { status: 200, headers: NO_STORE_HEADERS });
}
