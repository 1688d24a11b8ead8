import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// One spelling per concept in TypeScript identifiers (wire names stay snake_case, RFC parameter names).
const RULES: readonly { readonly pattern: RegExp; readonly why: string }[] = [
  { pattern: /\b[a-z][A-Za-z]*Ttl\b|\b[a-z][A-Za-z]*Ttl[A-Z]/, why: 'TTL in a camelCase name is spelt TTL (accessTokenTTL)' },
  { pattern: /\b[a-z][A-Za-z]*URI(?!Component)[A-Za-z]*\b|\b[a-z][A-Za-z]*URL(?!SearchParams)[a-z][A-Za-z]*\b/, why: 'URI and URL inside a camelCase name are spelt Uri and Url (redirectUri, logoUrl)' },
  { pattern: /\babsoluteLifetime\b|\bABSOLUTE_LIFETIME\b/, why: "a refresh family's absolute limit is refreshTokenAbsoluteTTL (absoluteTTL beside ttl)" },
  { pattern: /'urn:ietf:params:oauth:grant-type:device_code'/, why: 'the device-code grant type is DEVICE_CODE_GRANT_TYPE (contracts/types.ts)' },
];
// The type union that lists the wire values, and the constant itself.
const ALLOWED = new Set([
  `${join('src', 'contracts', 'types.ts')}: | 'urn:ietf:params:oauth:grant-type:device_code'`,
  `${join('src', 'contracts', 'types.ts')}: export const DEVICE_CODE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:device_code';`,
]);

describe('one spelling for each name in src/', () => {
  it('keeps to the spelling rules', () => {
    const walk = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
    const offenders: string[] = [];
    for (const file of walk('src')) {
      readFileSync(file, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          if (/^\s*(\/\/|\*)/.test(line) || ALLOWED.has(`${file}: ${line.trim()}`)) return;
          for (const rule of RULES) if (rule.pattern.test(line)) offenders.push(`${file}:${i + 1}: ${rule.why}: ${line.trim()}`);
        });
    }
    expect(offenders).toEqual([]);
  });
});
