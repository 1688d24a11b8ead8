import type { Client } from './types.js';

/**
 * The events grantry emits, with their payloads.
 *
 * @example
 * ```ts
 * server.events.on('access_token.issued', ({ jti, client, grantType }: GrantryEvents['access_token.issued']) => {
 *   console.log(`issued ${jti} to ${client.id} by ${grantType}`);
 * });
 * ```
 */
export interface GrantryEvents {
  'client.authentication_failed': { clientId: string | undefined; reason: 'unknown_client' | 'bad_secret' | 'missing_credentials' | 'public_client' | 'wrong_method' | 'bad_assertion' | 'replayed_assertion' | 'jwks_unavailable' };
  'user.authentication_failed': { username: string; client: Client };
  'access_token.issued': { jti: string; client: Client; userId: string | undefined; scopes: readonly string[]; grantType: string };
  'refresh_token.issued': { id: string; familyId: string; client: Client; userId: string | undefined };
  'refresh_token.reuse_detected': { id: string; familyId: string; clientId: string };
  'refresh_token.rejected': { reason: RefreshRejectReason; clientId: string };
  'authorization_code.reuse_detected': { id: string; familyId: string; clientId: string };
  /** RFC 7009: a client revoked one of its tokens (a refresh token ends its family, `familyId`). */
  'token.revoked': { type: 'access_token' | 'refresh_token'; id: string; familyId: string | undefined; clientId: string };
  /** RFC 7591: a client registered itself (`initialAccessToken`: with an operator's token rather than openly). */
  'client.registered': { clientId: string; grantTypes: readonly string[]; initialAccessToken: boolean };
  /** RFC 7592 §2.3: a registered client deleted itself; its tokens and codes were revoked. */
  'client.registration_deleted': { clientId: string };
}

/**
 * Why a refresh token was refused.
 *
 * @example
 * ```ts
 * server.events.on('refresh_token.rejected', ({ reason, clientId }) => {
 *   const r: RefreshRejectReason = reason;
 *   if (r === 'reused') console.warn(`refresh token replayed by ${clientId}`);
 * });
 * ```
 */
export type RefreshRejectReason =
  | 'malformed'
  | 'expired'
  | 'revoked'
  | 'reused'
  | 'foreign_client'
  | 'unknown'
  /** The token's user no longer exists, or the `isUserActive` hook refused them. */
  | 'user_inactive'
  /** A granted scope is no longer allowed to the client, and the request did not narrow to allowed ones. */
  | 'scope_withdrawn'
  /** The token is bound to a DPoP key (RFC 9449 §5) and the request proved no key, or another one. */
  | 'dpop_key';

type Listener<T> = (payload: T) => void;

/**
 * A small typed event emitter. Listeners run synchronously; one that throws is isolated from the request.
 *
 * @example
 * ```ts
 * server.events.on('refresh_token.reuse_detected', ({ familyId }) => audit.warn('reuse', familyId));
 * ```
 */
export class EventEmitter<E extends object = GrantryEvents> {
  readonly #listeners = new Map<keyof E, Set<Listener<never>>>();

  on<K extends keyof E>(event: K, listener: Listener<E[K]>): () => void {
    let set = this.#listeners.get(event);
    if (!set) this.#listeners.set(event, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  emit<K extends keyof E>(event: K, payload: E[K]): void {
    const set = this.#listeners.get(event);
    if (!set) return;
    for (const listener of set) {
      try {
        (listener as Listener<E[K]>)(payload);
      } catch {
        // A listener's failure must not turn a correct OAuth answer into a 500.
      }
    }
  }
}
