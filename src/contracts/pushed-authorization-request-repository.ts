/**
 * A pushed authorization request (RFC 9126 §2) as stored: the validated parameters of the authorization request,
 * under the SHA-256 of the random part of its `request_uri` (the `request_uri` itself is never stored).
 *
 * @example
 * ```ts
 * const record: PushedAuthorizationRequestRecord = { id: await sha256(random), clientId: 'app',
 *   params: { response_type: 'code', redirect_uri: 'https://app.example/cb', code_challenge, code_challenge_method: 'S256' },
 *   expiresAt: Date.now() + 60_000 };
 * ```
 */
export interface PushedAuthorizationRequestRecord {
  readonly id: string;
  /** The client that pushed it: RFC 9126 §4, only this client may use the `request_uri`. */
  readonly clientId: string;
  /** The authorization request parameters, one value each (client authentication parameters left out). */
  readonly params: Readonly<Record<string, string>>;
  /** Until when the `request_uri` may be presented at the authorization endpoint (ms since the epoch). */
  readonly expiresAt: number;
}

/**
 * Stores pushed authorization requests (RFC 9126). `consume` is the one atomic step of single use (RFC 9126 §7.3,
 * "request_uri values ... one-time use"): one caller, however many race, gets `true`.
 *
 * @example
 * ```ts
 * await storage.pushedAuthorizationRequests.save(record);
 * await storage.pushedAuthorizationRequests.find(record.id); // { ...record, consumed: false }
 * await storage.pushedAuthorizationRequests.consume(record.id); // true
 * await storage.pushedAuthorizationRequests.consume(record.id); // false: already used
 * ```
 */
export interface PushedAuthorizationRequestRepository {
  save(record: PushedAuthorizationRequestRecord): Promise<void>;
  /** The record (expired ones too, until swept: the caller checks `expiresAt`), and whether it was consumed. */
  find(id: string): Promise<(PushedAuthorizationRequestRecord & { readonly consumed: boolean }) | undefined>;
  /** Marks the record used; `true` only for the first call on a record that exists. */
  consume(id: string): Promise<boolean>;
}

/**
 * How long a pushed request is kept after its `expiresAt` before clean-up removes it: the user may still be signing in
 * and consenting to a request presented in time, and `consume` at the end must find it.
 *
 * @example
 * ```ts
 * await db.run('DELETE FROM grantry_pushed_requests WHERE expires_at <= ?', now - PUSHED_REQUEST_KEEP_MS);
 * ```
 */
export const PUSHED_REQUEST_KEEP_MS = 3600_000;
