import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { msToSeconds, secondsToMs, toEpochSeconds } from '../../src/tokens/time-units.js';

describe('seconds and milliseconds meet in one place (src/tokens/time-units.ts)', () => {
  it('converts a lifetime to milliseconds, and epoch milliseconds to a whole-second NumericDate (RFC 7519 §2)', () => {
    expect(secondsToMs(90)).toBe(90_000);
    expect(toEpochSeconds(1_767_225_599_999)).toBe(1_767_225_599); // floored: a token issued at .999 is not from the next second
    expect(msToSeconds(1_500)).toBe(1.5); // exact, for comparisons with exp and for measurements
  });

  it('no other file of src/ converts between them by hand', () => {
    const walk = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
    const offenders: string[] = [];
    for (const file of walk('src')) {
      if (file === join('src', 'tokens', 'time-units.ts')) continue;
      readFileSync(file, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          const code = line.replace(/\/\/.*$/, '').replace(/^\s*\*.*$/, '');
          if (/[*/]\s*1_?000\b|\b1_?000\s*\*/.test(code)) offenders.push(`${file}:${i + 1}: ${line.trim()}`);
        });
    }
    expect(offenders).toEqual([]);
  });
});
