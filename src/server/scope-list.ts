import type { ScopeRepository } from '../contracts/repositories.js';
import { escapeHtml } from './html.js';

/**
 * The scopes a consent page asks for, as a list: each scope's description when the server has one.
 *
 * @example
 * ```ts
 * const html = await scopeList(storage.scopes, ['read']); // '<ul><li>read — Read your data</li></ul>'
 * ```
 */
export async function scopeList(scopes: ScopeRepository, ids: readonly string[], none = 'No particular scope.'): Promise<string> {
  if (ids.length === 0) return `<p>${escapeHtml(none)}</p>`;
  const known = new Map((await scopes.getScopes(ids)).map((s) => [s.id, s.description]));
  const items = ids.map((id) => {
    const description = known.get(id);
    return `<li>${escapeHtml(id)}${description ? ` — ${escapeHtml(description)}` : ''}</li>`;
  });
  return `<ul>${items.join('')}</ul>`;
}
