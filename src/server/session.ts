import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../contracts/clock.js';
import type { SessionRepository } from '../storage/session-repository.js';
import { secondsToMs } from '../tokens/time-units.js';

/** A page visitor's session: a random id and, once signed in, the user (from the session store). */
export interface Session {
  readonly sid: string;
  readonly userId: string | undefined;
  readonly username: string | undefined;
  /** Expiry, ms since the epoch (as its stored `SessionRecord.expiresAt`). */
  readonly expiresAt: number;
}

export const SESSION_COOKIE = 'grantry_session';

/** 32 random bytes, base64url: the only thing the cookie carries. */
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

/**
 * Server-side sessions and CSRF tokens. The cookie (`HttpOnly`, `SameSite=Lax`, `Secure` under https) carries only
 * an opaque random session id; a signed-in session lives in the session store under the SHA-256 of that id, so
 * sign-out and user deletion end it everywhere, and a saved copy of the cookie is worth nothing afterwards. An
 * anonymous visitor's session is not stored: its id only binds the CSRF token (the HMAC of the id, checked on
 * every form POST: a synchronizer token bound to the session).
 *
 * @example
 * ```ts
 * const sessions = new SessionManager(key, storage.sessions, { ttlSeconds: 3600, secure: true, clock: systemClock });
 * const session = (await sessions.read(request)) ?? (await sessions.create());
 * ```
 */
export class SessionManager {
  readonly #key: Buffer;

  constructor(
    key: string,
    private readonly store: SessionRepository,
    private readonly options: { ttlSeconds: number; secure: boolean; clock: Clock },
  ) {
    this.#key = Buffer.from(key, 'base64url');
    if (this.#key.length < 32) throw new TypeError('grantry: the session key must be at least 32 bytes');
  }

  /**
   * A new session with a fresh id (a new id at sign-in prevents session fixation); stored when signed in.
   */
  async create(user?: { id: string; username: string }): Promise<Session> {
    const now = this.options.clock.now();
    const session: Session = {
      sid: randomBytes(32).toString('base64url'),
      userId: user?.id,
      username: user?.username,
      expiresAt: now + secondsToMs(this.options.ttlSeconds),
    };
    if (user) {
      await this.store.save({ id: hashSessionId(session.sid), userId: user.id, username: user.username, createdAt: now, expiresAt: session.expiresAt });
    }
    return session;
  }

  /**
   * The session of a request, if it carries a well-formed session cookie: signed in while the store holds it and
   * it has not expired, anonymous otherwise (signed out, swept, user deleted, or never signed in).
   */
  async read(request: Request): Promise<Session | undefined> {
    const sid = readCookie(request, SESSION_COOKIE);
    if (sid === undefined || !SESSION_ID.test(sid)) return undefined;
    const now = this.options.clock.now();
    const stored = await this.store.find(hashSessionId(sid));
    if (stored && stored.expiresAt > now) return { sid, userId: stored.userId, username: stored.username, expiresAt: stored.expiresAt };
    return { sid, userId: undefined, username: undefined, expiresAt: now + secondsToMs(this.options.ttlSeconds) };
  }

  /** Ends a session in the store (sign-out): every copy of its cookie is anonymous from now on. */
  async destroy(session: Session): Promise<void> {
    if (session.userId !== undefined) await this.store.delete(hashSessionId(session.sid));
  }

  /** The `Set-Cookie` header value for a session: its id only. */
  cookie(session: Session): string {
    const attrs = [`${SESSION_COOKIE}=${session.sid}`, 'Path=/', 'HttpOnly', 'SameSite=Lax', `Max-Age=${this.options.ttlSeconds}`];
    if (this.options.secure) attrs.push('Secure');
    return attrs.join('; ');
  }

  /** The CSRF token for a session. */
  csrfToken(session: Session): string {
    return this.#mac(`csrf:${session.sid}`);
  }

  /** Whether a submitted CSRF token belongs to the session (constant-time). */
  verifyCsrf(session: Session | undefined, token: string | undefined): boolean {
    if (!session || token === undefined) return false;
    return safeEqual(this.csrfToken(session), token);
  }

  /** Signs a value with a purpose label, so that a token made for one use cannot be replayed for another. */
  seal(value: unknown, purpose: string): string {
    const payload = Buffer.from(JSON.stringify(value)).toString('base64url');
    return `${payload}.${this.#mac(`${purpose}:${payload}`)}`;
  }

  /** Checks and decodes a sealed value; `undefined` when forged or made for another purpose. */
  unseal(token: string, purpose: string): unknown {
    const dot = token.lastIndexOf('.');
    if (dot < 1) return undefined;
    const payload = token.slice(0, dot);
    if (!safeEqual(this.#mac(`${purpose}:${payload}`), token.slice(dot + 1))) return undefined;
    try {
      return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as unknown;
    } catch {
      return undefined;
    }
  }

  #mac(data: string): string {
    return createHmac('sha256', this.#key).update(data).digest('base64url');
  }
}

/** The key a session is stored under: the SHA-256 of its id (base64url), never the id itself. */
export function hashSessionId(sid: string): string {
  return createHash('sha256').update(sid).digest('base64url');
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** One cookie's value from the `Cookie` header. */
export function readCookie(request: Request, name: string): string | undefined {
  for (const part of (request.headers.get('cookie') ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
