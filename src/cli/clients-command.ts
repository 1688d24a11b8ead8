import { readFileSync } from 'node:fs';
import { redirectUriProblem } from '../contracts/redirect-uri-rules.js';
import { hashClientSecret } from '../contracts/client-secret.js';
import type { AccessTokenFormat, Client, ClientJwks, ClientPermission, GrantType, TokenEndpointAuthMethod } from '../contracts/types.js';
import { createClient, type ServerStore } from '../server/server-store.js';
import { isConfidential } from '../contracts/types.js';
import type { CommandOutput, Flags } from './admin-commands.js';
import { UsageError } from './cli-error.js';
import { GRANT_NAMES } from '../server/config.js';
import { closestName } from '../server/closest-name.js';

const PERMISSIONS: readonly ClientPermission[] = ['introspect'];
const DEVICE_CODE = GRANT_NAMES.device_code;

const list = (value: Flags[string], separator: RegExp): string[] =>
  typeof value === 'string' ? value.split(separator).map((s) => s.trim()).filter(Boolean) : [];

const required = (flags: Flags, name: string): string => {
  const value = flags[name];
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${name} is required`);
  return value;
};

const showClient = (c: Client) => ({
  id: c.id,
  name: c.name,
  type: isConfidential(c) ? 'confidential' : 'public',
  grant_types: c.grantTypes,
  scopes: c.scopes,
  redirect_uris: c.redirectUris,
  permissions: c.permissions ?? [],
  // `registration`: the client registered itself (RFC 7591); `operator`: created here or through the admin API.
  origin: c.origin ?? 'operator',
  /** `null`: the server's `--access-token-format` applies. */
  access_token_format: c.accessTokenFormat ?? null,
  dpop_bound_access_tokens: c.dpopBoundAccessTokens === true,
  resources: c.resources ?? [],
  token_endpoint_auth_method: c.tokenEndpointAuthMethod ?? (c.secretHash === undefined ? 'none' : 'client_secret_basic'),
  ...(c.jwksUri === undefined ? {} : { jwks_uri: c.jwksUri }),
  ...(c.jwks === undefined ? {} : { jwks: c.jwks }),
  require_pushed_authorization_requests: c.requirePushedAuthorizationRequests === true,
});

const clientText = (c: Client): string => {
  const s = showClient(c);
  return [
    `${s.id}  ${s.name} (${s.type})`,
    `  grant types: ${s.grant_types.join(', ') || '-'}`,
    `  scopes: ${s.scopes.join(' ') || '(any)'}`,
    `  redirect URIs: ${s.redirect_uris.join(' ') || '-'}`,
    `  permissions: ${s.permissions.join(', ') || '-'}`,
    `  origin: ${s.origin === 'registration' ? 'registration (registered itself, RFC 7591)' : 'operator'}`,
    `  access token format: ${s.access_token_format ?? "(the server's default)"}`,
    ...(s.dpop_bound_access_tokens ? ['  DPoP-bound access tokens: required (RFC 9449)'] : []),
    `  resources: ${s.resources.join(' ') || '(any registered)'}`,
    `  authentication: ${s.token_endpoint_auth_method}${s.jwks_uri === undefined ? '' : ` (jwks_uri ${s.jwks_uri})`}${s.jwks === undefined ? '' : ` (${s.jwks.keys.length} registered key${s.jwks.keys.length === 1 ? '' : 's'})`}`,
    `  requires pushed authorization requests: ${s.require_pushed_authorization_requests ? 'yes' : 'no'}`,
  ].join('\n');
};

/** Grant types by the names `--grant-types` takes: the short names of `--grants`, or the registered URN. */
const KNOWN_GRANT_TYPES: Readonly<Record<string, GrantType>> = { ...GRANT_NAMES, [DEVICE_CODE]: DEVICE_CODE };

/** `--grant-types a,b`: each a grant the server knows (RFC 6749 §4, RFC 8628 §3.4), by its short name or URN. */
function grantTypesOf(flags: Flags): GrantType[] {
  return list(flags['grant-types'], /[\s,]+/).map((name) => {
    const type = Object.hasOwn(KNOWN_GRANT_TYPES, name) ? KNOWN_GRANT_TYPES[name] : undefined;
    if (type === undefined) {
      const near = closestName(name, Object.keys(GRANT_NAMES));
      throw new UsageError(`--grant-types: unknown grant type ${name}${near ? ` (did you mean ${near}?)` : ''}; known: ${Object.keys(GRANT_NAMES).join(', ')}`);
    }
    return type;
  });
}

/** `--scopes "a b"`: each must already exist (`grantry scopes add`), or the client could never be granted it. */
async function scopesOf(store: ServerStore, flags: Flags): Promise<string[]> {
  const scopes = list(flags.scopes, /[\s,]+/);
  if (scopes.length === 0) return scopes;
  const known = new Set((await store.storage.admin.listScopes()).map((s) => s.id));
  const unknown = scopes.filter((s) => !known.has(s));
  if (unknown.length > 0) {
    throw new UsageError(
      `--scopes: unknown scope${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; add ${unknown.length > 1 ? 'them' : 'it'} first with ${unknown.map((s) => `grantry scopes add ${s}`).join(' and ')}`,
    );
  }
  return [...new Set(scopes)];
}

/**
 * `--resource URI` (repeatable): the resources (RFC 8707) the client may ask tokens for; each must be registered
 * (`grantry resources create`). `undefined` when not given; `--resource ""` alone clears the list (any resource).
 */
async function resourcesOf(store: ServerStore, flags: Flags): Promise<string[] | undefined> {
  const given = flags.resource;
  if (given === undefined) return undefined;
  const values: readonly string[] = typeof given === 'string' ? [given] : typeof given === 'boolean' ? [] : given;
  const ids = [...new Set(values.filter((r) => r !== ''))];
  const known = new Set((await store.storage.admin.listResources()).map((r) => r.id));
  const unknown = ids.filter((r) => !known.has(r));
  if (unknown.length > 0) throw new UsageError(`--resource: unknown resource ${unknown.join(', ')}; register it first with grantry resources create ${unknown[0]}`);
  return ids;
}

/** RFC 6749 §3.1.2.2: a client of the redirect-based grants must register its redirect URIs (required for public clients, and grantry requires them of all). */
function requireRedirectUris(grantTypes: readonly string[], redirectUris: readonly string[]): void {
  const redirecting = grantTypes.filter((g) => g === 'authorization_code' || g === 'implicit');
  if (redirecting.length > 0 && redirectUris.length === 0) {
    throw new UsageError(`--redirect-uris is required for a client with the ${redirecting.join(' and ')} grant (RFC 6749 §3.1.2.2), e.g. --redirect-uris https://app.example.com/callback`);
  }
}

