import type { AccessTokenFormat, Client, ClientJwks, ClientPermission, Resource, Scope, TokenEndpointAuthMethod } from '../../contracts/types.js';
import type { PushedAuthorizationRequestRecord } from '../../contracts/pushed-authorization-request-repository.js';
import type { AccessTokenRecord, AuthCodeRecord, DeviceCodeRecord, RefreshTokenRecord } from '../../contracts/repositories.js';
import type { ClientRegistration, InitialAccessTokenRecord } from '../../contracts/client-registration-repository.js';
import type { SessionRecord } from '../session-repository.js';
import type { RememberedConsent } from '../consent-repository.js';

/**
 * Row ↔ record mapping shared by the SQL engines. Column names are the same on SQLite and PostgreSQL; numbers may
 * arrive as strings (PostgreSQL `bigint`) and booleans as 0/1 (SQLite), so both are normalised here.
 */

/** A database value as the drivers hand it over. */
export type SqlValue = string | number | bigint | boolean | null;
export type Row = Record<string, SqlValue | undefined>;

/** RFC 6749 §3.3: scope tokens never contain a space, so a space-separated list is a faithful encoding. */
export const joinScopes = (scopes: readonly string[]): string => scopes.join(' ');
export const splitScopes = (value: SqlValue | undefined): string[] => (typeof value === 'string' && value !== '' ? value.split(' ') : []);

const str = (v: SqlValue | undefined): string => String(v);
const optStr = (v: SqlValue | undefined): string | undefined => (v === null || v === undefined ? undefined : String(v));
const num = (v: SqlValue | undefined): number => Number(v);
export const bool = (v: SqlValue | undefined): boolean => v === true || v === 1 || v === '1' || v === 't' || v === 1n;

export function toClient(row: Row): Client {
  const secretHash = optStr(row.secret_hash);
  return {
    id: str(row.id),
    name: str(row.name),
    ...(secretHash === undefined ? {} : { secretHash }),
    redirectUris: JSON.parse(str(row.redirect_uris)) as string[],
    grantTypes: JSON.parse(str(row.grant_types)) as string[],
    scopes: splitScopes(row.scopes),
    ...permissionsOf(row.permissions),
    // The origin column (migration 7): only a client that registered itself carries one on the record.
    ...(row.origin === 'registration' ? { origin: 'registration' as const } : {}),
    ...accessTokenFormatOf(row.access_token_format),
    // RFC 9449 §5.2 dpop_bound_access_tokens (column of migration 8): omitted when false.
    ...(bool(row.dpop_bound) ? { dpopBoundAccessTokens: true } : {}),
    ...authenticationOf(row),
    ...resourcesOf(row.resources),
  };
}

/**
 * A list of resource identifiers as stored (a JSON list; NULL or absent before migration 6, or when none):
 * omitted from the record when empty.
 */
function resourcesOf(value: SqlValue | undefined): { resources?: string[] } {
  const list = typeof value === 'string' && value !== '' ? (JSON.parse(value) as string[]) : [];
  return list.length === 0 ? {} : { resources: list };
}

/** Resource identifiers for a column: a JSON list (URIs may hold any character but a space), NULL when none. */
export const joinResources = (resources: readonly string[] | undefined): string | null =>
  resources === undefined || resources.length === 0 ? null : JSON.stringify(resources);

/** A resource's columns in insert order: id, name, scopes, access_token_ttl, access_token_format. */
export const resourceColumns = (r: Resource): SqlValue[] => [r.id, r.name ?? null, joinScopes(r.scopes), r.accessTokenTTL ?? null, r.accessTokenFormat ?? null];

export function toResource(row: Row): Resource {
  const name = optStr(row.name);
  const format = optStr(row.access_token_format);
  const ttl = row.access_token_ttl;
  return {
    id: str(row.id),
    ...(name === undefined ? {} : { name }),
    scopes: splitScopes(row.scopes),
    ...(ttl === null || ttl === undefined ? {} : { accessTokenTTL: num(ttl) }),
    ...(format === 'jwt' || format === 'opaque' ? { accessTokenFormat: format } : {}),
  };
}

