import { describe, expect, it } from 'vitest';
import { CLIENT_SECRET, basic, tokenRequest } from '../support/fixtures.js';
import { VERIFIER, authorizeError, codeParams, createCodeServer, obtainCode } from '../grants/helpers.js';

/**
 * RFC 6749 §4.1.2.1 and §5.2: "Values for the "error_description" parameter MUST NOT include characters outside the
 * set %x20-21 / %x23-5B / %x5D-7E." No non-ASCII (such as a section sign), no double quote, no backslash.
 */
const ALLOWED = /^[\x20-\x21\x23-\x5B\x5D-\x7E]*$/;

describe('error_description stays within the RFC 6749 character set (RFC 6749 §4.1.2.1, §5.2)', () => {
  it.each([
    ['a missing code_challenge', { code_challenge: '', code_challenge_method: '' }],
    ['an unsupported code_challenge_method', { code_challenge_method: 'plain' }],
    ['a malformed code_challenge', { code_challenge: 'short' }],
  ])('in the redirect for %s', async (_, extra) => {
    const t = await createCodeServer();
    const { response } = await authorizeError(t, codeParams(extra));
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get('location')!);
    expect(location.searchParams.get('error')).toBe('invalid_request');
    expect(location.searchParams.get('error_description')).toMatch(ALLOWED);
  });

  it.each([
    ['a malformed code_verifier', { code_verifier: 'x'.repeat(42) }],
    ['a wrong code_verifier', { code_verifier: 'a'.repeat(43) }],
    ['a mismatching redirect_uri', { redirect_uri: 'https://app.example.test/other' }],
  ])('in the token response for %s', async (_, extra) => {
    const t = await createCodeServer();
    const code = await obtainCode(t);
    const res = await t.server.handleTokenRequest(
      tokenRequest(
        { grant_type: 'authorization_code', code, redirect_uri: 'https://app.example.test/callback', code_verifier: VERIFIER, ...extra },
        { authorization: basic('app', CLIENT_SECRET) },
      ),
    );
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error_description: string }).error_description).toMatch(ALLOWED);
  });
});