/** `--no-remember-consent` (off) or `--remember-consent` (on); `undefined` when neither is given. */
function rememberConsentOf(flags: Flags): boolean | undefined {
  const off = flags['no-remember-consent'] === true;
  const on = flags['remember-consent'] === true;
  if (off && on) throw new UsageError('give --remember-consent or --no-remember-consent, not both');
  return off ? false : on ? true : undefined;
}

/** A client as shown, with whether the consent page may remember decisions for it. */
async function shown(store: ServerStore, c: Client) {
  const remember = await store.storage.consents.rememberAllowed(c.id);
  return {
    json: { ...showClient(c), remember_consent: remember },
    text: `${clientText(c)}\n  remember consent: ${remember ? 'yes' : 'no'}`,
  };
}


/** Redirect URIs checked by the registration rule, so that a mistake is a usage error naming the flag. */
function redirectUrisOf(flags: Flags): string[] {
  const uris = list(flags['redirect-uris'], /[\s,]+/);
  for (const uri of uris) {
    const problem = redirectUriProblem(uri);
    if (problem !== undefined) throw new UsageError(`--redirect-uris: the redirect URI ${JSON.stringify(uri)} ${problem}`);
  }
  return uris;
}

/**
 * `--access-token-format jwt|opaque` (and, on update, `default`: the server's `--access-token-format` again);
 * `undefined` when not given, `null` for `default`.
 */
