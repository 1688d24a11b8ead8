import { OAuthError } from '../core/oauth-error.js';
import type { User } from '../core/types.js';
import type { AuthorizationRequest } from '../grants/authorization-request.js';
import { escapeHtml, errorMessage, hidden, page } from './html.js';
import { errorPage, redirectToLogin, signOutForm } from './login-page.js';
import { scopeList } from './scope-list.js';
import { readPageForm, type PageContext, type PageRequest } from './page-context.js';

/** A pending authorization request as carried through the consent form: signed and bound to the session. */
interface PendingConsent {
  readonly sid: string;
  readonly exp: number;
  readonly authRequest: AuthorizationRequest;
}

const CONSENT_SECONDS = 600;

/**
 * `GET /authorize` (RFC 6749 §3.1): validates the request with the library, sends a signed-out user to the login
 * page, then shows the consent page (the client and the scopes, buttons Allow and Deny). A bad client or
 * redirect URI is shown as an error page, never redirected (RFC 6749 §4.1.2.1).
 *
 * @example
 * ```ts
 * if (url.pathname === '/authorize') return handleAuthorize(ctx, pageRequest);
 * ```
 */
export async function handleAuthorize(ctx: PageContext, req: PageRequest): Promise<Response> {
  let authRequest: AuthorizationRequest;
  try {
    authRequest = await ctx.server.validateAuthorizationRequest(req.request);
  } catch (error) {
    return await redirectOrError(ctx, error);
  }
  const user = sessionUser(req);
  if (!user) return redirectToLogin(req.request);
  const pending: PendingConsent = { sid: req.session.sid, exp: ctx.clock.now() + CONSENT_SECONDS * 1000, authRequest };
  const scopes = await scopeList(ctx.store.storage.scopes, authRequest.scopes);
  const body = `<p><strong>${escapeHtml(authRequest.clientName)}</strong> asks to access your account
(signed in as ${escapeHtml(user.username ?? user.id)}) with these scopes:</p>
${scopes}
<form method="post" action="/authorize/decision">
${hidden('csrf_token', ctx.sessions.csrfToken(req.session))}${hidden('consent', ctx.sessions.seal(pending, 'consent'))}
<button type="submit" name="decision" value="allow">Allow</button>
<button type="submit" name="decision" value="deny">Deny</button>
</form>
${signOutForm(ctx, req, user.username ?? user.id)}`;
  return page('Authorize access', body);
}

/** `POST /authorize/decision`: the consent form's answer goes to the library, which builds the redirect. */
export async function handleConsentDecision(ctx: PageContext, req: PageRequest): Promise<Response> {
  const form = await readPageForm(req.request);
  if (!form) return page('Bad request', errorMessage('The form could not be read.'), { status: 400 });
  if (!ctx.sessions.verifyCsrf(req.session, form.get('csrf_token') ?? undefined)) {
    return page('Request refused', errorMessage('Your session expired. Please start again from the application.'), { status: 403 });
  }
  const user = sessionUser(req);
  if (!user) return page('Request refused', errorMessage('Please sign in again.'), { status: 403 });
  const pending = ctx.sessions.unseal(form.get('consent') ?? '', 'consent') as PendingConsent | undefined;
  if (!pending || pending.sid !== req.session.sid || pending.exp <= ctx.clock.now()) {
    return page('Request refused', errorMessage('This consent form has expired. Please start again from the application.'), { status: 400 });
  }
  const decision = form.get('decision');
  if (decision !== 'allow' && decision !== 'deny') return page('Bad request', errorMessage('Choose Allow or Deny.'), { status: 400 });
  try {
    return await ctx.server.completeAuthorizationRequest(pending.authRequest, { user, approved: decision === 'allow' });
  } catch (error) {
    return await redirectOrError(ctx, error);
  }
}

function sessionUser(req: PageRequest): User | undefined {
  const { userId, username } = req.session;
  return userId === undefined ? undefined : { id: userId, ...(username === undefined ? {} : { username }) };
}

/**
 * The library throws an `AuthorizationError`: redirectable ones go back to the client (RFC 6749 §4.1.2.1), the
 * others (bad client or redirect URI) are shown to the user and never redirected.
 */
async function redirectOrError(ctx: PageContext, error: unknown): Promise<Response> {
  const e = error as { redirectable?: unknown; toResponse?: () => Response } | undefined;
  if (e?.redirectable === true && typeof e.toResponse === 'function') return e.toResponse();
  // Not an OAuth error (storage unavailable, a bug): the library logs what failed.
  if (!(error instanceof OAuthError)) await ctx.server.errorResponse(error);
  return errorPage(error);
}
