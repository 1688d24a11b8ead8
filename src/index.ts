// grantry's public API: every name below is exported on purpose, and api/grantry.api.md records its signature
// (`npm run api:update`). Optional pieces (storage engines, HTTP adapters, the ready server) have their own
// subpaths; building blocks for custom endpoints and benchmarks are in `grantry/advanced`. Internals stay unexported.

// The authorization server and its options.
export { AuthorizationServer, type AuthorizationServerOptions, type ClientAssertionSettings } from './core/authorization-server.js';
export { JWT_BEARER_ASSERTION_TYPE } from './contracts/client-assertion.js';
export type { AuthorizationDecision } from './core/authorize-endpoint.js';
export type { KeyRotation } from './core/key-rotation.js';
export type { EndpointName, EndpointOptions } from './core/endpoints/endpoint-options.js';
export {
  DEFAULT_REGISTRATION_AUTH_METHODS,
  DEFAULT_REGISTRATION_GRANT_TYPES,
  type RegistrationOptions,
} from './core/endpoints/registration-options.js';
export type { AuthorizationServerMetadata } from './core/endpoints/metadata.js';
export type { IntrospectionResponseBody } from './core/endpoints/introspection-endpoint.js';
export type { ClientIdMetadataDocumentOptions } from './core/metadata-document-clients.js';
export type { AccessTokenClaimsContext, Logger, ServerContext } from './contracts/server-context.js';
export { EventEmitter, type GrantryEvents, type RefreshRejectReason } from './contracts/events.js';
export type { Clock } from './contracts/clock.js';
export type { Duration } from './contracts/duration.js';
export type { Params } from './contracts/form.js';
export type { AccessTokenFormat, Client, ClientJwks, ClientOrigin, ClientPermission, GrantType, Resource, Scope, TokenEndpointAuthMethod, User } from './contracts/types.js';
export { isResourceIdentifier } from './contracts/resource-identifier.js';
export type { ClientAuthMethod } from './contracts/client-authentication.js';
export type { SigningKeyInput } from './tokens/signing-key-set.js';
export type { EncryptionKeyInput } from './tokens/encryption-keys.js';
export type { PrivateKeyMaterial, SigningAlgorithm } from './tokens/crypto/crypto-backend.js';

// Errors.
export {
  OAuthError,
  toOAuthError,
  type Guess,
  type GuessKind,
  type OAuthErrorCode,
  type OAuthErrorOptions,
} from './contracts/oauth-error.js';
export { AuthorizationError, authorizationRedirect, type AuthorizationRedirect } from './contracts/authorization-error.js';
export { BearerTokenError, type BearerTokenErrorOptions } from './contracts/bearer-token-error.js';
export { StorageUnavailableError, type StorageUnavailableReason } from './contracts/storage-unavailable-error.js';
export { InvalidRedirectUriError } from './contracts/redirect-uri-rules.js';
export { JwksUnavailableError } from './tokens/remote-jwks.js';
export { DuplicateRecordError } from './storage/storage-admin.js';

// Grants, and what a custom grant is written with.
export { AuthorizationCodeGrant, type AuthorizationCodeGrantOptions } from './grants/authorization-code-grant.js';
export { ClientCredentialsGrant, type ClientCredentialsGrantOptions } from './grants/client-credentials-grant.js';
export { DeviceCodeGrant, type DeviceCodeGrantOptions } from './grants/device-code-grant.js';
export { ImplicitGrant } from './grants/implicit-grant.js';
export { PasswordGrant, type PasswordGrantOptions } from './grants/password-grant.js';
export { RefreshTokenGrant, type RefreshTokenGrantOptions } from './grants/refresh-token-grant.js';
export type { DpopBinding, Grant, TokenRequest, TokenResponseBody } from './contracts/grant.js';
export {
  holdsRefreshTokens,
  isDeviceAuthorizationGrant,
  type DeviceAuthorization,
  type DeviceAuthorizationDecision,
  type DeviceAuthorizationGrant,
  type DeviceAuthorizationResponseBody,
  type RefreshTokenHolder,
} from './contracts/capabilities.js';
export type {
  ApprovedAuthorization,
  AuthorizationRequest,
  AuthorizationResponder,
  AuthorizationResponseType,
} from './contracts/authorization-request.js';
export type { CodeChallengeMethod } from './contracts/types.js';
export { issueTokens, refreshIssueFor, type IssueContext, type IssueOptions } from './grants/issue-tokens.js';
export { resolveScopes, type ResolveScopesOptions } from './grants/resolve-scopes.js';
export { requestedResources, resolveResources, type ResolveResourcesOptions, type ResourceTarget } from './grants/resolve-resources.js';
export { tokenResponse } from './core/authorization-server.js';