function accessTokenFormatOf(flags: Flags, allowDefault: boolean): AccessTokenFormat | null | undefined {
  const value = flags['access-token-format'];
  if (value === undefined) return undefined;
  if (value === 'jwt' || value === 'opaque') return value;
  if (allowDefault && value === 'default') return null;
  throw new UsageError(`--access-token-format: use jwt or opaque${allowDefault ? ", or default for the server's" : ''} (not ${String(value)})`);
}

/** `--permissions a,b` and the `--can-introspect` shorthand; `undefined` when neither is given. */
function permissionsOf(flags: Flags): ClientPermission[] | undefined {
  if (flags.permissions === undefined && flags['can-introspect'] !== true) return undefined;
  const named = list(flags.permissions, /[\s,]+/);
  for (const p of named) if (!PERMISSIONS.includes(p as ClientPermission)) throw new UsageError(`--permissions: unknown permission ${p} (known: ${PERMISSIONS.join(', ')})`);
  const all = new Set([...named, ...(flags['can-introspect'] === true ? ['introspect'] : [])]) as Set<ClientPermission>;
  return [...all];
}

const AUTH_METHODS: readonly TokenEndpointAuthMethod[] = ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'client_secret_jwt', 'none'];

/** `--auth-method`, `--jwks-file`, `--jwks-uri` (RFC 7591 §2); `undefined` members when not given. */
function authenticationOf(flags: Flags): { method?: TokenEndpointAuthMethod; jwks?: ClientJwks; jwksUri?: string } {
  const method = flags['auth-method'];
  if (method !== undefined && !AUTH_METHODS.includes(method as TokenEndpointAuthMethod)) {
    throw new UsageError(`--auth-method: unknown method ${String(method)}; known: ${AUTH_METHODS.join(', ')}`);
  }
  const file = flags['jwks-file'];
  const uri = flags['jwks-uri'];
  if (file !== undefined && uri !== undefined) throw new UsageError('give --jwks-file or --jwks-uri, not both (RFC 7591 §2)');
  let jwks: ClientJwks | undefined;
  if (typeof file === 'string') {
    try {
      jwks = JSON.parse(readFileSync(file, 'utf8')) as ClientJwks;
    } catch (error) {
      throw new UsageError(`--jwks-file: cannot read a JWK set from ${file}: ${(error as Error).message}`);
    }
  }
  if ((jwks !== undefined || uri !== undefined) && method !== undefined && method !== 'private_key_jwt') {
    throw new UsageError('--jwks-file and --jwks-uri go with --auth-method private_key_jwt');
  }
  return {
    ...(method === undefined ? {} : { method: method as TokenEndpointAuthMethod }),
    ...(jwks === undefined ? {} : { jwks }),
    ...(typeof uri === 'string' ? { jwksUri: uri } : {}),
  };
}

/** `--require-par` (on) or `--no-require-par` (off); `undefined` when neither is given. */
function requireParOf(flags: Flags): boolean | undefined {
  if (flags['require-par'] === true && flags['no-require-par'] === true) throw new UsageError('give --require-par or --no-require-par, not both');
  return flags['require-par'] === true ? true : flags['no-require-par'] === true ? false : undefined;
}

/** The admin's TypeError (a client that breaks a registration rule) as a usage error. */
async function registering<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (error instanceof TypeError && error.message.startsWith('grantry: client ')) throw new UsageError(error.message.replace(/^grantry: /, ''));
    throw error;
  }
}

/**
 * A secret chosen elsewhere (a client migrated from another server), read from stdin or a file so that it never
 * appears on a command line (visible in `ps` and shell history). The first line, without its line ending.
 */
