import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

const code = (error: unknown): string | undefined => {
  const c = (error as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : undefined;
};

/** Why `path` cannot be written, from what the file system says (`access(2)` reports EROFS even to root). */
function unwritable(path: string, what: string): string | undefined {
  try {
    accessSync(path, constants.W_OK);
    return undefined;
  } catch (error) {
    if (code(error) === 'EROFS') return `${what} ${path} is on a read-only file system`;
    if (code(error) === 'EACCES' || code(error) === 'EPERM') return `no permission to write in ${what} ${path}`;
    return `${what} ${path} cannot be written (${code(error) ?? (error as Error).message})`;
  }
}

/**
 * Finds the cause of a failure to create or open a file in a data directory: a missing directory that cannot be
 * created, a path that is not a directory, a read-only file system, missing permissions. `undefined` when the
 * directory looks writable (the cause is then in the file itself).
 *
 * @example
 * ```ts
 * diagnoseDataPath('/srv/ro/grantry.db'); // 'the directory /srv/ro is on a read-only file system'
 * ```
 */
export function diagnoseDataPath(file: string): string | undefined {
  const dir = dirname(file);
  if (!existsSync(dir)) {
    let ancestor = dirname(dir);
    while (!existsSync(ancestor) && dirname(ancestor) !== ancestor) ancestor = dirname(ancestor);
    if (!statSync(ancestor).isDirectory()) return `the directory ${dir} cannot be created: ${ancestor} is not a directory`;
    const why = unwritable(ancestor, 'the directory');
    return `the directory ${dir} does not exist and cannot be created${why ? `: ${why}` : ''}`;
  }
  if (!statSync(dir).isDirectory()) return `${dir} is not a directory`;
  const why = unwritable(dir, 'the directory');
  if (why) return why;
  if (existsSync(file)) {
    if (statSync(file).isDirectory()) return `${file} is a directory, not a database file`;
    return unwritable(file, 'the file');
  }
  return undefined;
}

const FILE_CAUSES: Readonly<Record<string, string>> = {
  SQLITE_NOTADB: 'the file is not a SQLite database',
  SQLITE_CORRUPT: 'the database file is corrupt',
  SQLITE_FULL: 'the disk is full',
  ENOSPC: 'the disk is full',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
};

/**
 * A start-up error for a SQLite database or a file of the data directory that cannot be created or opened: a
 * `TypeError` (shown to the operator in one line, exit status 1) saying what could not be done (`action`), the
 * path and the cause, in place of the driver's "unable to open database file" or "ENOENT … mkdir".
 *
 * @example
 * ```ts
 * try {
 *   mkdirSync(dirname(file), { recursive: true });
 * } catch (error) {
 *   throw dataPathError('open the SQLite database', file, error);
 * }
 * ```
 */
export function dataPathError(action: string, file: string, error: unknown): TypeError {
  const errorCode = code(error);
  const cause =
    diagnoseDataPath(file) ??
    (errorCode === undefined ? undefined : (FILE_CAUSES[errorCode] ?? Object.entries(FILE_CAUSES).find(([c]) => errorCode.startsWith(c))?.[1])) ??
    (error instanceof Error ? error.message : String(error));
  return new TypeError(`cannot ${action} ${file}: ${cause}`, { cause: error });
}
