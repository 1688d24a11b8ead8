import { OAuthError } from '../../contracts/oauth-error.js';
import { redirectUriProblem } from '../../contracts/redirect-uri-rules.js';
import type { GrantType } from '../../contracts/types.js';

/**
 * What the registration endpoint accepts from a client, decided by the server's settings: the grant types,
 * token endpoint authentication methods and scopes a registered client may have.
 *
 * @example
 * ```ts
 * const policy: ClientMetadataPolicy = { grantTypes: ['authorization_code', 'refresh_token'],
 *   authMethods: ['none', 'client_secret_basic'], scopes: ['read'], knownScopes: async (ids) => ids };
 * const accepted = await validateClientMetadata({ redirect_uris: ['https://app.example/cb'] }, policy);
 * ```
 */
export interface ClientMetadataPolicy {
  /** Grant types a registered client may use: the registration setting, within what the server enables. */
  readonly grantTypes: readonly GrantType[];
  /** Token endpoint authentication methods a registered client may choose (RFC 7591 §2). */
  readonly authMethods: readonly string[];
  /** Scopes a registered client may ask for; `undefined`: any scope the server knows. */
  readonly scopes: readonly string[] | undefined;
  /** The ids among `ids` that the server knows (its scope repository). */
  knownScopes(ids: readonly string[]): Promise<readonly string[]>;
}

/**
 * Client metadata as accepted: the fields the `Client` record needs, and the metadata to store and echo.
 *
 * @example
 * ```ts
 * const { grantTypes, redirectUris, scopes, authMethod, name, metadata }: AcceptedClientMetadata = await validateClientMetadata(body, policy);
 * ```
 */
export interface AcceptedClientMetadata {
  readonly redirectUris: string[];
  readonly grantTypes: GrantType[];
  readonly scopes: string[];
  readonly authMethod: string;
  readonly name: string | undefined;
  /** Every accepted field, as the client information response echoes it (RFC 7591 §3.2.1). */
  readonly metadata: Record<string, unknown>;
}

/** RFC 7591 §2.1: the response types that go with each grant type (the others use none). */
const RESPONSE_TYPE_OF: Readonly<Record<string, string>> = { authorization_code: 'code', implicit: 'token' };
const GRANT_TYPE_OF: Readonly<Record<string, string>> = { code: 'authorization_code', token: 'implicit' };
/** Methods that authenticate with a client secret: a client registered with one gets a secret. */
export const SECRET_AUTH_METHODS: readonly string[] = ['client_secret_basic', 'client_secret_post'];
/** Human-readable fields that may carry a language tag, `client_name#fr` (RFC 7591 §2.2). */
const LOCALIZABLE = ['client_name', 'client_uri', 'logo_uri', 'tos_uri', 'policy_uri'];
const URL_FIELDS = ['client_uri', 'logo_uri', 'tos_uri', 'policy_uri', 'jwks_uri'];
/** RFC 6749 §3.3 scope-token characters. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;
const MAX_LIST = 32;
const MAX_TEXT = 2000;
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * RFC 6749 §5.2 (which RFC 7591 §3.2.2 follows): error_description uses only %x20-21 / %x23-5B / %x5D-7E, so the
 * section sign becomes "section" and anything else outside the set a question mark.
 */
const describe = (text: string): string => text.replace(/§/g, 'section').replace(/[^\x20-\x21\x23-\x5B\x5D-\x7E]/g, '?');
const bad = (field: string, why: string): OAuthError => OAuthError.invalidClientMetadata(describe(`${field} ${why}.`));

function stringList(body: Record<string, unknown>, field: string, error: (why: string) => OAuthError): string[] | undefined {
  const value = body[field];
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && v !== '' && v.length <= MAX_TEXT)) throw error('must be an array of non-empty strings');
  if (value.length > MAX_LIST) throw error(`may list at most ${MAX_LIST} values`);
  return [...new Set(value as string[])];
}

