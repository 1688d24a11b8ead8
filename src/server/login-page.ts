import { OAuthError } from '../core/oauth-error.js';
import { errorMessage, escapeHtml, hidden, page } from './html.js';
import { readPageForm, type PageContext, type PageRequest } from './page-context.js';
import { safeReturnTo } from './request-info.js';
import { verifyUser } from './server-store.js';

/**
 * The login form: fields `username` and `password`, a CSRF token, and where to go afterwards.
 *
 * @example
 * ```ts
 * return renderLogin(ctx, pageRequest, '/authorize?…');
 * ```
 */
export function renderLogin(ctx: PageContext, req: PageRequest, returnTo: string, error?: string, status = 200): Response {
  const body = `${errorMessage(error)}
<form method="post" action="/login">
${hidden('csrf_token', ctx.sessions.csrfToken(req.session))}${hidden('return_to', returnTo)}
<label for="username">Username</label><input id="username" name="username" autocomplete="username" required autofocus>
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form>`;
  return page('Sign in', body, { status });
}

/**
 * `GET /login` shows the form; `POST /login` checks the password against the stored scrypt hash, limited per
 * username and per source (failed logins are slowed to 429 with `Retry-After`), and starts a new session.
 *
 * @example
 * ```ts
 * if (url.pathname === '/login') return handleLogin(ctx, pageRequest);
 * ```
 */
export async function handleLogin(ctx: PageContext, req: PageRequest): Promise<Response> {
  const url = new URL(req.request.url);
  if (req.request.method === 'GET') return renderLogin(ctx, req, safeReturnTo(url.searchParams.get('return_to')));
  if (req.request.method !== 'POST') return page('Method not allowed', '', { status: 405, headers: { allow: 'GET, POST' } });
  const form = await readPageForm(req.request);
  if (!form) return page('Bad request', errorMessage('The form could not be read.'), { status: 400 });
  const returnTo = safeReturnTo(form.get('return_to'));
  if (req.newSession || !ctx.sessions.verifyCsrf(req.session, form.get('csrf_token') ?? undefined)) {
    return renderLogin(ctx, req, returnTo, 'Your session expired. Please try again.', 403);
  }
  const username = form.get('username') ?? '';
  const password = form.get('password') ?? '';
  const keys = [`login-ip:${req.source}`, `user:${username.toLowerCase()}`];
  const wait = await ctx.limiter.retryAfter(keys);
  if (wait !== undefined) {
    const response = renderLogin(ctx, req, returnTo, `Too many failed attempts. Try again in ${wait} seconds.`, 429);
    response.headers.set('retry-after', String(wait));
    return response;
  }
  const user = username === '' || password === '' ? undefined : await verifyUser(ctx.store, username, password);
  if (!user) {
    await ctx.limiter.fail(keys);
    return renderLogin(ctx, req, returnTo, 'Wrong username or password.', 401);
  }
  // A new session id at sign-in (no fixation); a session signed in before (another user) ends.
  await ctx.sessions.destroy(req.session);
  const session = await ctx.sessions.create({ id: user.id, username: user.username ?? username });
  return new Response(null, { status: 303, headers: { location: returnTo, 'set-cookie': ctx.sessions.cookie(session), 'cache-control': 'no-store' } });
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
    return page('Request refused', errorMessage('Sign out from a page of this server.'), { status: 403 });
  }
  await ctx.sessions.destroy(req.session);
  const session = await ctx.sessions.create();
  return new Response(null, { status: 303, headers: { location: safeReturnTo(form.get('return_to')), 'set-cookie': ctx.sessions.cookie(session), 'cache-control': 'no-store' } });
}

/** A "Not you? Sign out" form for pages shown to a signed-in user. */
export function signOutForm(ctx: PageContext, req: PageRequest, username: string): string {
  const url = new URL(req.request.url);
  return `<form method="post" action="/logout"><p>Not ${escapeHtml(username)}?
${hidden('csrf_token', ctx.sessions.csrfToken(req.session))}${hidden('return_to', url.pathname + url.search)}
<button type="submit">Sign out</button></p></form>`;
}

/** Sends a signed-out visitor to the login page, to come back to this URL. */
export function redirectToLogin(request: Request): Response {
  const url = new URL(request.url);
  const back = encodeURIComponent(url.pathname + url.search);
  return new Response(null, { status: 303, headers: { location: `/login?return_to=${back}`, 'cache-control': 'no-store' } });
}

/** An OAuth error shown to the user as a page (never a redirect: RFC 6749 §4.1.2.1 for bad client or redirect URI). */
export function errorPage(error: unknown): Response {
  const oauth = error instanceof OAuthError ? error : OAuthError.serverError(error);
  const status = oauth.status >= 500 ? 500 : oauth.status;
  return page('Request refused', errorMessage(`${oauth.code}: ${oauth.code === 'server_error' ? 'unexpected error' : oauth.message}`), { status });
}
