/**
 * A mistake of the operator (bad flag, unknown client): printed as one line, exit status 2, never a stack trace.
 *
 * @example
 * ```ts
 * throw new UsageError('--name is required');
 * ```
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
