import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { UsageError } from './cli-error.js';

/** Where a password can come from, besides `--password` (visible in `ps` and shell history). */
export interface PasswordSources {
  /** The whole of stdin (its first line is the password). */
  readonly stdin: () => Promise<string>;
  /** Whether stdin is a terminal, where the password can be asked for. */
  readonly isTerminal: boolean;
  /** Asks once, without echo; resolves with the line typed. */
  readonly prompt: (question: string) => Promise<string>;
}

/**
 * Asks a question on the terminal without echoing the answer (the question goes to stderr, so `--json` output on
 * stdout stays clean).
 *
 * @example
 * ```ts
 * const password = await promptHidden('Password: ');
 * ```
 */
export async function promptHidden(question: string): Promise<string> {
  // The terminal leaves echo (raw mode) before the question shows, so that nothing typed after it is echoed.
  const silent = new Writable({ write: (_chunk, _encoding, done) => done() });
  const rl = createInterface({ input: process.stdin, output: silent, terminal: true });
  process.stderr.write(question);
  try {
    return await new Promise<string>((resolve, reject) => {
      rl.once('line', resolve);
      rl.once('close', () => reject(new UsageError('no password typed')));
      rl.once('SIGINT', () => reject(new UsageError('cancelled')));
    });
  } finally {
    rl.close();
    process.stderr.write('\n');
  }
}

/**
 * The password of `users create`: `--password P`, or the first line of stdin with `--password-stdin`, or, on a
 * terminal, typed twice at a prompt. Anything else is a usage error saying how to give one.
 *
 * @example
 * ```ts
 * const password = await readPassword({ 'password-stdin': true }, { stdin: readStdin, isTerminal: false, prompt: promptHidden });
 * ```
 */
export async function readPassword(flags: Readonly<Record<string, string | boolean | readonly string[] | undefined>>, sources: PasswordSources): Promise<string> {
  const given = flags.password;
  const fromStdin = flags['password-stdin'] === true;
  if (given !== undefined && fromStdin) throw new UsageError('give --password or --password-stdin, not both');
  if (typeof given === 'string') return given;
  if (fromStdin) {
    let text: string;
    try {
      text = await sources.stdin();
    } catch (error) {
      throw new UsageError(`cannot read the password from stdin: ${(error as Error).message}`);
    }
    return text.split(/\r?\n/, 1)[0] ?? '';
  }
  if (!sources.isTerminal) throw new UsageError('a password is required: give --password-stdin (and the password on stdin), or run in a terminal to be asked');
  const first = await sources.prompt('Password: ');
  const again = await sources.prompt('Password (again): ');
  if (first !== again) throw new UsageError('the two passwords differ');
  return first;
}