/** The columns of migration 9: how the client authenticates, and whether it must push its requests (RFC 9126). */
function authenticationOf(row: Row): Partial<Client> {
  const method = optStr(row.token_endpoint_auth_method) as TokenEndpointAuthMethod | undefined;
  const jwks = optStr(row.jwks);
  const jwksUri = optStr(row.jwks_uri);
  const secretForJwt = optStr(row.secret_for_jwt);
  return {
    ...(method === undefined ? {} : { tokenEndpointAuthMethod: method }),
    ...(jwks === undefined ? {} : { jwks: JSON.parse(jwks) as ClientJwks }),
    ...(jwksUri === undefined ? {} : { jwksUri }),
    ...(secretForJwt === undefined ? {} : { secretForJwt }),
    ...(bool(row.require_pushed_requests) ? { requirePushedAuthorizationRequests: true } : {}),
  };
}

/** A registration row (`grantry_client_registrations`, migration 7) as a record. */
export function toClientRegistration(row: Row): ClientRegistration {
  return {
    clientId: str(row.client_id),
    accessTokenHash: str(row.access_token_hash),
    metadata: JSON.parse(str(row.metadata)) as Record<string, unknown>,
    issuedAt: num(row.issued_at),
  };
}

/** An initial access token row (`grantry_initial_access_tokens`, migration 7) as a record. */
export function toInitialAccessToken(row: Row): InitialAccessTokenRecord {
  const description = optStr(row.description);
  const optNum = (v: SqlValue | undefined): number | undefined => (v === null || v === undefined ? undefined : num(v));
  const expiresAt = optNum(row.expires_at);
  const usesLeft = optNum(row.uses_left);
  return {
    id: str(row.id),
    ...(description === undefined ? {} : { description }),
    createdAt: num(row.created_at),
    ...(expiresAt === undefined ? {} : { expiresAt }),
    ...(usesLeft === undefined ? {} : { usesLeft }),
  };
}

/** The access_token_format column (absent before migration 10; NULL: the server's default): omitted when unset. */
function accessTokenFormatOf(value: SqlValue | undefined): { accessTokenFormat?: AccessTokenFormat } {
  return value === 'jwt' || value === 'opaque' ? { accessTokenFormat: value } : {};
}

/** The permissions column (a JSON list; absent before migration 2): omitted from the client when empty. */
function permissionsOf(value: SqlValue | undefined): { permissions?: ClientPermission[] } {
  const list = typeof value === 'string' && value !== '' ? (JSON.parse(value) as ClientPermission[]) : [];
  return list.length === 0 ? {} : { permissions: list };
}

/** A client's columns in insert order: {@link CLIENT_COLUMN_NAMES}. */
export const clientColumns = (c: Client): SqlValue[] => [
  c.id,
  c.name,
  c.secretHash ?? null,
  JSON.stringify(c.redirectUris),
  JSON.stringify(c.grantTypes),
  joinScopes(c.scopes),
  JSON.stringify(c.permissions ?? []),
  c.accessTokenFormat ?? null,
  c.dpopBoundAccessTokens === true ? 1 : 0,
  c.tokenEndpointAuthMethod ?? null,
  c.jwks === undefined ? null : JSON.stringify(c.jwks),
  c.jwksUri ?? null,
  c.secretForJwt ?? null,
  // 1/0: SQLite has no boolean binding; PostgreSQL reads '1'/'0' as a boolean.
  c.requirePushedAuthorizationRequests === true ? 1 : 0,
  JSON.stringify(c.resources ?? []),
];

/** The columns of {@link clientColumns}, in order: every engine's client INSERT and UPDATE are built from it. */
export const CLIENT_COLUMN_NAMES = [
  'id',
  'name',
  'secret_hash',
  'redirect_uris',
  'grant_types',
  'scopes',
  'permissions',
  'access_token_format',
  'dpop_bound',
  'token_endpoint_auth_method',
  'jwks',
  'jwks_uri',
  'secret_for_jwt',
  'require_pushed_requests',
  'resources',
] as const;

