import type { ServerConfig } from '../server/config.js';
import type { KeySource } from '../server/key-store.js';
import { createClient, findUserByUsername, openServerStore, type ServerStore } from '../server/server-store.js';
import type { Client } from '../core/types.js';
import { UsageError } from './cli-error.js';

/** Parsed flags of one command. */
export type Flags = Readonly<Record<string, string | boolean | undefined>>;

/** What a command prints: an object for `--json`, and the text otherwise. */
export interface CommandOutput {
  readonly json: unknown;
  readonly text: string;
}

const list = (value: string | boolean | undefined, separator: RegExp): string[] =>
  typeof value === 'string' ? value.split(separator).map((s) => s.trim()).filter(Boolean) : [];

const required = (flags: Flags, name: string): string => {
  const value = flags[name];
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${name} is required`);
  return value;
};

const showClient = (c: Client) => ({
  id: c.id,
  name: c.name,
  type: c.secretHash === undefined ? 'public' : 'confidential',
  grant_types: c.grantTypes,
  scopes: c.scopes,
  redirect_uris: c.redirectUris,
});

const clientText = (c: Client): string => {
  const s = showClient(c);
  return `${s.id}  ${s.name} (${s.type})\n  grant types: ${s.grant_types.join(', ') || '-'}\n  scopes: ${s.scopes.join(' ') || '(any)'}\n  redirect URIs: ${s.redirect_uris.join(' ') || '-'}`;
};

/**
 * Runs one administrative command on the database the flags name (the one a running server uses, which sees the
 * change with its next request).
 *
 * @example
 * ```ts
 * const out = await runAdminCommand(['clients', 'list'], {}, loadConfig({ 'data-dir': './data' }, process.env));
 * console.log(out.text);
 * ```
 */
export async function runAdminCommand(words: readonly string[], flags: Flags, config: ServerConfig): Promise<CommandOutput> {
  const [group, action, arg] = words;
  const store = await openServerStore(config.database, config.dataDir);
  try {
    if (group === 'keys') return await keysCommand(action, store.keys);
    await store.storage.migrate();
    switch (group) {
      case 'migrate':
        return { json: { migrated: true }, text: 'Database is up to date.' };
      case 'cleanup': {
        const report = await store.storage.cleanup();
        await store.rateLimits.prune(Date.now() - config.rateLimitWindow * 1000);
        return { json: report, text: `Deleted ${report.accessTokens} access tokens, ${report.refreshTokens} refresh tokens, ${report.authCodes} codes, ${report.deviceCodes} device codes, ${report.sessions} sessions.` };
      }
      case 'clients':
        return await clientsCommand(store, action, arg, flags);
      case 'users':
        return await usersCommand(store, action, arg, flags);
      case 'scopes':
        return await scopesCommand(store, action, arg, flags);
      default:
        throw new UsageError(`unknown command ${words.join(' ')}; see grantry --help`);
    }
  } finally {
    await store.close();
  }
}

async function clientsCommand(store: ServerStore, action: string | undefined, id: string | undefined, flags: Flags): Promise<CommandOutput> {
  const admin = store.storage.admin;
  switch (action) {
    case 'create': {
      const grantTypes = list(flags['grant-types'], /,/).map((g) => (g === 'device_code' ? 'urn:ietf:params:oauth:grant-type:device_code' : g));
      if (grantTypes.length === 0) throw new UsageError('--grant-types is required (e.g. authorization_code,refresh_token)');
      const { client, secret } = await createClient(store, {
        id: typeof flags.id === 'string' ? flags.id : undefined,
        name: required(flags, 'name'),
        grantTypes,
        scopes: list(flags.scopes, /[\s,]+/),
        redirectUris: list(flags['redirect-uris'], /[\s,]+/),
        public: flags.public === true,
      });
      const note = secret === undefined ? '' : `\nclient_secret: ${secret}\n(The secret is shown only now: store it safely.)`;
      return { json: { ...showClient(client), client_secret: secret }, text: `client_id: ${client.id}${note}` };
    }
    case 'list': {
      const clients = await admin.listClients();
      return { json: clients.map(showClient), text: clients.map(clientText).join('\n') || 'No clients.' };
    }
    case 'show': {
      const client = await admin.getClient(id ?? required(flags, 'id'));
      if (!client) throw new UsageError(`no client ${id}`);
      return { json: showClient(client), text: clientText(client) };
    }
    case 'delete': {
      const clientId = id ?? required(flags, 'id');
      if (!(await admin.deleteClient(clientId))) throw new UsageError(`no client ${clientId}`);
      return { json: { deleted: clientId }, text: `Deleted client ${clientId}.` };
    }
    default:
      throw new UsageError('clients: use create, list, show or delete');
  }
}

async function usersCommand(store: ServerStore, action: string | undefined, name: string | undefined, flags: Flags): Promise<CommandOutput> {
  const admin = store.storage.admin;
  switch (action) {
    case 'create': {
      const user = await admin.createUser({ username: name ?? required(flags, 'username'), password: required(flags, 'password') });
      return { json: user, text: `Created user ${user.username ?? ''} (${user.id}).` };
    }
    case 'list': {
      const users = await admin.listUsers();
      return { json: users, text: users.map((u) => `${u.username ?? ''}  ${u.id}`).join('\n') || 'No users.' };
    }
    case 'delete': {
      const username = name ?? required(flags, 'username');
      const user = await findUserByUsername(store, username);
      if (!user || !(await admin.deleteUser(user.id))) throw new UsageError(`no user ${username}`);
      return { json: { deleted: username }, text: `Deleted user ${username}.` };
    }
    default:
      throw new UsageError('users: use create, list or delete');
  }
}

async function scopesCommand(store: ServerStore, action: string | undefined, id: string | undefined, flags: Flags): Promise<CommandOutput> {
  const admin = store.storage.admin;
  switch (action) {
    case 'add': {
      const scopeId = id ?? required(flags, 'scope');
      if (!/^[\x21\x23-\x5B\x5D-\x7E]+$/.test(scopeId)) throw new UsageError(`${scopeId} is not a valid scope token (RFC 6749 §3.3)`);
      const description = typeof flags.description === 'string' ? flags.description : undefined;
      await admin.addScope({ id: scopeId, ...(description === undefined ? {} : { description }) });
      return { json: { added: scopeId }, text: `Added scope ${scopeId}.` };
    }
    case 'list': {
      const scopes = await admin.listScopes();
      return { json: scopes, text: scopes.map((s) => `${s.id}${s.description ? `  ${s.description}` : ''}`).join('\n') || 'No scopes.' };
    }
    default:
      throw new UsageError('scopes: use add or list');
  }
}

async function keysCommand(action: string | undefined, source: KeySource): Promise<CommandOutput> {
  const keys = action === 'rotate' ? await source.rotate() : action === 'list' ? await source.load() : undefined;
  if (!keys) throw new UsageError('keys: use list or rotate');
  const json = {
    location: source.location,
    signing: keys.signing.map((k) => ({ kid: k.kid, alg: k.alg, status: k.status, created_at: k.createdAt })),
    encryption: keys.encryption.map((k, i) => ({ kid: k.kid, status: i === 0 ? 'active' : 'decrypt-only', created_at: k.createdAt })),
  };
  const text = [
    `Keys in ${json.location}`,
    ...json.signing.map((k) => `signing     ${k.kid}  ${k.alg}  ${k.status}  ${k.created_at}`),
    ...json.encryption.map((k) => `encryption  ${k.kid}  ${k.status}  ${k.created_at}`),
    ...(action === 'rotate' ? ['Rotated: running servers on the same keys switch to them within seconds.'] : []),
  ].join('\n');
  return { json, text };
}
