import type { AuthorizationServer } from '../core/authorization-server.js';
import type { Clock } from '../contracts/clock.js';
import type { RateLimiter } from './rate-limiter.js';
import { readBoundedText } from './request-info.js';
import type { ServerStore } from './server-store.js';
import type { Session, SessionManager } from './session.js';
import type { PageView } from './page-view.js';

/** What the login, consent and device pages share. */
export interface PageContext {
  readonly server: AuthorizationServer;
  readonly store: ServerStore;
  readonly sessions: SessionManager;
  readonly limiter: RateLimiter;
  readonly clock: Clock;
  /** The issuer: post-login return addresses must stay on its origin. */
  readonly issuer: string;
  /** Templates, strings and branding of the pages. */
  readonly view: PageView;
}

/** One page request: the request, its client's address, and its session (a new anonymous one if it had none). */
export interface PageRequest {
  readonly request: Request;
  readonly source: string;
  readonly session: Session;
  /** Whether the session is new and its cookie must be set. */
  readonly newSession: boolean;
}

/** The largest page form body: a login, consent or device form is a few hundred bytes. */
const MAX_PAGE_FORM_BYTES = 16 * 1024;

/** Thrown by {@link readPageForm} for a body over the limit; the page wrapper answers it with the 413 page. */
export class PageBodyTooLarge extends Error {
  constructor() {
    super('The form is too large.');
    this.name = 'PageBodyTooLarge';
  }
}

/** The HTML error page for a form body over the limit (RFC 9110 §15.5.14). */
export const tooLargePage = (view: PageView): Response => view.error(413, view.s.too_large, { title: view.s.too_large_title });

/**
 * Reads a page's form body (url-encoded, at most 16 KiB); `undefined` when it is not one. A larger body throws
 * {@link PageBodyTooLarge} before more than the limit is read (at once when `Content-Length` says so).
 */
export async function readPageForm(request: Request): Promise<URLSearchParams | undefined> {
  const type = request.headers.get('content-type')?.split(';', 1)[0]?.trim().toLowerCase();
  if (request.method !== 'POST' || type !== 'application/x-www-form-urlencoded') return undefined;
  if (Number(request.headers.get('content-length')) > MAX_PAGE_FORM_BYTES) throw new PageBodyTooLarge();
  const text = await readBoundedText(request, MAX_PAGE_FORM_BYTES);
  // Undefined: over the limit (a chunked body), or the client went away mid-body and gets no answer anyway.
  if (text === undefined) throw new PageBodyTooLarge();
  return new URLSearchParams(text);
}
