/**
 * Loads an optional database driver (`better-sqlite3`, `pg`) and the code that needs it. When the driver is not
 * installed, throws a `TypeError` that names it and says how to install it, instead of Node's bare
 * `Cannot find package`. `better-sqlite3` is an optional dependency of grantry (a failed native build leaves it out);
 * `pg` is an optional peer dependency.
 *
 * @example
 * ```ts
 * const { default: Database } = await importDriver('better-sqlite3', 'the SQLite database', () => import('better-sqlite3'));
 * ```
 */
export async function importDriver<T>(driver: string, purpose: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    const e = error as { code?: unknown; message?: unknown };
    const missing =
      (e.code === 'ERR_MODULE_NOT_FOUND' || e.code === 'MODULE_NOT_FOUND') && typeof e.message === 'string' && e.message.includes(`'${driver}'`);
    if (!missing) throw error;
    throw new TypeError(
      `${purpose} needs the package ${driver}, which is not installed: run \`npm install ${driver}\` in this project` +
        (driver === 'better-sqlite3'
          ? ' (grantry lists it as an optional dependency: npm leaves it out when its native build fails, or with --omit=optional)'
          : ''),
      { cause: error },
    );
  }
}
