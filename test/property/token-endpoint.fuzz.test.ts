// Property: whatever arrives at the token endpoint, the answer is never a 5xx, always JSON with
// `Cache-Control: no-store`, an RFC error code when it is an error, no echo of the input; and the server's state is
// intact: the valid client's next refresh still succeeds.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { OAuthErrorCode } from '../../src/contracts/oauth-error.js';
import { AuthorizationCodeGrant } from '../../src/grants/authorization-code-grant.js';
import { ClientCredentialsGrant } from '../../src/grants/client-credentials-grant.js';
import { DeviceCodeGrant } from '../../src/grants/device-code-grant.js';
import { PasswordGrant } from '../../src/grants/password-grant.js';
import { basic, CLIENT_SECRET, createTestServer, ISSUER, mintTokens, refreshRequest, tokenRequest, type TestServer } from '../support/fixtures.js';

const CODES: readonly OAuthErrorCode[] = [
  'invalid_request', 'invalid_client', 'invalid_grant', 'unauthorized_client', 'unsupported_grant_type',
  'unsupported_response_type', 'invalid_scope', 'access_denied', 'temporarily_unavailable', 'invalid_token',
  'insufficient_scope', 'unsupported_token_type', 'authorization_pending', 'slow_down', 'expired_token', 'too_many_requests',
];

const PARAM_NAMES = [
  'grant_type', 'refresh_token', 'client_id', 'client_secret', 'scope', 'code', 'redirect_uri', 'code_verifier',
  'username', 'password', 'device_code', 'assertion', 'resource',
];
const GRANT_TYPES = [
  'refresh_token', 'client_credentials', 'password', 'authorization_code',
  'urn:ietf:params:oauth:grant-type:device_code', 'implicit', 'REFRESH_TOKEN', 'refresh_token ',
];

// FUZZ_RUNS=20000 for a longer hunt; FUZZ_SEED replays a failure fast-check reported.
const RUNS = Number(process.env.FUZZ_RUNS ?? 300);

/** Strings that break percent-decoding, UTF-8 and the form syntax. */
const nastyPieces = fc.constantFrom('%', '%z', '%zz', '%C3', '%C3%28', '%ED%A0%80', '%FF%FE', '%00', '%0A', '+', '&', '=', '&&', '==', '%25', '\u0000', '\uD800', '\uFFFF', '🔥');
const nasty = fc.array(fc.oneof(nastyPieces, fc.string({ maxLength: 8 })), { maxLength: 8 }).map((parts) => parts.join(''));
const huge = fc.constantFrom(16 * 1024 - 40, 16 * 1024 + 1, 40 * 1024).map((n) => 'x'.repeat(n));

/** A header value the Fetch API accepts (Latin-1, no CR/LF/NUL), else dropped. */
function headerValue(value: string): string | undefined {
  try {
    new Headers([['x', value]]);
    return value;
  } catch {
    return undefined;
  }
}

interface FuzzCase {
  method: string;
  contentType: string | undefined;
  authorization: string | undefined;
  contentLength: string | undefined;
  body: { kind: 'form'; pairs: [string, string][] } | { kind: 'text'; text: string } | { kind: 'bytes'; bytes: Uint8Array };
}

