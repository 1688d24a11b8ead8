import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../core/clock.js';

/** What a session cookie holds: a random id and, once signed in, the user. */
export interface Session {
  readonly sid: string;
  readonly userId: string | undefined;
  readonly username: string | undefined;
  /** Expiry, ms since the epoch. */
  readonly exp: number;
}

export const SESSION_COOKIE = 'grantry_session';

/**
 * Signed, stateless sessions and CSRF tokens: a session is an HMAC-signed cookie (`HttpOnly`, `SameSite=Lax`,
 * `Secure` under https), so that any instance sharing the keys can read it. A CSRF token is the HMAC of the
 * session id, checked on every form POST (synchronizer token bound to the session).
 *
 * @example
 * ```ts
 * const sessions = new SessionManager(key, { ttlSeconds: 3600, secure: true, clock: systemClock });
 * const session = sessions.read(request) ?? sessions.create();
 * ```
 */
export class SessionManager {
  readonly #key: Buffer;

  constructor(
    key: string,
    private readonly options: { ttlSeconds: number; secure: boolean; clock: Clock },
  ) {
    this.#key = Buffer.from(key, 'base64url');
    if (this.#key.length < 32) throw new TypeError('grantry: the session key must be at least 32 bytes');
  }

  /** A new anonymous or signed-in session, with a fresh id (a new id at login prevents session fixation). */
  create(user?: { id: string; username: string }): Session {
    return {
      sid: randomBytes(18).toString('base64url'),
      userId: user?.id,
      username: user?.username,
      exp: this.options.clock.now() + this.options.ttlSeconds * 1000,
    };
  }

  /** The valid session of a request, if any. */
  read(request: Request): Session | undefined {
    const value = readCookie(request, SESSION_COOKIE);
    if (value === undefined) return undefined;
    const data = this.unseal(value, 'session') as Session | undefined;
    if (!data || typeof data.sid !== 'string' || typeof data.exp !== 'number' || data.exp <= this.options.clock.now()) return undefined;
    return data;
  }

  /** The `Set-Cookie` header value for a session. */
  cookie(session: Session): string {
    const attrs = [`${SESSION_COOKIE}=${this.seal(session, 'session')}`, 'Path=/', 'HttpOnly', 'SameSite=Lax', `Max-Age=${this.options.ttlSeconds}`];
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
