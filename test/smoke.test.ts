import { describe, expect, it } from 'vitest';
import { createTestServer, mintTokens, refreshRequest } from './support/fixtures.js';

describe('smoke', () => {
  it('refreshes a token', async () => {
    const t = await createTestServer();
    const minted = await mintTokens(t);
    const res = await t.server.handleTokenRequest(refreshRequest(minted.refresh_token!));
    const body = await res.json();
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body.token_type).toBe('Bearer');
    expect(body.refresh_token).not.toBe(minted.refresh_token);
  });
});