/** `INSERT INTO grantry_clients` with every client column, then `extra` columns; `mark(i)` writes the i-th placeholder. */
export const insertClientSql = (mark: (i: number) => string, extra: readonly string[] = []): string =>
  `INSERT INTO grantry_clients (${[...CLIENT_COLUMN_NAMES, ...extra].join(', ')}) VALUES (${[...CLIENT_COLUMN_NAMES, ...extra].map((_, i) => mark(i + 1)).join(', ')})`;

/** `UPDATE grantry_clients SET` every column but the id, `WHERE id =` the first parameter (`mark(1)`), plus `where`. */
export const updateClientSql = (mark: (i: number) => string, where = ''): string =>
  `UPDATE grantry_clients SET ${CLIENT_COLUMN_NAMES.slice(1).map((c, i) => `${c} = ${mark(i + 2)}`).join(', ')} WHERE id = ${mark(1)}${where}`;

/** A pushed authorization request's row (RFC 9126). */
export function toPushedRequest(row: Row): PushedAuthorizationRequestRecord & { consumed: boolean } {
  return {
    id: str(row.id),
    clientId: str(row.client_id),
    params: JSON.parse(str(row.params)) as Record<string, string>,
    expiresAt: num(row.expires_at),
    consumed: bool(row.consumed),
  };
}

/**
 * An access-token record as the values of its insert, in column order: `id, client_id, user_id, scopes, expires_at,
 * family_id, claims` (one order for every statement of both engines; `claims` is JSON, only for opaque tokens).
 */
export const accessTokenColumns = (r: AccessTokenRecord): SqlValue[] => [
  r.id,
  r.clientId,
  r.userId ?? null,
  joinScopes(r.scopes),
  r.expiresAt,
  r.familyId ?? null,
  r.claims === undefined ? null : JSON.stringify(r.claims),
];

/**
 * A refresh-token record as the values of its insert, in column order: `id, family_id, client_id, user_id, scopes,
 * expires_at, access_token_id, auth_time, dpop_jkt, resources`.
 */
export const refreshTokenColumns = (r: RefreshTokenRecord): SqlValue[] => [
  r.id,
  r.familyId,
  r.clientId,
  r.userId ?? null,
  joinScopes(r.scopes),
  r.expiresAt,
  r.accessTokenId ?? null,
  r.authTime ?? null,
  r.dpopJkt ?? null,
  joinResources(r.resources),
];

export function toScope(row: Row): Scope {
  const description = optStr(row.description);
  return description === undefined ? { id: str(row.id) } : { id: str(row.id), description };
}

export function toAccessToken(row: Row): AccessTokenRecord & { revoked: boolean } {
  return {
    id: str(row.id),
    clientId: str(row.client_id),
    userId: optStr(row.user_id),
    scopes: splitScopes(row.scopes),
    expiresAt: num(row.expires_at),
    familyId: optStr(row.family_id),
    ...(typeof row.claims === 'string' ? { claims: JSON.parse(row.claims) as Record<string, unknown> } : {}),
    revoked: bool(row.revoked) || bool(row.family_revoked),
  };
}

export function toRefreshToken(row: Row): RefreshTokenRecord & { revoked: boolean; consumed: boolean } {
  return {
    id: str(row.id),
    familyId: str(row.family_id),
    clientId: str(row.client_id),
    userId: optStr(row.user_id),
    scopes: splitScopes(row.scopes),
    expiresAt: num(row.expires_at),
    accessTokenId: optStr(row.access_token_id),
    authTime: row.auth_time === null || row.auth_time === undefined ? undefined : num(row.auth_time),
    ...dpopJktOf(row),
    ...resourcesOf(row.resources),
    revoked: bool(row.revoked) || bool(row.family_revoked),
    consumed: bool(row.consumed),
  };
}

