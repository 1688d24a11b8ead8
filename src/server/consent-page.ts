import { OAuthError } from '../contracts/oauth-error.js';
import type { User } from '../contracts/types.js';
import type { AuthorizationRequest } from '../contracts/authorization-request.js';
import { escapeHtml, hidden } from './html.js';
import { errorPage, redirectToLogin, signOutForm } from './login-page.js';
import { scopeList } from './scope-list.js';
import { readPageForm, type PageContext, type PageRequest } from './page-context.js';
import { Html } from './page-templates.js';
import { secondsToMs } from '../tokens/time-units.js';
import { clientLabel, unverifiedClientHost, unverifiedClientNotice } from './unverified-client.js';
import type { PageView } from './page-view.js';

/** A pending authorization request as carried through the consent form: signed and bound to the session. */
interface PendingConsent {
  readonly sid: string;
  /** Expiry in ms since the epoch (not a JWT `exp` in seconds); the name is part of the sealed form, kept as it is. */
  readonly exp: number;
  readonly authRequest: AuthorizationRequest;
}

const CONSENT_SECONDS = 600;

/** A pushed authorization request resolved before the sign-in page, carried across it (see {@link handleAuthorize}). */
interface PendingAuthorization {
  readonly exp: number;
  readonly authRequest: AuthorizationRequest;
}

/** The query parameter, and the seal purpose, of a {@link PendingAuthorization}. */
const RESUME = 'pushed_request';

/**
 * `GET /authorize` (RFC 6749 §3.1): validates the request with the library, sends a signed-out user to the login
 * page, then shows the consent page (`consent.html`: the client, the scopes, where the user will be sent, Allow and
 * Deny, and "Remember this decision"). A remembered consent of this user for this client that covers the scopes
 * skips the page, unless the operator turned remembering off for the client. A bad client or redirect URI is
 * shown as an error page, never redirected (RFC 6749 §4.1.2.1).
 *
 * @example
 * ```ts
 * if (url.pathname === '/authorize') return handleAuthorize(ctx, pageRequest);
 * ```
 */
export async function handleAuthorize(ctx: PageContext, req: PageRequest): Promise<Response> {
  let authRequest: AuthorizationRequest;
  const resume = req.request.method === 'GET' ? new URL(req.request.url).searchParams.get(RESUME) : null;
  if (resume !== null) {
    // Back from the sign-in page with a pushed request resolved before it (see below).
    const pending = ctx.sessions.unseal(resume, RESUME) as PendingAuthorization | undefined;
    if (!pending || pending.exp <= ctx.clock.now()) return ctx.view.error(400, ctx.view.s.consent_expired);
    authRequest = pending.authRequest;
  } else {
    try {
      authRequest = await ctx.server.validateAuthorizationRequest(req.request);
    } catch (error) {
      return await redirectOrError(ctx, error);
    }
  }
  const user = sessionUser(req);
  if (!user && authRequest.pushedRequestId !== undefined) {
    // RFC 9126: a request_uri lives a minute, which a sign-in can outlast. The request it stands for was resolved
    // now, in time; it crosses the sign-in page sealed (signed, for 10 minutes) and the library consumes the pushed
    // request when the user decides, so however often this link is followed, at most one response is issued.
    const sealed: PendingAuthorization = { exp: ctx.clock.now() + secondsToMs(CONSENT_SECONDS), authRequest };
    const back = new URL(`/authorize?${RESUME}=${ctx.sessions.seal(sealed, RESUME)}`, req.request.url);
    return redirectToLogin(new Request(back));
  }
  if (!user) return redirectToLogin(req.request);
  const consents = ctx.store.storage.consents;
  // A remembered consent names scopes, not resources (RFC 8707): a request for a resource is always asked.
  const resources = authRequest.resources ?? [];
  const mayRemember = resources.length === 0 && (await consents.rememberAllowed(authRequest.clientId));
  if (mayRemember) {
    const remembered = await consents.find(user.id, authRequest.clientId);
    if (remembered && authRequest.scopes.every((s) => remembered.scopes.includes(s))) {
      try {
        return await ctx.server.completeAuthorizationRequest(authRequest, { user, approved: true });
      } catch (error) {
        return await redirectOrError(ctx, error);
      }
    }
  }
  const pending: PendingConsent = { sid: req.session.sid, exp: ctx.clock.now() + secondsToMs(CONSENT_SECONDS), authRequest };
  const { view } = ctx;
  const username = user.username ?? user.id;
  const host = new URL(authRequest.redirectUri).host;
  // A client known only by its client ID metadata document: its name is its own claim, shown with its host.
  const documentHost = await unverifiedClientHost(ctx, authRequest.clientId);
  const client = clientLabel(ctx, authRequest.clientName, documentHost);
  const remember = mayRemember
    ? `<p><label class="check" for="remember"><input type="checkbox" id="remember" name="remember" value="yes">${escapeHtml(view.t('remember_label', { client }))}</label></p>`
    : '';
  return view.render('consent', view.s.consent_title, {
    intro: view.tHtml('consent_intro', { client: new Html(`<strong>${escapeHtml(client)}</strong>`) }),
    client,
    client_notice: unverifiedClientNotice(ctx, documentHost),
    username,
    host,
    destination: view.t('consent_destination', { host }),
    scopes: new Html(await scopeList(ctx.store.storage.scopes, authRequest.scopes, view.s.no_particular_scope)),
    resources: new Html(resourcesNote(view, resources)),
    hidden_fields: new Html(hidden('csrf_token', ctx.sessions.csrfToken(req.session)) + hidden('consent', ctx.sessions.seal(pending, 'consent'))),
    remember: new Html(remember),
    sign_out: signOutForm(ctx, req, username),
  });
}

