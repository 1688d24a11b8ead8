import { toOAuthError } from '../contracts/oauth-error.js';
import { escapeHtml, hidden } from './html.js';
import { readPageForm, type PageContext, type PageRequest } from './page-context.js';
import { Html } from './page-templates.js';
import type { PageView } from './page-view.js';
import { safeReturnTo } from './request-info.js';
import { LOGIN_PAGE_CLIENT, verifyUser } from './server-store.js';

/**
 * The login form (`login.html`): fields `username` and `password`, a CSRF token, and where to go afterwards. After
 * a failed attempt the username stays in its field and the focus goes to the password.
 *
 * @example
 * ```ts
 * return renderLogin(ctx, pageRequest, '/authorize?…');
 * ```
 */
export function renderLogin(ctx: PageContext, req: PageRequest, returnTo: string, error?: string, status = 200, username = ''): Response {
  const focusPassword = username !== '' && error !== undefined;
  return ctx.view.render(
    'login',
    ctx.view.s.sign_in_title,
    {
      error: ctx.view.errorMessage(error),
      hidden_fields: new Html(hidden('csrf_token', ctx.sessions.csrfToken(req.session)) + hidden('return_to', returnTo)),
      username,
      username_autofocus: new Html(focusPassword ? '' : ' autofocus'),
      password_autofocus: new Html(focusPassword ? ' autofocus' : ''),
    },
    { status },
  );
}

/**
 * `GET /login` shows the form; `POST /login` checks the password against the stored scrypt hash and starts a new
 * session. The brute-force limiter guards it as it guards the password grant: a source that guessed one username
 * too often gets 429 with `Retry-After` for it, while its owner signs in from elsewhere.
 *
 * @example
 * ```ts
 * if (url.pathname === '/login') return handleLogin(ctx, pageRequest);
 * ```
 */
export async function handleLogin(ctx: PageContext, req: PageRequest): Promise<Response> {
  const { view } = ctx;
  const url = new URL(req.request.url);
  if (req.request.method === 'GET') return renderLogin(ctx, req, safeReturnTo(url.searchParams.get('return_to'), ctx.issuer));
  if (req.request.method !== 'POST') return view.error(405, view.s.method_not_allowed_title, { title: view.s.method_not_allowed_title, headers: { allow: 'GET, POST' } });
  const form = await readPageForm(req.request);
  if (!form) return view.error(400, view.s.form_unreadable, { title: view.s.bad_request_title });
  const returnTo = safeReturnTo(form.get('return_to'), ctx.issuer);
  const username = form.get('username') ?? '';
  if (req.newSession || !ctx.sessions.verifyCsrf(req.session, form.get('csrf_token') ?? undefined)) {
    return renderLogin(ctx, req, returnTo, view.s.session_expired_retry, 403, username);
  }
  const password = form.get('password') ?? '';
  // An empty field is a mistake, not a guess (nothing is checked, nothing is counted).
  if (username === '' || password === '') return renderLogin(ctx, req, returnTo, view.s.sign_in_missing, 400, username);
  // RFC 6749 §10.10: the same credential as the password grant, so both count the same guesses.
  const credential = { kind: 'password', subject: username } as const;
  const wait = await ctx.limiter.admit(req.source, [credential]);
  if (wait !== undefined) return tooManyAttempts(ctx, req, returnTo, wait, username);
  const user = await verifyUser(ctx.store, username, password);
  if (!user) {
    ctx.server.events.emit('user.authentication_failed', { username, client: LOGIN_PAGE_CLIENT });
    const { retryAfter } = await ctx.limiter.fail(req.source, credential);
    if (retryAfter !== undefined) return tooManyAttempts(ctx, req, returnTo, retryAfter, username);
    return renderLogin(ctx, req, returnTo, view.s.sign_in_wrong, 401, username);
  }
  // A new session id at sign-in (no fixation); a session signed in before (another user) ends.
  await ctx.sessions.destroy(req.session);
  const session = await ctx.sessions.create({ id: user.id, username: user.username ?? username });
  return new Response(null, { status: 303, headers: { location: returnTo, 'set-cookie': ctx.sessions.cookie(session), 'cache-control': 'no-store' } });
}

