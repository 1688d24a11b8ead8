import { describe, expect, it } from 'vitest';
import { CLIENT_SECRET, basic, tokenRequest } from '../support/fixtures.js';
import { VERIFIER, createCodeServer, obtainCode } from '../grants/helpers.js';

const redeem = (code: string, clientId: string) =>
  tokenRequest(
    { grant_type: 'authorization_code', code, redirect_uri: 'https://app.example.test/callback', code_verifier: VERIFIER },
    { authorization: basic(clientId, CLIENT_SECRET) },
  );

describe.each(['sealed', 'opaque'] as const)('an authorization code bound to its client (%s codes)', (tokenFormat) => {
  it('refuses a code presented by another client with invalid_grant, and leaves it usable by its own (RFC 6749 §4.1.3)', async () => {
    const t = await createCodeServer({}, { tokenFormat });
    const code = await obtainCode(t);
    const foreign = await t.server.handleTokenRequest(redeem(code, 'other'));
    expect(foreign.status).toBe(400);
    expect(((await foreign.json()) as { error: string }).error).toBe('invalid_grant');
    const own = await t.server.handleTokenRequest(redeem(code, 'app'));
    expect(own.status).toBe(200);
  });

  it('still refuses the second redemption by its own client (RFC 6749 §4.1.2: single use)', async () => {
    const t = await createCodeServer({}, { tokenFormat });
    const code = await obtainCode(t);
    expect((await t.server.handleTokenRequest(redeem(code, 'app'))).status).toBe(200);
    expect((await t.server.handleTokenRequest(redeem(code, 'app'))).status).toBe(400);
  });
});
