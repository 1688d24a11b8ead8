import { OAuthError } from '../contracts/oauth-error.js';
import { redirectUriProblem } from '../contracts/redirect-uri-rules.js';
import { DEVICE_CODE_GRANT_TYPE, type Client, type GrantType } from '../contracts/types.js';

/**
 * Whether a `client_id` names a client ID metadata document (draft-ietf-oauth-client-id-metadata-document §3): it
 * starts with `https://`. Such an id is resolved by fetching the document when no registered client has it;
 * {@link clientIdUrlProblem} says whether the rest of it is acceptable.
 *
 * @example
 * ```ts
 * isClientIdMetadataDocumentUrl('https://app.example/oauth/client.json'); // true
 * isClientIdMetadataDocumentUrl('my-app');                                // false
 * ```
 */
export const isClientIdMetadataDocumentUrl = (clientId: string): boolean => /^https:\/\//i.test(clientId);

/**
 * Why a client ID URL breaks draft-ietf-oauth-client-id-metadata-document §3, or `undefined` when it does not:
 * "MUST have an "https" scheme, MUST contain a path component, MUST NOT contain single-dot or double-dot path
 * segments, MUST NOT contain a fragment component and MUST NOT contain a username or password". A path of `/`
 * alone is refused too, as the MCP clients refuse it.
 *
 * @example
 * ```ts
 * clientIdUrlProblem('https://app.example/client.json'); // undefined
 * clientIdUrlProblem('https://app.example/a/../b');      // 'has a . or .. path segment'
 * ```
 */
export function clientIdUrlProblem(clientId: string): string | undefined {
  if (!/^https:\/\//.test(clientId)) return 'does not start with https://';
  if (!/^[\x21-\x7e]+$/.test(clientId)) return 'contains a space, a control character or a character outside ASCII';
  if (clientId.includes('#')) return 'has a fragment';
  let url: URL;
  try {
    url = new URL(clientId);
  } catch {
    return 'is not a URL';
  }
  if (url.username !== '' || url.password !== '') return 'has user information before its host';
  // The raw path: the URL parser would resolve dot segments away.
  const path = clientId.slice(8).replace(/^[^/?]*/, '').replace(/\?.*$/, '');
  if (path === '' || path === '/') return 'has no path';
  if (path.split('/').some((segment) => /^(\.|%2e){1,2}$/i.test(segment))) return 'has a . or .. path segment';
  return undefined;
}

/** The grant types a client described by its own document may use: those open to public clients, never implicit (RFC 9700 §2.1.2). */
const DOCUMENT_GRANT_TYPES: ReadonlySet<string> = new Set(['authorization_code', 'refresh_token', DEVICE_CODE_GRANT_TYPE]);
/** Methods built on a shared secret, which a published document cannot establish (draft §4.1). */
const SECRET_METHODS = new Set(['client_secret_basic', 'client_secret_post', 'client_secret_jwt']);
const MAX_NAME_LENGTH = 100;

const refuse = (clientId: string, problem: string): OAuthError =>
  new OAuthError('invalid_client', `The client ID metadata document at ${clientId} ${problem}.`, { status: 400 });

const stringList = (value: unknown): value is string[] => Array.isArray(value) && value.every((v) => typeof v === 'string');

/**
 * The client a client ID metadata document describes, validated as draft-ietf-oauth-client-id-metadata-document
 * §4.1 requires: a JSON object whose `client_id` equals the URL it was fetched from (simple string comparison,
 * RFC 3986 §6.2.1); no `client_secret` or `client_secret_expires_at`; `token_endpoint_auth_method` `none` (the
 * default here, where RFC 7591 would assume a secret) or `private_key_jwt`, never a shared-secret method;
 * `redirect_uris` present and each acceptable by grantry's redirect URI rule. The result is a public client:
 * grant types those of the document open to public clients (default `authorization_code`, RFC 7591 §2), scopes
 * those of its `scope` (none: any known scope), and `client_name` (cut to 100 characters) or else the host as its
 * name. Throws `invalid_client` naming the problem.
 *
 * `private_key_jwt` is a valid value, but this server cannot yet authenticate a client by a key it publishes, so
 * such a client is refused with a description saying so.
 *
 * @example
 * ```ts
 * const client = clientFromMetadataDocument('https://app.example/client.json', {
 *   client_id: 'https://app.example/client.json', client_name: 'Example', redirect_uris: ['https://app.example/cb'],
 * });
 * client.grantTypes; // ['authorization_code']
 * ```
 */
export function clientFromMetadataDocument(clientId: string, document: unknown): Client {
  if (document === null || typeof document !== 'object' || Array.isArray(document)) throw refuse(clientId, 'is not a JSON object');
  const doc = document as Record<string, unknown>;
  // §4.1: "MUST contain a client_id property whose value MUST match the URL of the document using simple string
  // comparison as defined in [RFC3986] Section 6.2.1."
  if (doc.client_id !== clientId) {
    throw refuse(clientId, `has the client_id ${JSON.stringify(doc.client_id ?? null)}, which is not the URL it was fetched from`);
  }
  // §4.1: "the client_secret and client_secret_expires_at properties MUST NOT be used".
  if ('client_secret' in doc || 'client_secret_expires_at' in doc) throw refuse(clientId, 'contains a client_secret, which a published document must not');
  const method = doc.token_endpoint_auth_method ?? 'none';
  if (typeof method !== 'string') throw refuse(clientId, 'has a token_endpoint_auth_method that is not a string');
  if (SECRET_METHODS.has(method)) {
    throw refuse(clientId, `uses token_endpoint_auth_method ${method}, a shared secret, which a published document cannot establish (use none or private_key_jwt)`);
  }
  if (method === 'private_key_jwt') {
    throw refuse(clientId, 'uses token_endpoint_auth_method private_key_jwt, which this server does not support yet (use none)');
  }
  if (method !== 'none') throw refuse(clientId, `uses token_endpoint_auth_method ${JSON.stringify(method)}, which this server does not support (use none)`);

  const grantTypes = doc.grant_types ?? ['authorization_code'];
  if (!stringList(grantTypes)) throw refuse(clientId, 'has grant_types that are not a list of strings');
  const usable = grantTypes.filter((g) => DOCUMENT_GRANT_TYPES.has(g)) as GrantType[];
  if (usable.length === 0) throw refuse(clientId, `lists no grant type a public client may use here (${[...DOCUMENT_GRANT_TYPES].join(', ')})`);

  const redirectUris = doc.redirect_uris ?? [];
  if (!stringList(redirectUris)) throw refuse(clientId, 'has redirect_uris that are not a list of strings');
  if (usable.includes('authorization_code') && redirectUris.length === 0) throw refuse(clientId, 'has no redirect_uris');
  for (const uri of redirectUris) {
    const problem = redirectUriProblem(uri);
    if (problem !== undefined) throw refuse(clientId, `has the redirect URI ${JSON.stringify(uri)}, which ${problem}`);
  }

  const scope = doc.scope;
  if (scope !== undefined && typeof scope !== 'string') throw refuse(clientId, 'has a scope that is not a string');
  const name = doc.client_name;
  if (name !== undefined && typeof name !== 'string') throw refuse(clientId, 'has a client_name that is not a string');
  const displayName = (name ?? '').replace(/\s+/g, ' ').trim().slice(0, MAX_NAME_LENGTH);
  return {
    id: clientId,
    name: displayName === '' ? new URL(clientId).host : displayName,
    redirectUris,
    grantTypes: [...new Set(usable)],
    scopes: scope === undefined ? [] : [...new Set(scope.split(' ').filter(Boolean))],
  };
}
