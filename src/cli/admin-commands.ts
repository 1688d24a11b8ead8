import { keyLifecyclePolicy, type ServerConfig } from '../server/config.js';
import { keyViews, type KeyView } from '../server/key-lifecycle.js';
import type { KeySource } from '../server/key-store.js';
import { findUserByUsername, openServerStore, poolOptionsOf, type ServerStore } from '../server/server-store.js';
import { clientsCommand, readStdin } from './clients-command.js';
import { registrationTokensCommand } from './registration-tokens-command.js';
import { resourcesCommand } from './resources-command.js';
import { generateKeys } from './generate-keys.js';
import { passwordProblem } from './password-policy.js';
import { promptHidden, readPassword } from './read-password.js';
import { removeExpired } from '../server/remove-expired.js';
import { UsageError } from './cli-error.js';

/** Parsed flags of one command. */
export type Flags = Readonly<Record<string, string | boolean | readonly string[] | undefined>>;

/** What a command prints: an object for `--json`, and the text otherwise. */
export interface CommandOutput {
  readonly json: unknown;
  readonly text: string;
}

const required = (flags: Flags, name: string): string => {
  const value = flags[name];
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${name} is required`);
  return value;
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
  if (group === 'keys' && action === 'generate') return generateKeys(); // needs no database
  const store = await openServerStore(config.database, config.dataDir, { limits: poolOptionsOf(config), keysSecrets: config.keysSecrets });
  try {
    if (group === 'keys') return await keysCommand(action, store.keys, config);
    await store.storage.migrate();
    switch (group) {
      case 'migrate':
        return { json: { migrated: true }, text: 'Database is up to date.' };
      case 'cleanup': {
        // Everything expired in one run: batches until none is left. A lockout may outlast the window: keep its marks until it ends.
        const window = Math.max(config.rateLimitWindow, config.lockoutThreshold > 0 ? config.lockoutSeconds : 0);
        const removed = await removeExpired(store, { rateLimitWindowSeconds: window, batchSize: 1000 });
        return {
          json: { ...removed, complete: true },
          text: `Deleted ${removed.accessTokens} access tokens, ${removed.refreshTokens} refresh tokens, ${removed.authCodes} codes, ${removed.deviceCodes} device codes, ${removed.rateLimitFailures} limiter entries.`,
        };
      }
      case 'clients':
        return await clientsCommand(store, action, arg, flags);
      case 'users':
        return await usersCommand(store, action, arg, flags);
      case 'scopes':
        return await scopesCommand(store, action, arg, flags);
      case 'registration-tokens':
        return await registrationTokensCommand(store, action, arg, flags);
      case 'resources':
        return await resourcesCommand(store, action, arg, flags);
      default:
        throw new UsageError(`unknown command ${words.join(' ')}; see grantry --help`);
    }
  } finally {
    await store.close();
  }
}

async function usersCommand(store: ServerStore, action: string | undefined, name: string | undefined, flags: Flags): Promise<CommandOutput> {
  const admin = store.storage.admin;
  switch (action) {
    case 'create': {
      const username = name ?? required(flags, 'username');
      const password = await readPassword(flags, { stdin: readStdin, isTerminal: process.stdin.isTTY === true, prompt: promptHidden });
      const problem = passwordProblem(password, username);
      const source = typeof flags.password === 'string' ? '--password' : flags['password-stdin'] === true ? '--password-stdin' : 'password';
      if (problem !== undefined) throw new UsageError(`${source}: the password ${problem}`);
      const user = await admin.createUser({ username, password });
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

async function keysCommand(action: string | undefined, source: KeySource, config: ServerConfig): Promise<CommandOutput> {
  const policy = keyLifecyclePolicy(config);
  const keys = action === 'rotate' ? await source.rotate(policy) : action === 'list' ? await source.load() : undefined;
  if (!keys) throw new UsageError('keys: use list, rotate or generate');
  const now = Date.now();
  const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
  const show = (views: KeyView[]) =>
    views.map((v) => ({ kid: v.kid, state: v.state, created_at: iso(v.createdAt), activates_at: iso(v.activatesAt), deactivated_at: iso(v.deactivatedAt), retire_after: iso(v.retireAfter) }));
  const json = {
    location: source.location,
    signing: show(keyViews(keys.signing, now, policy.signingRetention)),
    encryption: show(keyViews(keys.encryption, now, policy.encryptionRetention)),
  };
  const line = (kind: string, k: ReturnType<typeof show>[number]) =>
    `${kind}  ${k.kid}  ${k.state.padEnd(8)}  created ${k.created_at}` +
    (k.state === 'pending' ? `  activates ${k.activates_at}` : '') +
    (k.state === 'retiring' ? `  unused since ${k.deactivated_at}, removed by a rotation after ${k.retire_after}` : '');
  const text = [
    `Keys in ${json.location}`,
    ...json.signing.map((k) => line('signing   ', k)),
    ...json.encryption.map((k) => line('encryption', k)),
    ...(action === 'rotate'
      ? [`Rotated: the new keys are published now and used from ${json.signing[0]!.activates_at} (--key-activation-delay); running servers follow by themselves.`]
      : []),
  ].join('\n');
  return { json, text };
}
