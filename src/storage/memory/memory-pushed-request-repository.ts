import type {
  PushedAuthorizationRequestRecord,
  PushedAuthorizationRequestRepository,
} from '../../contracts/pushed-authorization-request-repository.js';

/**
 * Pushed authorization requests (RFC 9126) in memory; `consume` is a check-and-set in one synchronous step.
 *
 * @example
 * ```ts
 * const storage = createMemoryStorage();
 * await storage.pushedAuthorizationRequests.consume(id); // true once
 * ```
 */
export class MemoryPushedRequestRepository implements PushedAuthorizationRequestRepository {
  readonly records = new Map<string, PushedAuthorizationRequestRecord & { consumed: boolean }>();
  constructor(private readonly onWrite: () => void = () => undefined) {}
  async save(record: PushedAuthorizationRequestRecord): Promise<void> {
    if (this.records.has(record.id)) throw new Error(`grantry memory storage: pushed request ${record.id} exists`);
    this.records.set(record.id, { ...record, params: { ...record.params }, consumed: false });
    this.onWrite();
  }
  async find(id: string): Promise<(PushedAuthorizationRequestRecord & { consumed: boolean }) | undefined> {
    const r = this.records.get(id);
    return r && { ...r, params: { ...r.params } };
  }
  async consume(id: string): Promise<boolean> {
    const r = this.records.get(id);
    if (!r || r.consumed) return false;
    r.consumed = true;
    return true;
  }
}