function arbitraries(tokens: { foreign: string; tampered: fc.Arbitrary<string> }): fc.Arbitrary<FuzzCase> {
  const value = fc.oneof(
    { weight: 8, arbitrary: fc.string({ maxLength: 40, unit: 'binary' }) },
    { weight: 4, arbitrary: nasty },
    { weight: 4, arbitrary: fc.constantFrom(...GRANT_TYPES) },
    { weight: 4, arbitrary: fc.constantFrom('app', 'spa', 'other', 'nobody', CLIENT_SECRET, 'read', 'read write', 'admin', 'read read', '') },
    { weight: 4, arbitrary: tokens.tampered },
    { weight: 4, arbitrary: fc.constant(tokens.foreign) },
    { weight: 1, arbitrary: huge },
  );
  const name = fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...PARAM_NAMES) }, { weight: 1, arbitrary: fc.oneof(nasty, fc.string({ unit: 'binary', maxLength: 12 })) });
  // Mostly a form that reaches a grant: a grant_type first, then arbitrary (possibly repeated) pairs.
  const pairs = fc
    .tuple(
      fc.option(fc.constantFrom(...GRANT_TYPES), { freq: 6 }),
      fc.oneof(
        { weight: 5, arbitrary: fc.uniqueArray(fc.tuple(name, value), { maxLength: 5, selector: ([n]) => n }) },
        { weight: 1, arbitrary: fc.array(fc.tuple(name, value), { maxLength: 8 }) },
      ),
    )
    .map(([grantType, rest]): [string, string][] => (grantType === null ? rest : [['grant_type', grantType], ...rest]));
  // A refresh that looks right but for one field: a tampered or foreign token, a scope, a client in the body.
  const refresh = fc
    .tuple(
      fc.oneof(tokens.tampered, fc.constant(tokens.foreign), value),
      fc.option(fc.oneof(fc.constantFrom('read', 'write', 'read write', 'admin', 'read  write', ' read', 'read\twrite'), value)),
      fc.option(fc.constantFrom('app', 'other', 'spa', 'nobody')),
    )
    .map(([token, scope, clientId]): [string, string][] => [
      ['grant_type', 'refresh_token'],
      ['refresh_token', token],
      ...(scope === null ? [] : [['scope', scope] as [string, string]]),
      ...(clientId === null ? [] : [['client_id', clientId] as [string, string]]),
    ]);
  const body = fc.oneof(
    { weight: 4, arbitrary: pairs.map((p) => ({ kind: 'form' as const, pairs: p })) },
    { weight: 4, arbitrary: refresh.map((p) => ({ kind: 'form' as const, pairs: p })) },
    { weight: 1, arbitrary: fc.oneof(nasty, fc.string({ unit: 'binary', maxLength: 200 })).map((text) => ({ kind: 'text' as const, text })) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((bytes) => ({ kind: 'bytes' as const, bytes })) },
  );
  const anyHeader = fc.string({ maxLength: 60 }).map(headerValue);
  // Properly form-url-encoded credentials, or raw ones (unencoded ':' and '%' in the id or secret).
  const basicOf = fc
    .tuple(fc.oneof(fc.constantFrom('app', 'spa', 'nobody', ''), nasty), fc.oneof(fc.constantFrom(CLIENT_SECRET, 'wrong', ''), nasty), fc.boolean())
    .map(([id, secret, encoded]) => {
      const raw = 'Basic ' + Buffer.from(`${id}:${secret}`).toString('base64');
      try {
        return encoded ? basic(id, secret) : raw;
      } catch {
        return raw; // a lone surrogate cannot be percent-encoded
      }
    });
  return fc.record({
    method: fc.oneof({ weight: 12, arbitrary: fc.constant('POST') }, { weight: 1, arbitrary: fc.constantFrom('GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS') }),
    contentType: fc.oneof(
      { weight: 8, arbitrary: fc.constantFrom('application/x-www-form-urlencoded', 'application/x-www-form-urlencoded; charset=UTF-8', 'APPLICATION/X-WWW-FORM-URLENCODED') },
      {
        weight: 2,
        arbitrary: fc.constantFrom(
          'application/x-www-form-urlencoded;charset=iso-8859-1',
          'application/json',
          'text/plain',
          'multipart/form-data; boundary=x',
          'application/x-www-form-urlencodedx',
          ' application/x-www-form-urlencoded ;',
          undefined,
        ),
      },
      { weight: 1, arbitrary: anyHeader },
    ),
    authorization: fc.oneof(
      { weight: 2, arbitrary: fc.constant(undefined) },
      { weight: 4, arbitrary: fc.constant(basic('app', CLIENT_SECRET)) },
      { weight: 3, arbitrary: basicOf },
      { weight: 1, arbitrary: fc.constantFrom('Basic', 'Basic ', 'Basic ====', 'Basic Og==', 'Basic YXBw', 'basic YXBwOg==', 'Bearer abc', 'Digest x') },
      { weight: 1, arbitrary: anyHeader },
    ),
    contentLength: fc.oneof({ weight: 6, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom('-1', 'abc', '0', '1e9', '99999999999999999999', ' 12 ') }),
    body,
  });
}

function toRequest(c: FuzzCase): Request {
  const headers = new Headers();
  if (c.contentType !== undefined) headers.set('content-type', c.contentType);
  if (c.authorization !== undefined) headers.set('authorization', c.authorization);
  if (c.contentLength !== undefined) headers.set('content-length', c.contentLength);
  let body: BodyInit | undefined;
  if (c.method !== 'GET' && c.method !== 'HEAD') {
    if (c.body.kind === 'form') {
      const form = new URLSearchParams();
      for (const [n, v] of c.body.pairs) form.append(n, v);
      body = form.toString();
    } else if (c.body.kind === 'text') body = c.body.text;
    else body = new Uint8Array(c.body.bytes);
  }
  return new Request(`${ISSUER}/token`, { method: c.method, headers, ...(body === undefined ? {} : { body }) });
}

/** The input strings long enough that seeing them in an error description would be an echo. */
function echoCandidates(c: FuzzCase): string[] {
  const all = c.body.kind === 'form' ? c.body.pairs.flat() : c.body.kind === 'text' ? [c.body.text] : [];
  const known = new Set([...PARAM_NAMES, ...GRANT_TYPES, CLIENT_SECRET]);
  return all.filter((s) => s.length >= 12 && !known.has(s) && !/^x+$/.test(s));
}