async function importedSecret(flags: Flags, stdin: () => Promise<string>): Promise<string | undefined> {
  const fromStdin = flags['secret-stdin'] === true;
  const file = flags['secret-file'];
  if (fromStdin && file !== undefined) throw new UsageError('give --secret-stdin or --secret-file, not both');
  if (!fromStdin && typeof file !== 'string') return undefined;
  let text: string;
  try {
    text = fromStdin ? await stdin() : readFileSync(file as string, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read the secret: ${(error as Error).message}`);
  }
  const secret = text.split(/\r?\n/, 1)[0] ?? '';
  if (secret === '') throw new UsageError(`the secret ${fromStdin ? 'on stdin' : `in ${String(file)}`} is empty`);
  return secret;
}

/** Reads stdin up to its first line ending or its end (at most 64 KiB): the secret is that first line. */
export async function readStdin(limit = 65_536): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    text += chunk.toString('utf8');
    if (text.includes('\n')) break;
    if (text.length > limit) throw new Error('stdin is too long for a secret');
  }
  return text;
}

/**
 * `grantry clients create|update|list|show|delete`. Redirect URIs follow the registration rule (https, http on
 * loopback, or a native app's private-use scheme; no fragment); `--can-introspect` (or `--permissions
 * introspect`) lets a resource server's client introspect other clients' tokens (RFC 7662 §4); `--secret-stdin` /
 * `--secret-file` import a chosen secret instead of generating one; `--no-remember-consent` makes the consent page
 * ask every time for the client (and forgets what was remembered), `--remember-consent` allows remembering again.
 *
 * @example
 * ```ts
 * const out = await clientsCommand(store, 'create', undefined, { name: 'Orders API', 'grant-types': 'client_credentials', 'can-introspect': true });
 * console.log(out.text); // client_id and, once, the generated secret
 * ```
 */
export async function clientsCommand(
  store: ServerStore,
  action: string | undefined,
  id: string | undefined,
  flags: Flags,
  stdin: () => Promise<string> = readStdin,
): Promise<CommandOutput> {
  const admin = store.storage.admin;
  switch (action) {
    case 'create': {
      const grantTypes = grantTypesOf(flags);
      if (grantTypes.length === 0) throw new UsageError('--grant-types is required (e.g. authorization_code,refresh_token)');
      const isPublic = flags.public === true;
      const secret = await importedSecret(flags, stdin);
      if (isPublic && secret !== undefined) throw new UsageError('a --public client has no secret');
      const permissions = permissionsOf(flags);
      const accessTokenFormat = accessTokenFormatOf(flags, false) ?? undefined;
      const name = required(flags, 'name');
      const redirectUris = redirectUrisOf(flags);
      requireRedirectUris(grantTypes, redirectUris);
      const scopes = await scopesOf(store, flags);
      const resources = await resourcesOf(store, flags);
      const rememberConsent = rememberConsentOf(flags);
      const auth = authenticationOf(flags);
      const method = auth.method ?? (auth.jwks !== undefined || auth.jwksUri !== undefined ? 'private_key_jwt' : undefined);
      if (isPublic && method !== undefined && method !== 'none') throw new UsageError(`a --public client cannot use ${method}`);
      if (secret !== undefined && (method === 'private_key_jwt' || method === 'none')) throw new UsageError(`a ${method} client has no secret`);
      const requirePar = requireParOf(flags);
      const { client, secret: generated } = await registering(() => createClient(store, {
        id: typeof flags.id === 'string' ? flags.id : id,
        name,
        grantTypes,
        scopes,
        redirectUris,
        public: isPublic,
        ...(secret === undefined ? {} : { secret }),
        ...(permissions === undefined ? {} : { permissions }),
        ...(accessTokenFormat === undefined ? {} : { accessTokenFormat }),
        ...(flags['dpop-bound'] === true ? { dpopBoundAccessTokens: true } : {}),
        ...(resources === undefined ? {} : { resources }),
        ...(method === undefined ? {} : { authMethod: method }),
        ...(auth.jwks === undefined ? {} : { jwks: auth.jwks }),
        ...(auth.jwksUri === undefined ? {} : { jwksUri: auth.jwksUri }),
        ...(requirePar === true ? { requirePushedAuthorizationRequests: true } : {}),
      }));
      if (rememberConsent === false) await store.storage.consents.setRememberAllowed(client.id, false);
      const note =
        generated !== undefined
          ? `\nclient_secret: ${generated}\n(The secret is shown only now: store it safely.)`
          : secret !== undefined
            ? '\n(The imported secret is stored as a hash.)'
            : '';
      return { json: { ...showClient(client), remember_consent: rememberConsent !== false, client_secret: generated }, text: `client_id: ${client.id}${note}` };
    }
    case 'update': {
      const clientId = id ?? required(flags, 'id');
      const current = await admin.getClient(clientId);
      if (!current) throw new UsageError(`no client ${clientId}`);
      const secret = await importedSecret(flags, stdin);
      if (secret !== undefined && current.secretHash === undefined) throw new UsageError(`client ${clientId} is public: it has no secret`);
      const permissions = permissionsOf(flags);
      const format = accessTokenFormatOf(flags, true);
      const rememberConsent = rememberConsentOf(flags);
      const grantTypes = grantTypesOf(flags);
      const resources = await resourcesOf(store, flags);
      const auth = authenticationOf(flags);
      const requirePar = requireParOf(flags);
      const switchesToKeys = auth.method === 'private_key_jwt' || (auth.method === undefined && (auth.jwks !== undefined || auth.jwksUri !== undefined));
      if (auth.method !== undefined && auth.method !== 'private_key_jwt' && auth.method !== current.tokenEndpointAuthMethod) {
        throw new UsageError('clients update changes the authentication method only to private_key_jwt; register a new client for another method');
      }
      const { accessTokenFormat: currentFormat, resources: currentResources, ...rest } = current;
      const { jwks: _jwks, jwksUri: _jwksUri, secretHash: _secretHash, secretForJwt: _secretForJwt, ...base } = rest;
      const updated: Client = {
        ...(switchesToKeys ? { ...base, tokenEndpointAuthMethod: 'private_key_jwt', ...(auth.jwks ? { jwks: auth.jwks } : {}), ...(auth.jwksUri ? { jwksUri: auth.jwksUri } : {}) } : rest),
        ...(format === undefined ? (currentFormat === undefined ? {} : { accessTokenFormat: currentFormat }) : format === null ? {} : { accessTokenFormat: format }),
        ...(resources === undefined
          ? currentResources === undefined ? {} : { resources: currentResources }
          : resources.length === 0 ? {} : { resources }),
        ...(requirePar === undefined ? {} : { requirePushedAuthorizationRequests: requirePar }),
        ...(typeof flags.name === 'string' ? { name: flags.name } : {}),
        ...(grantTypes.length > 0 ? { grantTypes } : {}),
        ...(flags.scopes !== undefined ? { scopes: await scopesOf(store, flags) } : {}),
        ...(flags['redirect-uris'] !== undefined ? { redirectUris: redirectUrisOf(flags) } : {}),
        ...(permissions === undefined ? {} : { permissions }),
        ...(secret === undefined ? {} : { secretHash: await hashClientSecret(secret) }),
        // RFC 9449 §5.2 dpop_bound_access_tokens: --dpop-bound requires DPoP of the client, --no-dpop-bound stops it.
        ...(flags['dpop-bound'] === true ? { dpopBoundAccessTokens: true } : flags['no-dpop-bound'] === true ? { dpopBoundAccessTokens: false } : {}),
      };
      requireRedirectUris(updated.grantTypes, updated.redirectUris);
      if (!(await registering(() => admin.updateClient(updated)))) throw new UsageError(`no client ${clientId}`);
      if (rememberConsent !== undefined) await store.storage.consents.setRememberAllowed(clientId, rememberConsent);
      return shown(store, updated);
    }
    case 'list': {
      const clients = await admin.listClients();
      return { json: clients.map(showClient), text: clients.map(clientText).join('\n') || 'No clients.' };
    }
    case 'show': {
      const client = await admin.getClient(id ?? required(flags, 'id'));
      if (!client) throw new UsageError(`no client ${id}`);
      return shown(store, client);
    }
    case 'delete': {
      const clientId = id ?? required(flags, 'id');
      if (!(await admin.deleteClient(clientId))) throw new UsageError(`no client ${clientId}`);
      return { json: { deleted: clientId }, text: `Deleted client ${clientId}.` };
    }
    default:
      throw new UsageError('clients: use create, update, list, show or delete');
  }
}
