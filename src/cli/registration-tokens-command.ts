import { createHash, randomBytes } from 'node:crypto';
import { toSeconds } from '../contracts/duration.js';
import type { InitialAccessTokenRecord } from '../contracts/client-registration-repository.js';
import type { ServerStore } from '../server/server-store.js';
import type { CommandOutput, Flags } from './admin-commands.js';
import { UsageError } from './cli-error.js';
import { secondsToMs } from '../tokens/time-units.js';

const show = (r: InitialAccessTokenRecord) => ({
  id: r.id,
  description: r.description ?? null,
  created_at: new Date(r.createdAt).toISOString(),
  expires_at: r.expiresAt === undefined ? null : new Date(r.expiresAt).toISOString(),
  uses_left: r.usesLeft ?? null,
});

const line = (r: InitialAccessTokenRecord): string => {
  const s = show(r);
  return `${s.id}  ${s.description ?? '-'}  created ${s.created_at}  expires ${s.expires_at ?? 'never'}  uses left ${s.uses_left ?? 'unlimited'}`;
};

/** `--uses N`: a whole number of registrations, at least 1; `undefined` without the flag (any number). */
function usesOf(flags: Flags): number | undefined {
  const value = flags.uses;
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^\d+$/.test(value) || Number(value) < 1) throw new UsageError(`--uses must be a whole number of registrations, at least 1 (got ${String(value)})`);
  return Number(value);
}

/** `--expires-in P7D`: an ISO 8601 duration or seconds; `undefined` without the flag (never). */
function expiresAtOf(flags: Flags, now: number): number | undefined {
  const value = flags['expires-in'];
  if (value === undefined) return undefined;
  try {
    const seconds = toSeconds(String(value));
    if (seconds <= 0) throw new RangeError('not positive');
    return now + secondsToMs(seconds);
  } catch {
    throw new UsageError(`--expires-in must be an ISO 8601 duration such as P7D, or seconds (got ${String(value)})`);
  }
}

/**
 * `grantry registration-tokens create|list|delete`: the initial access tokens that `--registration token` requires
 * of a client registering itself (RFC 7591 §3). A token is 256 random bits, printed once and stored as its
 * SHA-256; `--expires-in` and `--uses` bound it; `delete` takes the id that `list` shows (the hash).
 *
 * @example
 * ```ts
 * const out = await registrationTokensCommand(store, 'create', undefined, { 'expires-in': 'P1D', uses: '1' });
 * console.log(out.text); // the token, once
 * ```
 */
export async function registrationTokensCommand(store: ServerStore, action: string | undefined, id: string | undefined, flags: Flags): Promise<CommandOutput> {
  const tokens = store.storage.initialAccessTokens;
  switch (action) {
    case 'create': {
      const now = Date.now();
      const token = randomBytes(32).toString('base64url');
      const description = typeof flags.description === 'string' ? flags.description : undefined;
      const expiresAt = expiresAtOf(flags, now);
      const usesLeft = usesOf(flags);
      const record: InitialAccessTokenRecord = {
        id: createHash('sha256').update(token).digest('base64url'),
        createdAt: now,
        ...(description === undefined ? {} : { description }),
        ...(expiresAt === undefined ? {} : { expiresAt }),
        ...(usesLeft === undefined ? {} : { usesLeft }),
      };
      await tokens.save(record);
      return {
        json: { ...show(record), initial_access_token: token },
        text: `initial_access_token: ${token}\n(Shown only now: it is stored as a hash. A client sends it as "Authorization: Bearer" to POST /register.)\nid: ${record.id}`,
      };
    }
    case 'list': {
      const all = await tokens.list();
      return { json: all.map(show), text: all.map(line).join('\n') || 'No registration tokens.' };
    }
    case 'delete': {
      if (id === undefined) throw new UsageError('registration-tokens delete needs the id that registration-tokens list shows');
      if (!(await tokens.delete(id))) throw new UsageError(`no registration token ${id}`);
      return { json: { deleted: id }, text: `Deleted registration token ${id}.` };
    }
    default:
      throw new UsageError('registration-tokens: use create, list or delete');
  }
}
