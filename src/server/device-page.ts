import { escapeHtml, hidden } from './html.js';
import { redirectToLogin, signOutForm } from './login-page.js';
import type { DeviceAuthorization } from '../contracts/capabilities.js';
import { scopeList } from './scope-list.js';
import { readPageForm, type PageContext, type PageRequest } from './page-context.js';
import { clientLabel, unverifiedClientHost, unverifiedClientNotice } from './unverified-client.js';
import { Html } from './page-templates.js';
import { DEVICE_CODE_GRANT_TYPE } from '../contracts/types.js';
import { resourcesNote } from './consent-page.js';

/**
 * The device verification page (RFC 8628 §3.3): `GET /device` asks a signed-in user for the `user_code`
 * (prefilled from `verification_uri_complete`), `POST /device` looks it up and shows the client and scopes with
 * Allow and Deny, `POST /device/decision` records the answer. Both pages name the signed-in account. Wrong codes
 * are guesses for the brute-force limiter, counted per signed-in user and source (RFC 8628 §5.1: "SHOULD
 * implement rate limiting" of user code guesses).
 *
 * @example
 * ```ts
 * if (url.pathname === '/device') return handleDevice(ctx, pageRequest);
 * ```
 */
export async function handleDevice(ctx: PageContext, req: PageRequest): Promise<Response> {
  const { view } = ctx;
  if (!ctx.server.enabledGrantTypes.includes(DEVICE_CODE_GRANT_TYPE)) return view.error(404, view.s.not_found_title, { title: view.s.not_found_title });
  if (req.session.userId === undefined) return redirectToLogin(req.request);
  if (req.request.method === 'GET') {
    return renderEntry(ctx, req, new URL(req.request.url).searchParams.get('user_code') ?? '');
  }
  const form = await readPageForm(req.request);
  if (!form) return view.error(400, view.s.form_unreadable, { title: view.s.bad_request_title });
  const typed = form.get('user_code') ?? '';
  if (!ctx.sessions.verifyCsrf(req.session, form.get('csrf_token') ?? undefined)) return renderEntry(ctx, req, typed, view.s.session_expired_retry, 403);
  if (typed.trim() === '') return renderEntry(ctx, req, typed, view.s.device_code_missing, 400);
  // RFC 8628 §5.1: user code guesses are rate limited, counted per signed-in user (the guesser's account).
  const credential = { kind: 'user_code', subject: req.session.userId } as const;
  const wait = await ctx.limiter.admit(req.source, [credential]);
  if (wait !== undefined) return tooManyCodes(ctx, req, typed, wait);
  const record = await ctx.server.findDeviceAuthorization(typed);
  if (!record) {
    const { retryAfter } = await ctx.limiter.fail(req.source, credential);
    if (retryAfter !== undefined) return tooManyCodes(ctx, req, typed, retryAfter);
    return renderEntry(ctx, req, typed, view.s.device_code_wrong, 400);
  }
  return renderApproval(ctx, req, record);
}

/**
 * `POST /device/decision`: approves or denies the pending device authorization.
 *
 * @example
 * ```ts
 * if (url.pathname === '/device/decision') return handleDeviceDecision(ctx, pageRequest);
 * ```
 */
export async function handleDeviceDecision(ctx: PageContext, req: PageRequest): Promise<Response> {
  const { view } = ctx;
  if (!ctx.server.enabledGrantTypes.includes(DEVICE_CODE_GRANT_TYPE)) return view.error(404, view.s.not_found_title, { title: view.s.not_found_title });
  if (req.session.userId === undefined) return view.error(403, view.s.sign_in_again);
  const form = await readPageForm(req.request);
  if (!form) return view.error(400, view.s.form_unreadable, { title: view.s.bad_request_title });
  if (!ctx.sessions.verifyCsrf(req.session, form.get('csrf_token') ?? undefined)) return view.error(403, view.s.session_expired_retry);
  const pending = ctx.sessions.unseal(form.get('device') ?? '', 'device') as { sid: string; userCode: string } | undefined;
  const decision = form.get('decision');
  if (!pending || pending.sid !== req.session.sid || (decision !== 'allow' && decision !== 'deny')) {
    return view.error(400, view.s.device_form_invalid, { title: view.s.bad_request_title });
  }
  const approved = decision === 'allow';
  const user = { id: req.session.userId, ...(req.session.username === undefined ? {} : { username: req.session.username }) };
  const done = await ctx.server.completeDeviceAuthorization(pending.userCode, { user, approved });
  if (!done) return view.error(400, view.s.device_code_expired, { title: view.s.device_code_expired_title, nextStep: '' });
  const [title, text] = approved ? [view.s.device_allowed_title, view.s.device_allowed] : [view.s.device_denied_title, view.s.device_denied];
  return view.page(title, new Html(`<p role="status">${escapeHtml(text)}</p>`));
}

function tooManyCodes(ctx: PageContext, req: PageRequest, typed: string, wait: number): Response {
  const response = renderEntry(ctx, req, typed, ctx.view.t('device_throttled', { seconds: wait }), 429);
  response.headers.set('retry-after', String(wait));
  return response;
}

function accountName(req: PageRequest): string {
  return req.session.username ?? req.session.userId ?? '';
}

function renderEntry(ctx: PageContext, req: PageRequest, value: string, error?: string, status = 200): Response {
  const username = accountName(req);
  return ctx.view.render(
    'device',
    ctx.view.s.device_title,
    {
      error: ctx.view.errorMessage(error),
      hidden_fields: new Html(hidden('csrf_token', ctx.sessions.csrfToken(req.session))),
      user_code: value,
      username,
      signed_in: signOutForm(ctx, req, username),
    },
    { status },
  );
}

async function renderApproval(ctx: PageContext, req: PageRequest, record: DeviceAuthorization): Promise<Response> {
  const { view } = ctx;
  const scopes = await scopeList(ctx.store.storage.scopes, record.scopes, view.s.no_particular_scope);
  const documentHost = await unverifiedClientHost(ctx, record.clientId);
  const client = clientLabel(ctx, record.clientName, documentHost);
  const intro = view.tHtml('device_approval_intro', { client: new Html(`<strong>${escapeHtml(client)}</strong>`) });
  const body = `<p>${intro.html}</p>
${unverifiedClientNotice(ctx, documentHost).html}${scopes}
${resourcesNote(view, record.resources ?? [])}
<form method="post" action="/device/decision">
${hidden('csrf_token', ctx.sessions.csrfToken(req.session))}${hidden('device', ctx.sessions.seal({ sid: req.session.sid, userCode: record.userCode }, 'device'))}
<button type="submit" name="decision" value="allow">${escapeHtml(view.s.allow_button)}</button>
<button type="submit" name="decision" value="deny">${escapeHtml(view.s.deny_button)}</button>
</form>
${signOutForm(ctx, req, accountName(req)).html}`;
  return view.page(view.t('device_approval_title', { code: record.userCode }), new Html(body));
}