function text(body: Record<string, unknown>, field: string): string | undefined {
  const value = body[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length > MAX_TEXT || CONTROL.test(value)) throw bad(field, 'must be a string without control characters');
  return value;
}

/** A web page or document the consent page may link to: an absolute https URL (http only for loopback development). */
function webUrl(field: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw bad(field, 'must be an absolute URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw bad(field, 'must be an https URL');
  return value;
}

/**
 * Validates submitted client metadata (RFC 7591 §2) against the server's policy. Redirect URIs follow the
 * registration rule (`redirectUriProblem`) and are `invalid_redirect_uri`; every other bad or disallowed value is
 * `invalid_client_metadata`. Unknown fields are ignored (RFC 7591 §2: the server "MUST ignore any client metadata
 * sent by the client that it does not understand"), and so is a `software_statement`, which grantry does not
 * support.
 *
 * @example
 * ```ts
 * const accepted = await validateClientMetadata(await request.json(), policy); // throws OAuthError
 * ```
 */
export async function validateClientMetadata(body: Record<string, unknown>, policy: ClientMetadataPolicy): Promise<AcceptedClientMetadata> {
  const redirectError = (why: string): OAuthError => OAuthError.invalidRedirectUri(describe(`redirect_uris ${why}.`));
  const redirectUris = stringList(body, 'redirect_uris', redirectError) ?? [];
  redirectUris.forEach((uri, i) => {
    // The rule of the registration path (contracts/redirect-uri-rules.ts); the URI itself is not echoed.
    const problem = redirectUriProblem(uri);
    if (problem !== undefined) throw redirectError(`[${i}] ${problem}`);
  });

  // RFC 7591 §2: "If unspecified or omitted, the default is "client_secret_basic"".
  const authMethod = text(body, 'token_endpoint_auth_method') ?? 'client_secret_basic';
  if (!policy.authMethods.includes(authMethod)) {
    throw bad('token_endpoint_auth_method', `must be one of ${policy.authMethods.join(', ')}`);
  }

  const listed = stringList(body, 'grant_types', (why) => bad('grant_types', why));
  const responseListed = stringList(body, 'response_types', (why) => bad('response_types', why));
  // RFC 7591 §2: grant_types defaults to authorization_code, response_types to code; a client that names only one
  // of the two gets the other derived from it, so that the pair is consistent.
  const grantTypes = listed ?? (responseListed ? responseListed.flatMap((r) => GRANT_TYPE_OF[r] ?? []) : ['authorization_code']);
  const responseTypes = responseListed ?? grantTypes.flatMap((g) => RESPONSE_TYPE_OF[g] ?? []);
  for (const g of grantTypes) {
    if (!policy.grantTypes.includes(g)) throw bad('grant_types', `may not include ${g} here; allowed: ${policy.grantTypes.join(', ') || 'none'}`);
  }
  for (const r of responseTypes) if (GRANT_TYPE_OF[r] === undefined) throw bad('response_types', `may not include ${r}; supported: code, token`);
  // RFC 7591 §2.1: "code" goes with authorization_code and "token" with implicit, each both ways.
  for (const [grant, response] of Object.entries(RESPONSE_TYPE_OF)) {
    if (grantTypes.includes(grant) !== responseTypes.includes(response)) {
      throw bad('grant_types and response_types', `are inconsistent: ${grant} and the response type ${response} go together (RFC 7591 §2.1)`);
    }
  }
  const redirecting = grantTypes.filter((g) => g === 'authorization_code' || g === 'implicit');
  // RFC 7591 §2: redirect_uris is for "redirect-based flows"; RFC 6749 §3.1.2.2 requires them of such clients.
  if (redirecting.length > 0 && redirectUris.length === 0) throw redirectError(`is required with the ${redirecting.join(' and ')} grant`);
  const confidential = SECRET_AUTH_METHODS.includes(authMethod);
  if (!confidential && grantTypes.includes('client_credentials')) {
    throw bad('grant_types', `may include client_credentials only for a client that authenticates with a secret, not ${authMethod} (RFC 6749 §4.4)`);
  }

  const scopes = await scopesOf(body, policy);
  const metadata: Record<string, unknown> = {
    redirect_uris: redirectUris,
    token_endpoint_auth_method: authMethod,
    grant_types: grantTypes,
    response_types: responseTypes,
    ...(scopes.length > 0 ? { scope: scopes.join(' ') } : {}),
  };
  for (const [field, value] of Object.entries(body)) {
    const base = field.split('#', 1)[0]!;
    if (field !== base && (!LOCALIZABLE.includes(base) || !/^[A-Za-z0-9-]{1,35}$/.test(field.slice(base.length + 1)))) continue;
    if (base === 'client_name' || base === 'software_id' || base === 'software_version') metadata[field] = text(body, field);
    else if (URL_FIELDS.includes(base)) metadata[field] = webUrl(field, text(body, field)!);
    else if (field === 'contacts') metadata[field] = stringList(body, field, (why) => bad(field, why));
    else if (field === 'jwks') metadata[field] = jwksOf(value);
  }
  // RFC 7591 §2: "The "jwks_uri" and "jwks" parameters MUST NOT both be present in the same request or response."
  if (metadata.jwks !== undefined && metadata.jwks_uri !== undefined) throw bad('jwks and jwks_uri', 'must not both be present');
  // private_key_jwt (RFC 7523 §2.2), when the server offers it, needs the client's public keys.
  if (authMethod === 'private_key_jwt' && metadata.jwks === undefined && metadata.jwks_uri === undefined) {
    throw bad('jwks or jwks_uri', 'is required with private_key_jwt');
  }
  // The keys are fetched from jwks_uri with safeFetchJson, which speaks https only; no credentials or fragment.
  if (typeof metadata.jwks_uri === 'string') {
    const url = new URL(metadata.jwks_uri);
    if (url.protocol !== 'https:' || url.hash !== '' || url.username !== '' || url.password !== '') throw bad('jwks_uri', 'must be an https URL without credentials or fragment');
  }
  const name = metadata.client_name as string | undefined;
  return { redirectUris, grantTypes, scopes, authMethod, name, metadata };
}

function jwksOf(value: unknown): unknown {
  const keys = (value as { keys?: unknown } | null)?.keys;
  if (typeof value !== 'object' || value === null || !Array.isArray(keys) || keys.length > MAX_LIST) throw bad('jwks', 'must be a JWK Set ({"keys": [...]})');
  for (const key of keys as unknown[]) {
    if (typeof key !== 'object' || key === null || typeof (key as { kty?: unknown }).kty !== 'string') throw bad('jwks', 'needs a kty in every key');
    // RFC 7517 §4: a client registers public keys only; a private or symmetric member is a leaked key.
    if (['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'].some((m) => m in key)) throw bad('jwks', 'must hold public keys only');
  }
  return value;
}

/** RFC 7591 §2 `scope`: space-separated scope tokens, each known to the server and within the registration policy. */
async function scopesOf(body: Record<string, unknown>, policy: ClientMetadataPolicy): Promise<string[]> {
  const value = text(body, 'scope');
  if (value === undefined) return policy.scopes === undefined ? [] : [...policy.scopes];
  const scopes = [...new Set(value.split(' ').filter((s) => s !== ''))];
  for (const s of scopes) if (!SCOPE_TOKEN.test(s)) throw bad('scope', 'must be space-separated scope tokens (RFC 6749 §3.3)');
  const known = new Set(await policy.knownScopes(scopes));
  const refused = scopes.filter((s) => !known.has(s) || (policy.scopes !== undefined && !policy.scopes.includes(s)));
  if (refused.length > 0) throw bad('scope', `names ${refused.length > 1 ? 'scopes' : 'a scope'} this server does not offer to registered clients: ${refused.join(' ')}`);
  return scopes;
}
