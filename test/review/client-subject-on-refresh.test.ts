import { describe, expect, it } from 'vitest';
import { ClientCredentialsGrant } from '../../src/grants/client-credentials-grant.js';
import { CLIENT_SECRET, basic, createTestServer, tokenRequest } from '../support/fixtures.js';

const claims = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as { sub: string; client_id: string };
const APP = { authorization: basic('app', CLIENT_SECRET) };

describe('the subject of client tokens (RFC 9068 §2.2, §5)', () => {
  it('keeps client:<id> as sub when a client-credentials refresh token is refreshed, never the bare client id a user could have', async () => {
    const t = await createTestServer();
    t.server.enableGrantType(new ClientCredentialsGrant({ refreshTokens: t.storage.refreshTokens }), 'PT1H');
    const first = (await (await t.server.handleTokenRequest(tokenRequest({ grant_type: 'client_credentials' }, APP))).json()) as {
      access_token: string;
      refresh_token: string;
    };
    expect(claims(first.access_token).sub).toBe('client:app');
    const res = await t.server.handleTokenRequest(tokenRequest({ grant_type: 'refresh_token', refresh_token: first.refresh_token }, APP));
    expect(res.status).toBe(200);
    const refreshed = claims(((await res.json()) as { access_token: string }).access_token);
    expect(refreshed).toMatchObject({ sub: 'client:app', client_id: 'app' });
  });
});
