import { escapeHtml, errorMessage, hidden, page } from './html.js';
import { redirectToLogin } from './login-page.js';
import type { DeviceAuthorization } from '../grants/device-code-grant.js';
import { scopeList } from './scope-list.js';
import { readPageForm, type PageContext, type PageRequest } from './page-context.js';

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/**
 * The device verification page (RFC 8628 §3.3): `GET /device` asks a signed-in user for the `user_code`
 * (prefilled from `verification_uri_complete`), `POST /device` looks it up and shows the client and scopes with
 * Allow and Deny, `POST /device/decision` records the answer. Wrong codes are guesses for the brute-force limiter,
 * counted per signed-in user and source (RFC 8628 §5.1: "SHOULD implement rate limiting" of user code guesses).
 *
 * @example
 * ```ts
 * if (url.pathname === '/device') return handleDevice(ctx, pageRequest);
 * ```
 */
export async function handleDevice(ctx: PageContext, req: PageRequest): Promise<Response> {
  if (!ctx.server.enabledGrantTypes.includes(DEVICE_GRANT)) return page('Not found', '', { status: 404 });
  if (req.session.userId === undefined) return redirectToLogin(req.request);
  if (req.request.method === 'GET') {
    return renderEntry(ctx, req, new URL(req.request.url).searchParams.get('user_code') ?? '');
  }
  const form = await readPageForm(req.request);
  if (!form) return page('Bad request', errorMessage('The form could not be read.'), { status: 400 });
  const typed = form.get('user_code') ?? '';
  if (!ctx.sessions.verifyCsrf(req.session, form.get('csrf_token') ?? undefined)) return renderEntry(ctx, req, typed, 'Your session expired. Please try again.', 403);
  if (typed.trim() === '') return renderEntry(ctx, req, typed, 'Enter the code shown on your device.', 400);
  // RFC 8628 §5.1: user code guesses are rate limited, counted per signed-in user (the guesser's account).
  const credential = { kind: 'user_code', subject: req.session.userId } as const;
  const wait = await ctx.limiter.admit(req.source, [credential]);
  if (wait !== undefined) return tooManyCodes(ctx, req, typed, wait);
  const record = await ctx.server.findDeviceAuthorization(typed);
  if (!record) {
    const { retryAfter } = await ctx.limiter.fail(req.source, credential);
    if (retryAfter !== undefined) return tooManyCodes(ctx, req, typed, retryAfter);
    return renderEntry(ctx, req, typed, 'That code is not valid or has expired. Check the code on your device.', 400);
  }
  return renderApproval(ctx, req, record);
}

/** `POST /device/decision`: approves or denies the pending device authorization. */
export async function handleDeviceDecision(ctx: PageContext, req: PageRequest): Promise<Response> {
  if (!ctx.server.enabledGrantTypes.includes(DEVICE_GRANT)) return page('Not found', '', { status: 404 });
  if (req.session.userId === undefined) return page('Request refused', errorMessage('Please sign in again.'), { status: 403 });
  const form = await readPageForm(req.request);
  if (!form) return page('Bad request', errorMessage('The form could not be read.'), { status: 400 });
  if (!ctx.sessions.verifyCsrf(req.session, form.get('csrf_token') ?? undefined)) return page('Request refused', errorMessage('Your session expired.'), { status: 403 });
  const pending = ctx.sessions.unseal(form.get('device') ?? '', 'device') as { sid: string; userCode: string } | undefined;
  const decision = form.get('decision');
  if (!pending || pending.sid !== req.session.sid || (decision !== 'allow' && decision !== 'deny')) {
    return page('Bad request', errorMessage('This form is not valid any more. Enter the code again.'), { status: 400 });
  }
  const approved = decision === 'allow';
  const user = { id: req.session.userId, ...(req.session.username === undefined ? {} : { username: req.session.username }) };
  const done = await ctx.server.completeDeviceAuthorization(pending.userCode, { user, approved });
  if (!done) return page('Code expired', errorMessage('This code has expired or was already used. Start again on your device.'), { status: 400 });
  return approved
    ? page('Device connected', '<p role="status">You have allowed the device. You can return to it now.</p>')
    : page('Access denied', '<p role="status">You have denied the device. You can close this page.</p>');
}

function tooManyCodes(ctx: PageContext, req: PageRequest, typed: string, wait: number): Response {
  const response = renderEntry(ctx, req, typed, `Too many wrong codes. Try again in ${wait} seconds.`, 429);
  response.headers.set('retry-after', String(wait));
  return response;
}

function renderEntry(ctx: PageContext, req: PageRequest, value: string, error?: string, status = 200): Response {
  const body = `${errorMessage(error)}
<p>Enter the code shown on your device.</p>
<form method="post" action="/device">
${hidden('csrf_token', ctx.sessions.csrfToken(req.session))}
<label for="user_code">Code</label><input id="user_code" name="user_code" value="${escapeHtml(value)}" autocomplete="off" autocapitalize="characters" spellcheck="false" required autofocus>
<button type="submit">Continue</button>
</form>`;
  return page('Connect a device', body, { status });
}

async function renderApproval(ctx: PageContext, req: PageRequest, record: DeviceAuthorization): Promise<Response> {
  const scopes = await scopeList(ctx.store.storage.scopes, record.scopes);
  const body = `<p><strong>${escapeHtml(record.clientName)}</strong> on your device asks to access your account with these scopes:</p>
${scopes}
<form method="post" action="/device/decision">
${hidden('csrf_token', ctx.sessions.csrfToken(req.session))}${hidden('device', ctx.sessions.seal({ sid: req.session.sid, userCode: record.userCode }, 'device'))}
<button type="submit" name="decision" value="allow">Allow</button>
<button type="submit" name="decision" value="deny">Deny</button>
</form>`;
  return page(`Allow this device? Code ${record.userCode}`, body);
}
