import { describe, expect, it } from 'vitest';
import { toSeconds } from '../../src/contracts/duration.js';
import { OAuthError } from '../../src/contracts/oauth-error.js';

describe('durations', () => {
  it.each([
    ['PT1H', 3600],
    ['P1M', 30 * 86400],
    ['P1DT2M3S', 86400 + 123],
    ['P2W', 14 * 86400],
    [90, 90],
    ['600', 600],
  ])('reads %j as %i seconds', (input, seconds) => {
    expect(toSeconds(input)).toBe(seconds);
  });

  it.each([['1h'], ['P'], ['PT'], [''], [-5], [0], ['PT0S'], [Number.NaN]])('refuses %j with a TypeError', (input) => {
    expect(() => toSeconds(input)).toThrow(TypeError);
  });
});

describe('OAuthError', () => {
  it('turns into a JSON response with the RFC status and no-store headers', async () => {
    const res = OAuthError.invalidGrant().toResponse();
    expect(res.status).toBe(400);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect((await res.json()).error).toBe('invalid_grant');
  });

  it('keeps the cause of a server_error out of the response', async () => {
    const res = OAuthError.serverError(new Error('password=hunter2')).toResponse();
    expect(res.status).toBe(500);
    expect(await res.text()).not.toContain('hunter2');
  });

  it('answers too_many_requests with 429 and Retry-After', () => {
    const res = OAuthError.tooManyRequests(2.2).toResponse();
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('3');
  });
});
