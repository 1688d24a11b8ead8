import { toOAuthError } from '../core/oauth-error.js';
import { errorMessage, escapeHtml, hidden, page } from './html.js';
import { readPageForm, type PageContext, type PageRequest } from './page-context.js';
import { safeReturnTo } from './request-info.js';
import { LOGIN_PAGE_CLIENT, verifyUser } from './server-store.js';

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
  const url = new URL(req.request.url);
  if (req.request.method === 'GET') return renderLogin(ctx, req, safeReturnTo(url.searchParams.get('return_to'), ctx.issuer));
  if (req.request.method !== 'POST') return page('Method not allowed', '', { status: 405, headers: { allow: 'GET, POST' } });
  const form = await readPageForm(req.request);
  if (!form) return page('Bad request', errorMessage('The form could not be read.'), { status: 400 });
  const returnTo = safeReturnTo(form.get('return_to'), ctx.issuer);
  if (req.newSession || !ctx.sessions.verifyCsrf(req.session, form.get('csrf_token') ?? undefined)) {
    return renderLogin(ctx, req, returnTo, 'Your session expired. Please try again.', 403);
  }
  const username = form.get('username') ?? '';
  const password = form.get('password') ?? '';
  // An empty field is a mistake, not a guess (nothing is checked, nothing is counted).
  if (username === '' || password === '') return renderLogin(ctx, req, returnTo, 'Enter your username and password.', 400);
  // RFC 6749 §10.10: the same credential as the password grant, so both count the same guesses.
  const credential = { kind: 'password', subject: username } as const;
  const wait = await ctx.limiter.admit(req.source, [credential]);
  if (wait !== undefined) return tooManyAttempts(ctx, req, returnTo, wait);
  const user = await verifyUser(ctx.store, username, password);
  if (!user) {
    ctx.server.events.emit('user.authentication_failed', { username, client: LOGIN_PAGE_CLIENT });
    const { retryAfter } = await ctx.limiter.fail(req.source, credential);
    if (retryAfter !== undefined) return tooManyAttempts(ctx, req, returnTo, retryAfter);
    return renderLogin(ctx, req, returnTo, 'Wrong username or password.', 401);
  }
  // A new session id at sign-in (no fixation); a session signed in before (another user) ends.
  await ctx.sessions.destroy(req.session);
  const session = await ctx.sessions.create({ id: user.id, username: user.username ?? username });
  return new Response(null, { status: 303, headers: { location: returnTo, 'set-cookie': ctx.sessions.cookie(session), 'cache-control': 'no-store' } });
}

function tooManyAttempts(ctx: PageContext, req: PageRequest, returnTo: string, wait: number): Response {
  const response = renderLogin(ctx, req, returnTo, `Too many failed attempts. Try again in ${wait} seconds.`, 429);
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
    return page('Request refused', errorMessage('Sign out from a page of this server.'), { status: 403 });
  }
  await ctx.sessions.destroy(req.session);
  const session = await ctx.sessions.create();
  return new Response(null, { status: 303, headers: { location: safeReturnTo(form.get('return_to'), ctx.issuer), 'set-cookie': ctx.sessions.cookie(session), 'cache-control': 'no-store' } });
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
  const oauth = toOAuthError(error);
  // RFC 6749 §4.1.2.1 temporarily_unavailable, shown to the user when the redirect URI is not yet validated.
  if (oauth.code === 'temporarily_unavailable') {
    return page('Temporarily unavailable', errorMessage('The service is temporarily unavailable. Please try again in a moment.'), {
      status: 503,
      headers: { 'retry-after': oauth.headers['Retry-After'] ?? '5' },
    });
  }
  const status = oauth.status >= 500 ? 500 : oauth.status;
  return page('Request refused', errorMessage(`${oauth.code}: ${oauth.code === 'server_error' ? 'unexpected error' : oauth.message}`), { status });
}