/**
 * `POST /authorize/decision`: the consent form's answer goes to the library, which builds the redirect. An Allow
 * with "Remember this decision" ticked stores the consent (the scopes join those remembered before); a Deny is
 * never remembered.
 *
 * @example
 * ```ts
 * if (url.pathname === '/authorize/decision') return handleConsentDecision(ctx, pageRequest);
 * ```
 */
export async function handleConsentDecision(ctx: PageContext, req: PageRequest): Promise<Response> {
  const { view } = ctx;
  const form = await readPageForm(req.request);
  if (!form) return view.error(400, view.s.form_unreadable, { title: view.s.bad_request_title });
  if (!ctx.sessions.verifyCsrf(req.session, form.get('csrf_token') ?? undefined)) return view.error(403, view.s.session_expired_restart);
  const user = sessionUser(req);
  if (!user) return view.error(403, view.s.sign_in_again);
  const pending = ctx.sessions.unseal(form.get('consent') ?? '', 'consent') as PendingConsent | undefined;
  if (!pending || pending.sid !== req.session.sid || pending.exp <= ctx.clock.now()) return view.error(400, view.s.consent_expired);
  const decision = form.get('decision');
  if (decision !== 'allow' && decision !== 'deny') return view.error(400, view.s.choose_allow_or_deny, { title: view.s.bad_request_title });
  const { authRequest } = pending;
  try {
    if (decision === 'allow' && form.get('remember') === 'yes') await remember(ctx, user, authRequest);
    return await ctx.server.completeAuthorizationRequest(authRequest, { user, approved: decision === 'allow' });
  } catch (error) {
    return await redirectOrError(ctx, error);
  }
}

/** Stores the consent, unless the operator turned remembering off for the client since the page was shown. */
async function remember(ctx: PageContext, user: User, authRequest: AuthorizationRequest): Promise<void> {
  const consents = ctx.store.storage.consents;
  if (!(await consents.rememberAllowed(authRequest.clientId))) return;
  const before = (await consents.find(user.id, authRequest.clientId))?.scopes ?? [];
  const scopes = [...new Set([...before, ...authRequest.scopes])];
  await consents.remember({ userId: user.id, clientId: authRequest.clientId, scopes, createdAt: ctx.clock.now() });
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
  return errorPage(ctx.view, error);
}

/**
 * The sentence naming the resources (RFC 8707) a request is for, as markup; empty when it names none.
 *
 * @example
 * ```ts
 * resourcesNote(view, ['https://mcp.example.com/mcp']); // '<p class="resources">The access is for use at mcp.example.com/mcp.</p>'
 * ```
 */
export function resourcesNote(view: PageView, resources: readonly string[]): string {
  if (resources.length === 0) return '';
  return `<p class="resources">${escapeHtml(view.t('consent_resources', { resources: resources.map(resourceLabel).join(', ') }))}</p>`;
}

/** A resource as the user reads it: the host and path of a URL (`api.example.com/mcp`), or the URI itself (a URN). */
function resourceLabel(resource: string): string {
  try {
    const url = new URL(resource);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return resource;
    return `${url.host}${url.pathname === '/' ? '' : url.pathname}`;
  } catch {
    return resource;
  }
}
