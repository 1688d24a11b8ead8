import { StorageUnavailableError, type StorageUnavailableReason } from '../contracts/storage-unavailable-error.js';

export { StorageUnavailableError, type StorageUnavailableReason } from '../contracts/storage-unavailable-error.js';

// Node's socket and file errors (errno codes).
const NODE_CODES: Readonly<Record<string, StorageUnavailableReason>> = {
  ECONNREFUSED: 'connection',
  ECONNRESET: 'connection',
  ECONNABORTED: 'connection',
  EPIPE: 'connection',
  EHOSTUNREACH: 'connection',
  EHOSTDOWN: 'connection',
  ENETUNREACH: 'connection',
  ENETDOWN: 'connection',
  ENOTFOUND: 'connection',
  EAI_AGAIN: 'connection',
  ETIMEDOUT: 'timeout',
  ENOSPC: 'disk_full',
  EDQUOT: 'disk_full',
  EROFS: 'read_only',
  EIO: 'io',
};

// better-sqlite3's `code`: the extended result code's name; the prefix is the primary code.
const SQLITE_PREFIXES: readonly (readonly [string, StorageUnavailableReason])[] = [
  ['SQLITE_FULL', 'disk_full'],
  ['SQLITE_READONLY', 'read_only'],
  ['SQLITE_BUSY', 'busy'],
  ['SQLITE_LOCKED', 'busy'],
  ['SQLITE_PROTOCOL', 'busy'],
  ['SQLITE_IOERR', 'io'],
  ['SQLITE_CANTOPEN', 'io'],
];

// PostgreSQL SQLSTATEs (Appendix A of its manual) that mean "not now" rather than "not this request".
const SQLSTATES: Readonly<Record<string, StorageUnavailableReason>> = {
  '57P01': 'connection', // admin_shutdown
  '57P02': 'connection', // crash_shutdown
  '57P03': 'connection', // cannot_connect_now
  '57014': 'timeout', // query_canceled: statement_timeout
  '55P03': 'busy', // lock_not_available: lock_timeout
  '53100': 'disk_full',
  '25006': 'read_only', // read_only_sql_transaction: a standby, or default_transaction_read_only
  '58030': 'io',
};

// node-postgres errors that carry no code, by message.
const PG_MESSAGES: readonly (readonly [RegExp, StorageUnavailableReason])[] = [
  [/^timeout exceeded when trying to connect$/, 'timeout'], // the pool: no connection within connectionTimeoutMillis
  [/^Query read timeout$/, 'timeout'], // query_timeout
  [/^timeout expired$/, 'timeout'], // connectionTimeoutMillis while connecting
  [/^Connection terminated due to connection timeout$/, 'timeout'],
  [/^Connection terminated( unexpectedly)?$/, 'connection'],
  [/is not queryable$/, 'connection'],
];

function reasonOf(error: unknown, depth = 0): StorageUnavailableReason | undefined {
  if (typeof error !== 'object' || error === null || depth > 3) return undefined;
  if (error instanceof StorageUnavailableError) return error.reason;
  const { code, message, errors, cause } = error as { code?: unknown; message?: unknown; errors?: unknown; cause?: unknown };
  if (typeof code === 'string') {
    const reason = NODE_CODES[code] ?? SQLSTATES[code] ?? SQLITE_PREFIXES.find(([prefix]) => code.startsWith(prefix))?.[1];
    if (reason) return reason;
    // SQLSTATE class 08: connection exception; class 53: insufficient resources (too many connections, memory).
    if (/^08[0-9A-Z]{3}$/.test(code)) return 'connection';
    if (/^53[0-9A-Z]{3}$/.test(code)) return 'busy';
  }
  if (typeof message === 'string') {
    const match = PG_MESSAGES.find(([pattern]) => pattern.test(message));
    if (match) return match[1];
  }
  // Node's happy-eyeballs connect fails with an AggregateError of the attempts.
  if (Array.isArray(errors) && errors.length > 0) {
    const reasons = errors.map((e) => reasonOf(e, depth + 1));
    if (reasons.every((r) => r !== undefined)) return reasons[0];
  }
  return cause === undefined ? undefined : reasonOf(cause, depth + 1);
}

const WHAT: Readonly<Record<StorageUnavailableReason, string>> = {
  connection: 'the database connection failed',
  timeout: 'the database did not answer in time',
  disk_full: 'the disk is full',
  read_only: 'the database is read-only',
  busy: 'the database is locked by another writer',
  io: 'a disk I/O error',
};

/**
 * Classifies a driver error (`pg`, `better-sqlite3`, Node's sockets and files): a {@link StorageUnavailableError}
 * when it means the storage cannot serve now — connection refused, reset or timed out, the pool timed out, the disk
 * is full, the file system or database is read-only or locked, an I/O error — else `undefined` (a bug, a
 * constraint violation: not something a retry fixes). The message says what failed and keeps the driver's.
 *
 * @example
 * ```ts
 * try {
 *   await pool.query('SELECT 1');
 * } catch (error) {
 *   throw classifyStorageError(error) ?? error; // 503 temporarily_unavailable instead of 500
 * }
 * ```
 */
export function classifyStorageError(error: unknown): StorageUnavailableError | undefined {
  if (error instanceof StorageUnavailableError) return error;
  const reason = reasonOf(error);
  if (reason === undefined) return undefined;
  const detail = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown }).code;
  return new StorageUnavailableError(reason, `${WHAT[reason]}: ${typeof code === 'string' ? `${code} ` : ''}${detail}`, { cause: error });
}

/**
 * {@link classifyStorageError}, or the error itself when it does not mean "unavailable": for `catch` blocks.
 *
 * @example
 * ```ts
 * const rows = await pool.query(text).catch((error: unknown) => { throw toStorageError(error); });
 * ```
 */
export function toStorageError(error: unknown): unknown {
  return classifyStorageError(error) ?? error;
}

/**
 * Wraps an object (a repository, a store) so that every method throws a {@link StorageUnavailableError} in place
 * of a driver error that means "unavailable"; other errors and results pass through unchanged. Methods run on the
 * object itself, so private fields keep working.
 *
 * @example
 * ```ts
 * const clients = guardStorageErrors(new SqliteClientRepository(statements));
 * await clients.getClient('app'); // a full disk or a locked file: StorageUnavailableError
 * ```
 */
export function guardStorageErrors<T extends object>(target: T): T {
  const wrapped = new Map<PropertyKey, { method: unknown; guarded: unknown }>();
  return new Proxy(target, {
    get(object, key) {
      const value: unknown = Reflect.get(object, key, object);
      if (typeof value !== 'function' || key === 'constructor') return value;
      const known = wrapped.get(key);
      if (known?.method === value) return known.guarded;
      const method = value as (...args: unknown[]) => unknown;
      const guarded = (...args: unknown[]): unknown => {
        try {
          const result = method.apply(object, args);
          return result instanceof Promise
            ? result.catch((error: unknown) => {
                throw toStorageError(error);
              })
            : result;
        } catch (error) {
          throw toStorageError(error);
        }
      };
      wrapped.set(key, { method: value, guarded });
      return guarded;
    },
  });
}
