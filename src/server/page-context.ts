import type { AuthorizationServer } from '../core/authorization-server.js';
import type { Clock } from '../core/clock.js';
import type { RateLimiter } from './rate-limiter.js';
import { readBoundedText } from './request-info.js';
import type { ServerStore } from './server-store.js';
import type { Session, SessionManager } from './session.js';

/** What the login, consent and device pages share. */
export interface PageContext {
  readonly server: AuthorizationServer;
  readonly store: ServerStore;
  readonly sessions: SessionManager;
  readonly limiter: RateLimiter;
  readonly clock: Clock;
  /** The issuer: post-login return addresses must stay on its origin. */
  readonly issuer: string;
}

/** One page request: the request, its client's address, and its session (a new anonymous one if it had none). */
export interface PageRequest {
  readonly request: Request;
  readonly source: string;
  readonly session: Session;
  /** Whether the session is new and its cookie must be set. */
  readonly newSession: boolean;
}

/** Reads a page's form body (url-encoded, at most 16 KiB); `undefined` when it is not one. */
export async function readPageForm(request: Request): Promise<URLSearchParams | undefined> {
  const type = request.headers.get('content-type')?.split(';', 1)[0]?.trim().toLowerCase();
  if (request.method !== 'POST' || type !== 'application/x-www-form-urlencoded') return undefined;
  const text = await readBoundedText(request, 16 * 1024);
  return text === undefined ? undefined : new URLSearchParams(text);
}
