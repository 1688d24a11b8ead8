// grantry/advanced: the building blocks under the public API, for custom endpoints, custom storage engines and
// adapters, and benchmarks. Exported on purpose and recorded in api/grantry.api.md, but closer to the engine than
// the root: expect them to change more often. What neither lists stays internal.

// Reading a token request the way the core does (RFC 6749 §2.3, §3.2).
export { DEFAULT_MAX_BODY_BYTES, paramValues, parseParams, readForm } from './contracts/form.js';
export {
  authenticateClient,
  isWellFormedClientId,
  readClientCredentials,
  type AuthenticatedClient,
  type ClientAuthenticationContext,
  type ClientCredentials,
} from './contracts/client-authentication.js';
export { FAST_HASH_MIN_SECRET_LENGTH } from './contracts/client-secret.js';
export {
  CLIENT_SECRET_JWT_ALGORITHMS,
  ClientAssertionVerifier,
  PRIVATE_KEY_JWT_ALGORITHMS,
  type AssertionFailure,
  type ClientAssertionVerifierOptions,
} from './contracts/client-assertion.js';
export { burnPasswordCheck } from './storage/password-hash.js';
export { isConfidential } from './contracts/types.js';
export { NO_STORE_HEADERS } from './contracts/oauth-error.js';
export { epochSeconds, systemClock } from './contracts/clock.js';
export { toSeconds } from './contracts/duration.js';

// Issuing tokens in steps (mint, store atomically, announce), as the refresh and code grants do.
export {
  DEFAULT_REFRESH_TOKEN_ABSOLUTE_TTL,
  announceTokens,
  mintTokens,
  type MintedTokens,
  type RefreshIssue,
} from './grants/issue-tokens.js';
export { accessTokenFormatFor } from './grants/access-token-format.js';
export { isAuthorizationResponder } from './contracts/authorization-request.js';
export { isValidCodeChallenge, isValidCodeVerifier, verifyCodeVerifier } from './grants/pkce.js';
export { matchRedirectUri, resolveRedirectUri } from './grants/redirect-uri.js';
export { isAllowedRedirectUri, redirectUriProblem } from './contracts/redirect-uri-rules.js';
export {
  USER_CODE_ALPHABET,
  formatUserCode,
  generateUserCode,
  isWellFormedUserCode,
  normalizeUserCode,
} from './grants/user-code.js';

// Endpoints' pieces: metadata (RFC 8414), introspection (RFC 7662), client registration (RFC 7591/7592), paths.
export {
  DEFAULT_ENDPOINT_PATHS,
  endpointUrl,
  metadataPath,
  type EndpointContext,
} from './core/endpoints/endpoint-options.js';
export { buildMetadata, publicJson, respondWithMetadata } from './core/endpoints/metadata.js';
export { introspectToken } from './core/endpoints/introspection-endpoint.js';
export { respondToRegistration, type RegistrationContext } from './core/endpoints/registration-endpoint.js';
export { validateClientMetadata, type AcceptedClientMetadata, type ClientMetadataPolicy } from './core/endpoints/client-metadata.js';
export { respondToPushedAuthorizationRequest, type PushedAuthorizationEndpointContext } from './core/pushed-authorization-endpoint.js';
export { REQUEST_URI_PREFIX } from './core/authorize-endpoint.js';
export { oauthRouteTable, type OAuthRouteTable, type RoutableServer } from './http/oauth-routes.js';

// Tokens and keys: JWS (RFC 7515), the crypto backend, key sets.
export { decodeJwt, signJwt, verifyJwt, type DecodedJwt } from './tokens/jwt.js';
export {
  loadCryptoBackend,
  type AeadKey,
  type CryptoBackend,
  type PublicJwk,
  type SigningKey,
  type VerifyingKey,
} from './tokens/crypto/crypto-backend.js';
export { loadEncryptionKeys, type EncryptionKeyMaterial } from './tokens/encryption-keys.js';
export { SigningKeySet } from './tokens/signing-key-set.js';
export { keySetResolver } from './tokens/key-resolver.js';

// Fetching what a client names (a client ID metadata document, a jwks_uri) without server-side request forgery.
export {
  SafeFetchError,
  safeFetchJson,
  type SafeFetchErrorCode,
  type SafeFetchOptions,
  type SafeFetchTransport,
  type SafeJsonResponse,
  type SafeTransportInit,
} from './tokens/safe-fetch.js';
export { classifyAddress, type AddressKind } from './tokens/special-use-address.js';
export { clientFromMetadataDocument, isClientIdMetadataDocumentUrl } from './core/client-metadata-document.js';
export { MetadataDocumentClients } from './core/metadata-document-clients.js';

// Storage engines: classifying driver errors as outages, clean-up batch sizes.
export { classifyStorageError, guardStorageErrors, toStorageError } from './storage/storage-unavailable.js';
export { DEFAULT_CLEANUP_BATCH, DEFAULT_CLEANUP_MAX_BATCHES } from './storage/managed-storage.js';
