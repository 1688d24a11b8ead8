/**
 * A signed-in browser session of the ready server's pages. `id` is the SHA-256 of the session id that the cookie
 * carries (base64url), never the id itself: a copy of the table does not let anyone sign in.
 *
 * @example
 * ```ts
 * const record: SessionRecord = { id: sha256(sessionId), userId: 'user-42', username: 'alice',
 *   createdAt: Date.now(), expiresAt: Date.now() + 3600_000 };
 * await storage.sessions.save(record);
 * ```
 */
export interface SessionRecord {
  readonly id: string;
  readonly userId: string;
  readonly username: string | undefined;
  /** When the user signed in, ms since the epoch. */
  readonly createdAt: number;
  readonly expiresAt: number;
}

/**
 * Server-side sessions: the cookie holds only an opaque random id, the session lives here. Sign-out deletes it,
 * deleting a user deletes theirs, and the clean-up sweeps expired ones.
 *
 * @example
 * ```ts
 * const sessions: SessionRepository = storage.sessions;
 * await sessions.save(record);
 * await sessions.find(record.id); // the record, until it is deleted or swept
 * await sessions.deleteByUser('user-42'); // 1
 * ```
 */
export interface SessionRepository {
  save(record: SessionRecord): Promise<void>;
  /** The session stored under `id` (expired ones too, until swept: the caller checks `expiresAt`). */
  find(id: string): Promise<SessionRecord | undefined>;
  delete(id: string): Promise<void>;
  /** Ends every session of a user; resolves with how many there were. */
  deleteByUser(userId: string): Promise<number>;
}
