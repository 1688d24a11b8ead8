import type { ConsentRepository, RememberedConsent } from '../consent-repository.js';

/**
 * Remembered consents held in a `Map` keyed by user and client, and a set of the clients that never remember.
 *
 * @example
 * ```ts
 * const storage = createMemoryStorage();
 * await storage.consents.remember({ userId: 'u1', clientId: 'app', scopes: ['read'], createdAt: Date.now() });
 * await storage.consents.find('u1', 'app'); // the consent
 * ```
 */
export class MemoryConsentRepository implements ConsentRepository {
  readonly records = new Map<string, RememberedConsent>();
  readonly optedOut = new Set<string>();
  async remember(consent: RememberedConsent): Promise<void> {
    this.records.set(key(consent.userId, consent.clientId), { ...consent, scopes: [...consent.scopes] });
  }
  async find(userId: string, clientId: string): Promise<RememberedConsent | undefined> {
    return this.records.get(key(userId, clientId));
  }
  async listByUser(userId: string): Promise<RememberedConsent[]> {
    return [...this.records.values()].filter((c) => c.userId === userId).sort((a, b) => (a.clientId < b.clientId ? -1 : 1));
  }
  async revoke(userId: string, clientId: string): Promise<boolean> {
    return this.records.delete(key(userId, clientId));
  }
  async setRememberAllowed(clientId: string, allowed: boolean): Promise<void> {
    if (allowed) {
      this.optedOut.delete(clientId);
      return;
    }
    this.optedOut.add(clientId);
    this.deleteWhere((c) => c.clientId === clientId);
  }
  async rememberAllowed(clientId: string): Promise<boolean> {
    return !this.optedOut.has(clientId);
  }
  /** Forgets the consents `owned` selects (a deleted user's or client's). */
  deleteWhere(owned: (c: RememberedConsent) => boolean): void {
    for (const [k, c] of this.records) if (owned(c)) this.records.delete(k);
  }
}

const key = (userId: string, clientId: string): string => JSON.stringify([userId, clientId]);
