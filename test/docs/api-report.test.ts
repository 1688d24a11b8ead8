import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { API_REPORT_PATH, API_UPDATE_COMMAND, buildApiReport, diffExcerpt, entryPoints, repositoryRoot } from '../../scripts/api-report.js';

// The public surface is a list (STYLE.md, jose's export discipline): every entry point names its exports, and
// api/grantry.api.md records each one with its signature. A change to the surface must come with the report's
// change, so that it is reviewed as one.

/** Module-level helpers that once leaked through `export *`: none of them is public API, on any entry point. */
const INTERNALS = [
  'encodeBase64url',
  'decodeBase64url',
  'decodeBase64urlText',
  'utf8',
  'TokenSealer',
  'TokenCodec',
  'sweepMap',
  'quoteIdent',
  'withRotatedKeys',
  'serveNodeRequest',
  'toFetchRequest',
  'writeFetchResponse',
  'callHandler',
  'resolveAdapterOptions',
];

describe('API report', () => {
  it('matches the checked-in report (run `npm run api:update` after a deliberate change)', () => {
    const current = buildApiReport();
    let checkedIn = '';
    try {
      checkedIn = readFileSync(resolve(repositoryRoot, API_REPORT_PATH), 'utf8');
    } catch {
      // missing: reported as a difference below
    }
    const message =
      `${API_REPORT_PATH} does not match the public API of the code. If the change is deliberate, run ` +
      `\`${API_UPDATE_COMMAND}\` and commit the report with it.\n${diffExcerpt(checkedIn, current)}\n`;
    expect(current === checkedIn, message).toBe(true);
    // About 7 s of CPU (a TypeScript program over the sources); the margin is for a machine shared with others.
  }, 120_000);

  it('shows where two reports differ, with the lines on each side', () => {
    const before = ['# r', '## grantry', '```ts', 'function a(): void;', 'function b(): void;', '```', ''].join('\n');
    const after = before.replace('function b(): void;', 'function b(x: string): void;');
    const excerpt = diffExcerpt(before, after);
    expect(excerpt).toContain('@@ line 5 @@');
    expect(excerpt).toContain('- function b(): void;');
    expect(excerpt).toContain('+ function b(x: string): void;');
    expect(excerpt).not.toContain('- function a');
    expect(diffExcerpt('a\nb\nc', 'a\nx\ny\nz\nc', 2)).toContain('… 2 more changed lines');
  });

  it('lists every entry point of package.json, each with its exports named one by one', () => {
    const entries = entryPoints();
    expect([...entries.keys()]).toEqual(expect.arrayContaining(['.', './advanced', './server', './storage/memory', './http/node']));
    for (const file of entries.values()) {
      expect(readFileSync(file, 'utf8'), `${file} re-exports a whole module`).not.toMatch(/^export \*/m);
    }
  });

  it.each([...entryPoints().keys()])('keeps internals off grantry%s', async (subpath) => {
    const specifier = `grantry${subpath === '.' ? '' : subpath.slice(1)}`;
    const exported = Object.keys((await import(specifier)) as Record<string, unknown>);
    expect(exported.length).toBeGreaterThan(0);
    expect(exported.filter((name) => INTERNALS.includes(name))).toEqual([]);
  });

  it('keeps the documented API on the root and the building blocks on grantry/advanced', async () => {
    const root = (await import('grantry')) as Record<string, unknown>;
    const advanced = (await import('grantry/advanced')) as Record<string, unknown>;
    for (const name of ['AuthorizationServer', 'OAuthError', 'RefreshTokenGrant', 'ResourceServer', 'requireScopes', 'toOAuthError']) {
      expect(typeof root[name], name).toBe('function');
    }
    for (const name of ['readForm', 'readClientCredentials', 'authenticateClient', 'signJwt', 'loadCryptoBackend']) {
      expect(root[name], `${name} on the root`).toBeUndefined();
      expect(typeof advanced[name], name).toBe('function');
    }
  });
});