/**
 * Requests that carry the valid client's live refresh token but one flaw each: every one must fail without
 * spending the token (RFC 6749 §5.2 errors leave the grant as it was).
 */
const FLAWS = {
  'widened scope': (rt: string) => refreshRequest(rt, { scope: 'read write admin' }),
  'unknown scope': (rt: string) => refreshRequest(rt, { scope: 'read delete' }),
  'malformed scope': (rt: string) => refreshRequest(rt, { scope: 'read "write"' }),
  'another client': (rt: string) =>
    tokenRequest({ grant_type: 'refresh_token', refresh_token: rt }, { authorization: basic('other', CLIENT_SECRET) }),
  'wrong secret': (rt: string) => tokenRequest({ grant_type: 'refresh_token', refresh_token: rt }, { authorization: basic('app', 'nope') }),
  'public client': (rt: string) => tokenRequest({ grant_type: 'refresh_token', refresh_token: rt, client_id: 'spa' }),
  'repeated parameter': (rt: string) =>
    new Request(`${ISSUER}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic('app', CLIENT_SECRET) },
      body: `grant_type=refresh_token&refresh_token=${rt}&refresh_token=${rt}`,
    }),
  'JSON body': (rt: string) =>
    new Request(`${ISSUER}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: basic('app', CLIENT_SECRET) },
      body: JSON.stringify({ grant_type: 'refresh_token', refresh_token: rt }),
    }),
  'client_id mismatch': (rt: string) => refreshRequest(rt, { client_id: 'other' }),
} satisfies Record<string, (rt: string) => Request>;

describe('token endpoint under arbitrary input (property-based)', () => {
  let t: TestServer;
  let sentinel: string;
  let foreign: string;

  beforeAll(async () => {
    t = await createTestServer();
    t.server
      .enableGrantType(new ClientCredentialsGrant(), 'PT1H')
      .enableGrantType(new PasswordGrant(t.storage.users), 'PT1H')
      .enableGrantType(new AuthorizationCodeGrant(t.storage.authCodes), 'PT1H')
      .enableGrantType(new DeviceCodeGrant(t.storage.deviceCodes), 'PT1H');
    sentinel = (await mintTokens(t)).refresh_token!;
    // A token of another family: the fuzzer may use it, rotate it, even trigger its reuse detection.
    foreign = (await mintTokens(t)).refresh_token!;
  });

  it('never answers 5xx, always JSON no-store with an RFC error code, and the valid client can still refresh', async () => {
    // Tampered copies of the sentinel: a changed, inserted or dropped character away from the end (where base64url
    // padding bits could make two spellings decode alike), or a truncation. Never the sentinel itself.
    const tampered = fc
      .tuple(fc.nat(), fc.constantFrom('change', 'insert', 'drop', 'truncate'), fc.constantFrom('A', 'b', '.', '-', '_', '%'))
      .map(([n, op, ch]) => {
        const i = n % Math.max(1, sentinel.length - 4);
        const c = sentinel[i] === ch ? (ch === 'A' ? 'B' : 'A') : ch;
        if (op === 'change') return sentinel.slice(0, i) + c + sentinel.slice(i + 1);
        if (op === 'insert') return sentinel.slice(0, i) + c + sentinel.slice(i);
        if (op === 'drop') return sentinel.slice(0, i) + sentinel.slice(i + 1);
        return sentinel.slice(0, i);
      });

    await fc.assert(
      fc.asyncProperty(arbitraries({ foreign, tampered }), fc.option(fc.constantFrom(...(Object.keys(FLAWS) as (keyof typeof FLAWS)[])), { freq: 6 }), async (c, flaw) => {
        const res = await t.server.handleTokenRequest(flaw === null ? toRequest(c) : FLAWS[flaw](sentinel));
        if (flaw !== null) expect(res.status, flaw).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
        expect(res.headers.get('content-type')).toMatch(/^application\/json/);
        expect(res.headers.get('cache-control')).toBe('no-store');
        const body = (await res.json()) as Record<string, unknown>;
        if (res.status >= 400) {
          expect(CODES).toContain(body.error);
          if (body.error_description !== undefined) {
            expect(typeof body.error_description).toBe('string');
            for (const echoed of echoCandidates(c)) expect(body.error_description).not.toContain(echoed);
          }
        } else {
          expect(res.status).toBe(200);
          expect(typeof body.access_token).toBe('string');
        }

        // State intact: the sentinel refreshes, and its successor becomes the next sentinel.
        const next = await t.server.handleTokenRequest(refreshRequest(sentinel));
        const nextBody = (await next.json()) as { refresh_token?: string };
        expect(next.status, JSON.stringify(nextBody)).toBe(200);
        sentinel = nextBody.refresh_token!;
      }),
      { numRuns: RUNS, seed: Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31) },
    );
  }, Math.max(30_000, RUNS * 20));
});
