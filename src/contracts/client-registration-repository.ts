import type { Client } from './types.js';

/**
 * What the registration endpoint keeps about a client that registered itself (RFC 7591), beside its `Client`
 * record: the hash of its registration access token (RFC 7592 §1, never the token) and the metadata it registered,
 * which a read (RFC 7592 §2.1) echoes.
 *
 * @example
 * ```ts
 * const registration: ClientRegistration = {
 *   clientId: 'x7Qf…', accessTokenHash: await crypto.sha256(token), issuedAt: Date.now(),
 *   metadata: { client_name: 'My MCP client', redirect_uris: ['http://127.0.0.1:3000/cb'], token_endpoint_auth_method: 'none' },
 * };
 * ```
 */
export interface ClientRegistration {
  readonly clientId: string;
  /** The SHA-256 (base64url) of the registration access token. */
  readonly accessTokenHash: string;
  /** The client metadata as accepted (RFC 7591 §2): no secret, no token, no server-assigned field. */
  readonly metadata: Readonly<Record<string, unknown>>;
  /** When the client was registered, ms since the epoch (`client_id_issued_at` in seconds). */
  readonly issuedAt: number;
}

/**
 * Clients that registered themselves (RFC 7591, RFC 7592). `register` and `update` store the `Client` record and
 * its registration together (both or neither); `delete` removes both and revokes what the client was granted, as
 * deleting a client through the operator's admin does. The clients are ordinary clients: the `ClientRepository`
 * reads them, with `origin: 'registration'`.
 *
 * @example
 * ```ts
 * const server = new AuthorizationServer({ ...options,
 *   registration: { mode: 'open', clients: storage.registrations } });
 * ```
 */
export interface ClientRegistrationRepository {
  /** Stores a new client (its origin becomes `registration`) and its registration. */
  register(client: Client, registration: ClientRegistration): Promise<void>;
  /** The registration of a client, if it registered itself. */
  find(clientId: string): Promise<ClientRegistration | undefined>;
  /** Replaces the client record and its registration (RFC 7592 §2.2); `false` when it is gone. */
  update(client: Client, registration: ClientRegistration): Promise<boolean>;
  /** Deletes the client and its registration and revokes its tokens and codes (RFC 7592 §2.3); `false` when gone. */
  delete(clientId: string): Promise<boolean>;
}

/**
 * An initial access token (RFC 7591 §1.2, §3) that the operator issued for registration: only its hash is stored.
 *
 * @example
 * ```ts
 * const record: InitialAccessTokenRecord = { id: await crypto.sha256(token), description: 'CI', createdAt: Date.now(),
 *   expiresAt: Date.now() + 86400_000, usesLeft: 1 };
 * await storage.initialAccessTokens.save(record);
 * ```
 */
export interface InitialAccessTokenRecord {
  /** The SHA-256 (base64url) of the token. */
  readonly id: string;
  readonly description?: string | undefined;
  readonly createdAt: number;
  /** When it stops working (ms); absent: never. */
  readonly expiresAt?: number | undefined;
  /** Registrations it may still make; absent: any number. */
  readonly usesLeft?: number | undefined;
}

/**
 * Initial access tokens: the operator saves, lists and deletes them; the registration endpoint spends one use
 * atomically (`use`), so a token good for one registration makes exactly one, however many requests race.
 *
 * @example
 * ```ts
 * const ok = await storage.initialAccessTokens.use(await crypto.sha256(presented), Date.now());
 * if (!ok) throw OAuthError.invalidToken();
 * ```
 */
export interface InitialAccessTokenRepository {
  save(record: InitialAccessTokenRecord): Promise<void>;
  /**
   * Spends one use of the token with this hash, in one atomic step: `true` when it exists, has not expired at `now`
   * and had a use left (or is unlimited).
   */
  use(id: string, now: number): Promise<boolean>;
  /** Every token (their hashes and settings), oldest first. */
  list(): Promise<InitialAccessTokenRecord[]>;
  /** `false` when there was no such token. */
  delete(id: string): Promise<boolean>;
}
