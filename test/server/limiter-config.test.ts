import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/server/config.js';

describe('brute-force limiter settings', () => {
  it('defaults let the owner in: 10 guesses per source and credential in 5 minutes, 100 per source, no lockout', () => {
    expect(loadConfig({}, {})).toMatchObject({
      rateLimitMax: 10,
      rateLimitWindow: 300,
      rateLimitSourceMax: 100,
      slowdownAfter: 5,
      slowdownMs: 100,
      slowdownMaxMs: 1000,
      lockoutThreshold: 0,
      lockoutSeconds: 900,
    });
  });

  it('reads every limiter setting from flags, GRANTRY_* variables and the config file', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'grantry-limiter-')), 'grantry.json');
    writeFileSync(file, JSON.stringify({ 'rate-limit-source-max': 40, 'lockout-threshold': 30, 'lockout-seconds': 'PT30M', 'slowdown-after': 2 }));
    expect(loadConfig({ config: file }, {})).toMatchObject({ rateLimitSourceMax: 40, lockoutThreshold: 30, lockoutSeconds: 1800, slowdownAfter: 2 });
    const env = { GRANTRY_RATE_LIMIT_MAX: '4', GRANTRY_RATE_LIMIT_WINDOW: 'PT1M', GRANTRY_SLOWDOWN_MS: '0', GRANTRY_SLOWDOWN_MAX_MS: '2000', GRANTRY_LOCKOUT_THRESHOLD: '50' };
    expect(loadConfig({ config: file }, env)).toMatchObject({ rateLimitMax: 4, rateLimitWindow: 60, slowdownMs: 0, slowdownMaxMs: 2000, lockoutThreshold: 50 });
    expect(loadConfig({ config: file, 'lockout-threshold': '0' }, env).lockoutThreshold).toBe(0);
  });

  it.each([
    [{ 'rate-limit-max': '0' }, /--rate-limit-max/],
    [{ 'rate-limit-source-max': '0' }, /--rate-limit-source-max/],
    [{ 'rate-limit-window': '0' }, /--rate-limit-window/],
    [{ 'lockout-seconds': '0' }, /--lockout-seconds/],
    [{ 'lockout-threshold': '-1' }, /--lockout-threshold/],
    [{ 'slowdown-ms': 'fast' }, /--slowdown-ms/],
  ])('refuses %j with a TypeError naming the setting', (flags, message) => {
    expect(() => loadConfig(flags, {})).toThrow(message);
  });
});
