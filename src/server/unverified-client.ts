import { isClientIdMetadataDocumentUrl } from '../core/client-metadata-document.js';
import { escapeHtml } from './html.js';
import type { PageContext } from './page-context.js';
import { Html } from './page-templates.js';

/**
 * The host that describes a client the operator never registered: a client ID metadata document URL
 * (draft-ietf-oauth-client-id-metadata-document) that names no client in storage, so the library fetched it.
 * `undefined` for a registered client. Pages show such a client as unverified, with this host (draft §6.4: "SHOULD
 * display the hostname of the client_id").
 *
 * @example
 * ```ts
 * const host = await unverifiedClientHost(ctx, authRequest.clientId); // 'app.example' or undefined
 * ```
 */
export async function unverifiedClientHost(ctx: PageContext, clientId: string): Promise<string | undefined> {
  if (!isClientIdMetadataDocumentUrl(clientId)) return undefined;
  if (await ctx.store.storage.clients.getClient(clientId)) return undefined;
  return new URL(clientId).host;
}

/**
 * How a page names a client: its registered name, or for a client described by its own document that name marked
 * as its own claim, with the host it came from.
 *
 * @example
 * ```ts
 * const label = clientLabel(ctx, authRequest.clientName, await unverifiedClientHost(ctx, authRequest.clientId));
 * ```
 */
export function clientLabel(ctx: PageContext, name: string, host: string | undefined): string {
  return host === undefined ? name : ctx.view.t('unverified_client_name', { client: name, host });
}

/**
 * The warning shown above the scopes for an unverified client (empty for a registered one).
 *
 * @example
 * ```ts
 * const notice = unverifiedClientNotice(ctx, host); // <p class="notice" role="note">…</p>
 * ```
 */
export function unverifiedClientNotice(ctx: PageContext, host: string | undefined): Html {
  if (host === undefined) return new Html('');
  return new Html(`<p class="notice" role="note">${escapeHtml(ctx.view.t('unverified_client_notice', { host }))}</p>`);
}
