/**
 * Why storage is unavailable: the database cannot be reached or did not answer in time (`connection`, `timeout`),
 * the disk is full (`disk_full`), the file system or database is read-only (`read_only`), another writer holds
 * the lock (`busy`), or the disk failed (`io`).
 *
 * @example
 * ```ts
 * const reason: StorageUnavailableReason = 'disk_full';
 * ```
 */
export type StorageUnavailableReason = 'connection' | 'timeout' | 'disk_full' | 'read_only' | 'busy' | 'io';

/**
 * Storage cannot serve the request right now, though the request itself is fine: a retry later may succeed. The
 * server answers it `503 temporarily_unavailable` with `Retry-After` (RFC 6749 §4.1.2.1 names the code for the
 * authorization endpoint; grantry uses it with the same meaning at the token, revocation, introspection and
 * device endpoints). The storage engines throw it in place of a driver error that means "unavailable"; a
 * repository of your own may throw it too. `message` says what failed, for the logs; the client never sees it.
 *
 * @example
 * ```ts
 * throw new StorageUnavailableError('timeout', 'the database did not answer within 5 s', { retryAfterSeconds: 2 });
 * ```
 */
export class StorageUnavailableError extends Error {
  override readonly name = 'StorageUnavailableError';
  /** Seconds a client should wait before retrying (`Retry-After`). */
  readonly retryAfterSeconds: number;

  constructor(
    readonly reason: StorageUnavailableReason,
    message: string,
    options: { cause?: unknown; retryAfterSeconds?: number } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.retryAfterSeconds = Math.max(1, Math.ceil(options.retryAfterSeconds ?? (reason === 'busy' ? 1 : 5)));
  }
}
