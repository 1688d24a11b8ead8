import { escapeHtml, hidden } from './html.js';
import { redirectToLogin, signOutForm } from './login-page.js';
import { readPageForm, type PageContext, type PageRequest } from './page-context.js';
import { Html } from './page-templates.js';

/**
 * `GET /account`: the signed-in user's remembered consents (client, scopes), each with a "Forget this decision"
 * button; `POST /account` (CSRF-protected, field `client_id`) forgets one, so that the client asks again.
 *
 * @example
 * ```ts
 * if (url.pathname === '/account') return handleAccount(ctx, pageRequest);
 * ```
 */
export async function handleAccount(ctx: PageContext, req: PageRequest): Promise<Response> {
  const { view } = ctx;
  const userId = req.session.userId;
  if (userId === undefined) return redirectToLogin(req.request);
  let notice: string | undefined;
  if (req.request.method === 'POST') {
    const form = await readPageForm(req.request);
    if (!form) return view.error(400, view.s.form_unreadable, { title: view.s.bad_request_title });
    if (!ctx.sessions.verifyCsrf(req.session, form.get('csrf_token') ?? undefined)) return view.error(403, view.s.session_expired_retry);
    const clientId = form.get('client_id') ?? '';
    if (await ctx.store.storage.consents.revoke(userId, clientId)) {
      const client = await ctx.store.storage.clients.getClient(clientId);
      notice = view.t('account_revoked', { client: client?.name ?? clientId });
    }
  } else if (req.request.method !== 'GET') {
    return view.error(405, view.s.method_not_allowed_title, { title: view.s.method_not_allowed_title, headers: { allow: 'GET, POST' } });
  }
  const consents = await ctx.store.storage.consents.listByUser(userId);
  const csrf = hidden('csrf_token', ctx.sessions.csrfToken(req.session));
  const items = await Promise.all(
    consents.map(async (c) => {
      const name = (await ctx.store.storage.clients.getClient(c.clientId))?.name ?? c.clientId;
      const scopes = c.scopes.length === 0 ? view.s.no_particular_scope : c.scopes.join(' ');
      return `<li><strong>${escapeHtml(name)}</strong>: ${escapeHtml(scopes)}
<form method="post" action="/account">${csrf}${hidden('client_id', c.clientId)}<button type="submit" aria-label="${escapeHtml(`${view.s.account_revoke_button}: ${name}`)}">${escapeHtml(view.s.account_revoke_button)}</button></form></li>`;
    }),
  );
  const list = items.length === 0 ? `<p>${escapeHtml(view.s.account_none)}</p>` : `<p>${escapeHtml(view.s.account_intro)}</p>\n<ul>${items.join('\n')}</ul>`;
  const status = notice === undefined ? '' : `<p role="status">${escapeHtml(notice)}</p>\n`;
  const username = req.session.username ?? userId;
  return view.page(view.s.account_title, new Html(`${status}${list}\n${signOutForm(ctx, req, username).html}`));
}
