/**
 * A consent a user asked the ready server to remember: the client may have these scopes again without asking.
 *
 * @example
 * ```ts
 * const consent: RememberedConsent = { userId: 'user-42', clientId: 'app', scopes: ['read'], createdAt: Date.now() };
 * await storage.consents.remember(consent);
 * ```
 */
export interface RememberedConsent {
  readonly userId: string;
  readonly clientId: string;
  /** The scopes granted; a later request for a subset of them skips the consent page. */
  readonly scopes: readonly string[];
  /** When the user ticked "Remember this decision", ms since the epoch. */
  readonly createdAt: number;
}

/**
 * Remembered consents of the ready server's pages, one per user and client, and the operator's per-client
 * switch that turns remembering off. Deleting a user or a client deletes theirs.
 *
 * @example
 * ```ts
 * const consents: ConsentRepository = storage.consents;
 * await consents.remember({ userId: 'user-42', clientId: 'app', scopes: ['read'], createdAt: Date.now() });
 * await consents.find('user-42', 'app'); // the consent, until revoked
 * await consents.revoke('user-42', 'app'); // true
 * await consents.setRememberAllowed('app', false); // the client always asks; its remembered consents are gone
 * ```
 */
export interface ConsentRepository {
  /** Stores the consent, replacing the one of the same user and client. */
  remember(consent: RememberedConsent): Promise<void>;
  find(userId: string, clientId: string): Promise<RememberedConsent | undefined>;
  /** The user's remembered consents, by client id. */
  listByUser(userId: string): Promise<RememberedConsent[]>;
  /** Forgets the consent; resolves with whether there was one. */
  revoke(userId: string, clientId: string): Promise<boolean>;
  /** Turns remembering on or off for a client (on by default); off also forgets its remembered consents. */
  setRememberAllowed(clientId: string, allowed: boolean): Promise<void>;
  rememberAllowed(clientId: string): Promise<boolean>;
}
