import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { helpText } from '../../src/cli/help.js';
import { loadConfig, SERVER_OPTIONS } from '../../src/server/config.js';

describe('loadConfig', () => {
  it('defaults to 127.0.0.1:8080, ./data with SQLite in it, and no password or implicit grant', () => {
    const config = loadConfig({}, {});
    expect(config).toMatchObject({ host: '127.0.0.1', port: 8080, dataDir: resolve('data'), database: resolve('data/grantry.db'), accessTokenTTL: 3600 });
    expect(config.grants).toEqual(['authorization_code', 'client_credentials', 'refresh_token', 'device_code']);
  });

  it('takes flags over GRANTRY_* and PORT/DATABASE_URL, and those over the config file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'grantry-config-'));
    const file = join(dir, 'grantry.json');
    writeFileSync(file, JSON.stringify({ port: 7000, 'access-token-ttl': 'PT5M', grants: ['client_credentials', 'password'], host: '0.0.0.0' }));
    const fromFile = loadConfig({ config: file }, {});
    expect(fromFile).toMatchObject({ port: 7000, accessTokenTTL: 300, grants: ['client_credentials', 'password'], host: '0.0.0.0' });
    const fromEnv = loadConfig({ config: file }, { PORT: '7100', DATABASE_URL: 'postgres://db/x', GRANTRY_ACCESS_TOKEN_TTL: '60' });
    expect(fromEnv).toMatchObject({ port: 7100, database: 'postgres://db/x', accessTokenTTL: 60 });
    expect(loadConfig({ config: file, port: '7200' }, { PORT: '7100', GRANTRY_PORT: '7150' }).port).toBe(7200);
    expect(loadConfig({}, { PORT: '7100', GRANTRY_PORT: '7150' }).port).toBe(7150);
  });

  it('keeps dynamic client registration off by default; takes open or token, and the registration scopes as a list', () => {
    expect(loadConfig({}, {})).toMatchObject({ registration: 'off', registrationScopes: undefined });
    expect(loadConfig({ registration: 'open', 'registration-scopes': 'read, mcp:tools read' }, {})).toMatchObject({ registration: 'open', registrationScopes: ['read', 'mcp:tools'] });
    expect(loadConfig({}, { GRANTRY_REGISTRATION: 'token' }).registration).toBe('token');
    expect(() => loadConfig({ registration: 'yes' }, {})).toThrow(/--registration must be off, open or token/);
  });

  it('reads TTLs as ISO 8601 durations or seconds', () => {
    const config = loadConfig({ 'access-token-ttl': 'PT15M', 'refresh-token-ttl': 'P14D', 'auth-code-ttl': '120', 'device-code-ttl': 'PT5M' }, {});
    expect(config).toMatchObject({ accessTokenTTL: 900, refreshTokenTTL: 14 * 86400, authCodeTTL: 120, deviceCodeTTL: 300 });
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
    [{ config: '/nonexistent/grantry.json' }, /cannot read the config file \/nonexistent\/grantry\.json: no such file/],
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

  describe('names the source of a mistake', () => {
    const dir = mkdtempSync(join(tmpdir(), 'grantry-config-src-'));
    const write = (name: string, text: string) => {
      const file = join(dir, name);
      writeFileSync(file, text);
      return file;
    };

    it('refuses an unknown config file key, naming it, the file and the closest known key', () => {
      const file = write('typo.json', JSON.stringify({ prot: 18104 }));
      expect(() => loadConfig({ config: file }, {})).toThrow(new TypeError(`the config file ${file} has an unknown key "prot"; did you mean "port"? (keys are the flag names of grantry serve --help)`));
      const far = write('far.json', JSON.stringify({ colour: 'blue' }));
      expect(() => loadConfig({ config: far }, {})).toThrow(`the config file ${far} has an unknown key "colour" (keys`);
    });

    it('accepts the camelCase setting names too', () => {
      const file = write('camel.json', JSON.stringify({ accessTokenTTL: 'PT2M', 'refresh-token-ttl': 'P1D' }));
      expect(loadConfig({ config: file }, {})).toMatchObject({ accessTokenTTL: 120, refreshTokenTTL: 86400 });
    });

    it.each([
      ['a missing comma', '{"port": 1\n "host": "x"}', /^the config file .*bad1\.json is not valid JSON: .* at line 2, column 2$/],
      ['a trailing comma', '{\n  "port": 1,\n}', /^the config file .*bad2\.json is not valid JSON: .* at line 3, column 1$/],
      ['a cut-off file', '{"port": ', /^the config file .*bad3\.json is not valid JSON: .* at line 1, column 10$/],
    ])('reports a JSON syntax error (%s) as such, with its line and column', (_what, text, message) => {
      const file = write(`bad${['a missing comma', 'a trailing comma', 'a cut-off file'].indexOf(_what) + 1}.json`, text);
      expect(() => loadConfig({ config: file }, {})).toThrow(message);
    });

    it('refuses a config file that is JSON but not an object', () => {
      const file = write('array.json', '[1, 2]');
      expect(() => loadConfig({ config: file }, {})).toThrow(`the config file ${file} must hold a JSON object ({"port": 8080, ...}), not an array`);
    });

    it('reports a bad value under the name it was given by: variable, flag or config file key', () => {
      expect(() => loadConfig({}, { GRANTRY_ACCESS_TOKEN_TTL: 'an hour' })).toThrow(
        new TypeError('GRANTRY_ACCESS_TOKEN_TTL: an ISO 8601 duration such as PT1H, or seconds, is required (got "an hour")'),
      );
      expect(() => loadConfig({ 'access-token-ttl': 'an hour' }, {})).toThrow(/^--access-token-ttl: /);
      expect(() => loadConfig({}, { PORT: '99999' })).toThrow(new TypeError('PORT must be 0..65535, got 99999'));
      const file = write('values.json', JSON.stringify({ 'rate-limit-max': 0, grants: ['client_credentials', 'magic'] }));
      expect(() => loadConfig({ config: file, grants: 'client_credentials' }, {})).toThrow(new TypeError(`config file ${file}: "rate-limit-max" must be at least 1`));
      expect(() => loadConfig({ config: file, 'rate-limit-max': '3' }, {})).toThrow(`config file ${file}: "grants": unknown grant magic`);
      expect(() => loadConfig({}, { GRANTRY_SHUTDOWN_DELAY: '20' })).toThrow('--shutdown-timeout must be longer than GRANTRY_SHUTDOWN_DELAY');
    });
  });
});