/** Strips the storage flags off a record returned by a consume. */
export function plainRefreshToken(r: RefreshTokenRecord): RefreshTokenRecord {
  const { id, familyId, clientId, userId, scopes, expiresAt, accessTokenId, authTime, dpopJkt, resources } = r;
  return {
    id, familyId, clientId, userId, scopes, expiresAt, accessTokenId, authTime,
    ...(dpopJkt === undefined ? {} : { dpopJkt }),
    ...(resources === undefined ? {} : { resources }),
  };
}

/** The DPoP key thumbprint column (migration 8, RFC 9449 §5 and §10): omitted when empty. */
function dpopJktOf(row: Row): { dpopJkt?: string } {
  const jkt = optStr(row.dpop_jkt);
  return jkt === undefined ? {} : { dpopJkt: jkt };
}

export function toAuthCode(row: Row): AuthCodeRecord & { revoked: boolean; consumed: boolean } {
  const method = optStr(row.code_challenge_method);
  return {
    id: str(row.id),
    familyId: str(row.family_id),
    clientId: str(row.client_id),
    userId: str(row.user_id),
    scopes: splitScopes(row.scopes),
    redirectUri: optStr(row.redirect_uri),
    codeChallenge: optStr(row.code_challenge),
    codeChallengeMethod: method === 'S256' || method === 'plain' ? method : undefined,
    expiresAt: num(row.expires_at),
    ...dpopJktOf(row),
    ...resourcesOf(row.resources),
    revoked: bool(row.revoked),
    consumed: bool(row.consumed),
  };
}

export function plainAuthCode(r: AuthCodeRecord): AuthCodeRecord {
  const { id, familyId, clientId, userId, scopes, redirectUri, codeChallenge, codeChallengeMethod, expiresAt, dpopJkt, resources } = r;
  return {
    id, familyId, clientId, userId, scopes, redirectUri, codeChallenge, codeChallengeMethod, expiresAt,
    ...(dpopJkt === undefined ? {} : { dpopJkt }),
    ...(resources === undefined ? {} : { resources }),
  };
}

export function toDeviceCode(row: Row): DeviceCodeRecord {
  const lastPolledAt = row.last_polled_at;
  return {
    id: str(row.id),
    userCode: str(row.user_code),
    clientId: str(row.client_id),
    scopes: splitScopes(row.scopes),
    expiresAt: num(row.expires_at),
    interval: num(row.poll_interval),
    lastPolledAt: lastPolledAt === null || lastPolledAt === undefined ? undefined : num(lastPolledAt),
    status: str(row.status) as DeviceCodeRecord['status'],
    userId: optStr(row.user_id),
    ...resourcesOf(row.resources),
  };
}

export function toSession(row: Row): SessionRecord {
  return {
    id: str(row.id),
    userId: str(row.user_id),
    username: optStr(row.username),
    createdAt: num(row.created_at),
    expiresAt: num(row.expires_at),
  };
}

export function toConsent(row: Row): RememberedConsent {
  return { userId: str(row.user_id), clientId: str(row.client_id), scopes: splitScopes(row.scopes), createdAt: num(row.created_at) };
}

/** Every table grantry creates, for clean-up and for tests that scan them. */
export const GRANTRY_TABLES = [
  'grantry_clients',
  'grantry_scopes',
  'grantry_users',
  'grantry_access_tokens',
  'grantry_refresh_tokens',
  'grantry_auth_codes',
  'grantry_device_codes',
  'grantry_revoked_families',
  'grantry_sessions',
  'grantry_consents',
  'grantry_consent_opt_outs',
  'grantry_client_registrations',
  'grantry_initial_access_tokens',
  'grantry_replays',
  'grantry_resources',
  'grantry_pushed_requests',
] as const;

/** How long a revoked family outlives its last token before clean-up forgets it (covers in-flight saves). */
export const FAMILY_GRACE_MS = 3600_000;