// Resource servers: bearer access tokens (RFC 6750, RFC 9068).
export { ResourceServer, type ResourceRequest, type ResourceServerOptions } from './core/resource-server.js';
export type { IntrospectionOptions } from './core/remote-introspection.js';
// Protected resource metadata (RFC 9728).
export {
  PROTECTED_RESOURCE_METADATA_PATH,
  protectedResourceMetadata,
  protectedResourceMetadataUrl,
  respondToProtectedResourceMetadataRequest,
  type ProtectedResourceMetadata,
  type ProtectedResourceMetadataSource,
  type ResourceMetadataOptions,
} from './core/protected-resource-metadata.js';
export { requireScopes, tokenScopes } from './core/require-scopes.js';
export {
  verifyAccessToken,
  type AccessTokenClaims,
  type AccessTokenFailure,
  type AccessTokenVerification,
  type VerifyAccessTokenOptions,
} from './tokens/verify-access-token.js';
export { RemoteJwks, type RemoteJwksOptions } from './tokens/remote-jwks.js';

// DPoP (RFC 9449): sender-constrained tokens, proofs, server nonces, single use of proof identifiers.
export type { DpopOptions } from './core/dpop-options.js';
export {
  DPOP_ALGORITHMS,
  normalizeHtu,
  verifyDpopProof,
  type DpopProof,
  type DpopProofFailure,
  type DpopProofVerification,
  type VerifyDpopProofOptions,
} from './tokens/dpop-proof.js';
export { DpopNonces } from './tokens/dpop-nonces.js';
export type { ReplayRepository } from './contracts/replay-repository.js';
export type { KeyResolver } from './tokens/key-resolver.js';

// Storage: the contracts an engine implements, and the secrets and passwords it stores hashed.
export type {
  AccessTokenRecord,
  AccessTokenRepository,
  AuthCodeRecord,
  AuthCodeRepository,
  ClientRepository,
  ConsumeResult,
  DeviceCodeRecord,
  DeviceCodeRepository,
  DevicePollResult,
  FinalizeScopesContext,
  IssuedTokenRepositories,
  IssuedTokens,
  RefreshTokenRecord,
  RefreshTokenRepository,
  ResourceRepository,
  RotateOptions,
  RotateResult,
  ScopeRepository,
  Storage,
  UserRepository,
} from './contracts/repositories.js';
export type {
  ClientRegistration,
  ClientRegistrationRepository,
  InitialAccessTokenRecord,
  InitialAccessTokenRepository,
} from './contracts/client-registration-repository.js';
export type { SessionRecord, SessionRepository } from './storage/session-repository.js';
export {
  PUSHED_REQUEST_KEEP_MS,
  type PushedAuthorizationRequestRecord,
  type PushedAuthorizationRequestRepository,
} from './contracts/pushed-authorization-request-repository.js';
export type { NewUser, StorageAdmin } from './storage/storage-admin.js';
export type { CleanupOptions, CleanupReport, ManagedStorage, MigrationReport } from './storage/managed-storage.js';
export { generateClientSecret, hashClientSecret, verifyClientSecret } from './contracts/client-secret.js';
export { hashPassword, verifyPassword } from './storage/password-hash.js';