function tooManyAttempts(ctx: PageContext, req: PageRequest, returnTo: string, wait: number, username: string): Response {
  const response = renderLogin(ctx, req, returnTo, ctx.view.t('sign_in_throttled', { seconds: wait }), 429, username);
  response.headers.set('retry-after', String(wait));
  return response;
}

/**
 * `POST /logout` (CSRF-protected): deletes the session from the store, so that no copy of its cookie is signed in
 * any more, and goes back to a local path with a new anonymous one.
 *
 * @example
 * ```ts
 * if (url.pathname === '/logout') return handleLogout(ctx, pageRequest);
 * ```
 */
export async function handleLogout(ctx: PageContext, req: PageRequest): Promise<Response> {
  const form = req.request.method === 'POST' ? await readPageForm(req.request) : undefined;
  if (!form || !ctx.sessions.verifyCsrf(req.session, form.get('csrf_token') ?? undefined)) {
    return ctx.view.error(403, ctx.view.s.sign_out_refused);
  }
  await ctx.sessions.destroy(req.session);
  const session = await ctx.sessions.create();
  return new Response(null, { status: 303, headers: { location: safeReturnTo(form.get('return_to'), ctx.issuer), 'set-cookie': ctx.sessions.cookie(session), 'cache-control': 'no-store' } });
}

/**
 * "Signed in as alice. Not alice? [Sign out]" for pages shown to a signed-in user.
 *
 * @example
 * ```ts
 * const values = { sign_out: signOutForm(ctx, pageRequest, 'alice') };
 * ```
 */
export function signOutForm(ctx: PageContext, req: PageRequest, username: string): Html {
  const url = new URL(req.request.url);
  const back = req.request.method === 'GET' ? url.pathname + url.search : url.pathname;
  return new Html(`<form method="post" action="/logout"><p>${escapeHtml(ctx.view.t('signed_in_as', { username }))} ${escapeHtml(ctx.view.t('not_you', { username }))}
${hidden('csrf_token', ctx.sessions.csrfToken(req.session))}${hidden('return_to', back)}
<button type="submit">${escapeHtml(ctx.view.s.sign_out_button)}</button></p></form>`);
}

/**
 * Sends a signed-out visitor to the login page, to come back to this URL.
 *
 * @example
 * ```ts
 * if (req.session.userId === undefined) return redirectToLogin(req.request);
 * ```
 */
export function redirectToLogin(request: Request): Response {
  const url = new URL(request.url);
  const back = encodeURIComponent(url.pathname + url.search);
  return new Response(null, { status: 303, headers: { location: `/login?return_to=${back}`, 'cache-control': 'no-store' } });
}

/**
 * An OAuth error shown to the user as a page (never a redirect: RFC 6749 §4.1.2.1 for bad client or redirect URI),
 * with the error code and what to do next.
 *
 * @example
 * ```ts
 * return errorPage(ctx.view, error);
 * ```
 */
export function errorPage(view: PageView, error: unknown): Response {
  const oauth = toOAuthError(error);
  // RFC 6749 §4.1.2.1 temporarily_unavailable, shown to the user when the redirect URI is not yet validated.
  if (oauth.code === 'temporarily_unavailable') {
    return view.error(503, view.s.unavailable_text, {
      title: view.s.unavailable_title,
      code: oauth.code,
      nextStep: view.s.unavailable_next_step,
      headers: { 'retry-after': oauth.headers['Retry-After'] ?? '5' },
    });
  }
  const status = oauth.status >= 500 ? 500 : oauth.status;
  const description = oauth.code === 'server_error' ? 'unexpected error' : oauth.message;
  return view.error(status, `${oauth.code}: ${description}`, { code: oauth.code, description });
}
