import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { helpText } from '../../src/cli/help.js';
import { loadConfig, SERVER_OPTIONS } from '../../src/server/config.js';

describe('loadConfig', () => {
  it('defaults to 127.0.0.1:8080, ./data with SQLite in it, and no password or implicit grant', () => {
    const config = loadConfig({}, {});
    expect(config).toMatchObject({ host: '127.0.0.1', port: 8080, dataDir: resolve('data'), database: resolve('data/grantry.db'), accessTokenTtl: 3600 });
    expect(config.grants).toEqual(['authorization_code', 'client_credentials', 'refresh_token', 'device_code']);
  });

  it('takes flags over GRANTRY_* and PORT/DATABASE_URL, and those over the config file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'grantry-config-'));
    const file = join(dir, 'grantry.json');
    writeFileSync(file, JSON.stringify({ port: 7000, 'access-token-ttl': 'PT5M', grants: ['client_credentials', 'password'], host: '0.0.0.0' }));
    const fromFile = loadConfig({ config: file }, {});
    expect(fromFile).toMatchObject({ port: 7000, accessTokenTtl: 300, grants: ['client_credentials', 'password'], host: '0.0.0.0' });
    const fromEnv = loadConfig({ config: file }, { PORT: '7100', DATABASE_URL: 'postgres://db/x', GRANTRY_ACCESS_TOKEN_TTL: '60' });
    expect(fromEnv).toMatchObject({ port: 7100, database: 'postgres://db/x', accessTokenTtl: 60 });
    expect(loadConfig({ config: file, port: '7200' }, { PORT: '7100', GRANTRY_PORT: '7150' }).port).toBe(7200);
    expect(loadConfig({}, { PORT: '7100', GRANTRY_PORT: '7150' }).port).toBe(7150);
  });

  it('reads TTLs as ISO 8601 durations or seconds', () => {
    const config = loadConfig({ 'access-token-ttl': 'PT15M', 'refresh-token-ttl': 'P14D', 'auth-code-ttl': '120', 'device-code-ttl': 'PT5M' }, {});
    expect(config).toMatchObject({ accessTokenTtl: 900, refreshTokenTtl: 14 * 86400, authCodeTtl: 120, deviceCodeTtl: 300 });
  });

  it.each([
    [{ port: 'eighty' }, /--port/],
    [{ port: '70000' }, /--port/],
    [{ grants: 'client_credentials,magic' }, /unknown grant magic/],
    [{ 'access-token-ttl': '1 hour' }, /--access-token-ttl/],
    [{ issuer: 'ftp://x' }, /--issuer/],
    [{ issuer: 'https://auth.example/' }, /--issuer/],
    [{ issuer: 'https://auth.example/tenant' }, /--issuer/],
    [{ 'request-log': 'maybe' }, /--request-log/],
    [{ config: '/nonexistent/grantry.json' }, /cannot read the config file/],
  ])('refuses bad configuration %j with a TypeError naming the setting', (flags, message) => {
    expect(() => loadConfig(flags, {})).toThrow(TypeError);
    expect(() => loadConfig(flags, {})).toThrow(message);
  });

  it('cleans up every 5 minutes and drains for at most 10 s by default; the timeout must be longer than the delay', () => {
    expect(loadConfig({}, {})).toMatchObject({ cleanupInterval: 300, shutdownDelay: 0, shutdownTimeout: 10 });
    expect(loadConfig({ 'cleanup-interval': 'PT30S', 'shutdown-delay': '5' }, { GRANTRY_SHUTDOWN_TIMEOUT: '30' })).toMatchObject({
      cleanupInterval: 30,
      shutdownDelay: 5,
      shutdownTimeout: 30,
    });
    expect(() => loadConfig({ 'shutdown-delay': '10', 'shutdown-timeout': '10' }, {})).toThrow(/--shutdown-timeout must be longer than --shutdown-delay/);
    expect(() => loadConfig({ 'cleanup-interval': '0' }, {})).toThrow(TypeError);
  });

  it('documents every flag and environment variable in --help', () => {
    const help = helpText();
    for (const option of SERVER_OPTIONS) {
      expect(help).toContain(`--${option.flag}`);
      for (const env of option.env) expect(help).toContain(env);
    }
    for (const command of ['serve', 'clients create', 'clients list', 'clients show', 'clients delete', 'users create', 'users delete', 'scopes add', 'scopes list', 'keys list', 'keys rotate', 'migrate', 'cleanup', '--json']) {
      expect(help).toContain(command);
    }
  });
});
