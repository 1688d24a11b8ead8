import { isResourceIdentifier } from '../contracts/resource-identifier.js';
import { toSeconds } from '../contracts/duration.js';
import type { Resource } from '../contracts/types.js';
import type { ServerStore } from '../server/server-store.js';
import type { CommandOutput, Flags } from './admin-commands.js';
import { UsageError } from './cli-error.js';

const list = (value: Flags[string]): string[] => (typeof value === 'string' ? value.split(/[\s,]+/).filter(Boolean) : []);

const showResource = (r: Resource) => ({
  resource: r.id,
  name: r.name ?? null,
  scopes: r.scopes,
  access_token_ttl: r.accessTokenTTL ?? null,
  access_token_format: r.accessTokenFormat ?? 'jwt',
});

const resourceText = (r: Resource): string =>
  [
    `${r.id}${r.name === undefined ? '' : `  ${r.name}`}`,
    `  scopes: ${r.scopes.join(' ') || '(any)'}`,
    `  access token lifetime: ${r.accessTokenTTL === undefined ? "(the grant's)" : `${r.accessTokenTTL} s`}`,
    `  access token format: ${r.accessTokenFormat ?? 'jwt'}`,
  ].join('\n');

/** The resource identifier: the argument, an absolute URI without a fragment (RFC 8707 §2). */
function identifierOf(id: string | undefined): string {
  if (id === undefined || id === '') throw new UsageError('give the resource identifier, e.g. grantry resources create https://api.example.com/mcp');
  if (!isResourceIdentifier(id)) throw new UsageError(`${id} is not a resource identifier: an absolute URI without a #fragment (RFC 8707 section 2)`);
  return id;
}

/** `--scopes "a b"`: each must exist (`grantry scopes add`), as for clients. */
async function scopesOf(store: ServerStore, flags: Flags): Promise<string[]> {
  const scopes = [...new Set(list(flags.scopes))];
  const known = new Set((await store.storage.admin.listScopes()).map((s) => s.id));
  const unknown = scopes.filter((s) => !known.has(s));
  if (unknown.length > 0) throw new UsageError(`--scopes: unknown scope ${unknown.join(', ')}; add it first with grantry scopes add ${unknown[0]}`);
  return scopes;
}

/** The settings given as flags, to create with or to change. */
async function settingsOf(store: ServerStore, flags: Flags): Promise<Partial<Resource>> {
  const ttl = flags['access-token-ttl'];
  let seconds: number | undefined;
  if (typeof ttl === 'string' && ttl !== '') {
    try {
      seconds = toSeconds(ttl);
    } catch {
      throw new UsageError(`--access-token-ttl: ${ttl} is not a duration (PT10M, or seconds)`);
    }
    if (!Number.isInteger(seconds) || seconds <= 0) throw new UsageError(`--access-token-ttl: ${ttl} is not a positive duration`);
  }
  const format = flags['access-token-format'];
  if (format !== undefined && format !== 'jwt' && format !== 'opaque') throw new UsageError('--access-token-format: jwt or opaque');
  return {
    ...(typeof flags.name === 'string' ? { name: flags.name } : {}),
    ...(flags.scopes !== undefined ? { scopes: await scopesOf(store, flags) } : {}),
    ...(seconds === undefined ? {} : { accessTokenTTL: seconds }),
    ...(format === undefined ? {} : { accessTokenFormat: format }),
  };
}

/**
 * `grantry resources create|update|list|show|delete`: the resources (RFC 8707) clients may name with the
 * `resource` parameter, each with its scopes, access-token lifetime and format.
 *
 * @example
 * ```ts
 * const out = await resourcesCommand(store, 'create', 'https://api.example.com/mcp', { scopes: 'tools:call', 'access-token-ttl': 'PT10M' });
 * console.log(out.text);
 * ```
 */
export async function resourcesCommand(store: ServerStore, action: string | undefined, arg: string | undefined, flags: Flags): Promise<CommandOutput> {
  const admin = store.storage.admin;
  switch (action) {
    case 'create': {
      const resource: Resource = { id: identifierOf(arg), scopes: [], ...(await settingsOf(store, flags)) };
      await admin.createResource(resource);
      return { json: showResource(resource), text: `Created resource ${resource.id}.\n${resourceText(resource)}` };
    }
    case 'update': {
      const id = identifierOf(arg);
      const current = await admin.getResource(id);
      if (!current) throw new UsageError(`no resource ${id}`);
      const updated: Resource = { ...current, ...(await settingsOf(store, flags)) };
      if (!(await admin.updateResource(updated))) throw new UsageError(`no resource ${id}`);
      return { json: showResource(updated), text: resourceText(updated) };
    }
    case 'list': {
      const resources = await admin.listResources();
      return { json: resources.map(showResource), text: resources.map(resourceText).join('\n') || 'No resources.' };
    }
    case 'show': {
      const id = identifierOf(arg);
      const resource = await admin.getResource(id);
      if (!resource) throw new UsageError(`no resource ${id}`);
      return { json: showResource(resource), text: resourceText(resource) };
    }
    case 'delete': {
      const id = identifierOf(arg);
      if (!(await admin.deleteResource(id))) throw new UsageError(`no resource ${id}`);
      return { json: { deleted: id }, text: `Deleted resource ${id}.` };
    }
    default:
      throw new UsageError('resources: use create, update, list, show or delete');
  }
}
