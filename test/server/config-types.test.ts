import { describe, expect, expectTypeOf, it } from 'vitest';
import { loadConfig, SERVER_OPTIONS, type OptionSpec, type ServerConfig, type SettingsOf } from '../../src/server/config.js';
import type { GrantName } from '../../src/server/config.js';
import type { TrustProxy } from '../../src/server/trusted-proxy.js';

// These checks are made by the compiler (`npx tsc --noEmit` covers test/): each `@ts-expect-error` fails the type
// check if the line under it compiles, so a table row, a config key or a value type that drifts breaks the build.
describe('the ready server configuration is typed from its rows', () => {
  it('reads each row into the value type of its row type', () => {
    type Settings = SettingsOf<typeof SERVER_OPTIONS>;
    expectTypeOf<Settings['port']>().toEqualTypeOf<number>();
    expectTypeOf<Settings['accessTokenTTL']>().toEqualTypeOf<number>();
    expectTypeOf<Settings['requestLog']>().toEqualTypeOf<boolean>();
    expectTypeOf<Settings['grants']>().toEqualTypeOf<readonly GrantName[]>();
    expectTypeOf<Settings['trustProxy']>().toEqualTypeOf<TrustProxy>();
    // A row without a default may be unset.
    expectTypeOf<Settings['issuer']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<Settings['metricsPort']>().toEqualTypeOf<number | undefined>();
    // The table and the loaded configuration agree at run time too.
    const config = loadConfig({ port: '0', 'request-log': 'false' }, {});
    expect(config.port).toBe(0);
    expect(config.requestLog).toBe(false);
  });

  it('refuses a row whose key is not a setting of ServerConfig', () => {
    const rows = [
      { key: 'port', flag: 'port', env: ['GRANTRY_PORT'], type: 'number', default: '8080', help: 'TCP port' },
      // @ts-expect-error a misspelt key (ServerConfig has accessTokenTTL) is not a setting
      { key: 'accessTokenTtl', flag: 'access-token-ttl', env: [], type: 'duration', default: 'PT1H', help: 'lifetime' },
    ] as const satisfies readonly OptionSpec[];
    expect(rows).toHaveLength(2);
  });

  it('refuses a row of an unknown type', () => {
    const rows = [
      // @ts-expect-error 'seconds' is not a row type (a lifetime is a 'duration')
      { key: 'sessionTTL', flag: 'session-ttl', env: [], type: 'seconds', default: 'PT1H', help: 'lifetime' },
    ] as const satisfies readonly OptionSpec[];
    expect(rows).toHaveLength(1);
  });

  it('makes a row of the wrong type, or without the default a setting needs, disagree with ServerConfig', () => {
    const wrongType = [{ key: 'port', flag: 'port', env: [], type: 'string', default: '8080', help: 'TCP port' }] as const satisfies readonly OptionSpec[];
    expectTypeOf<SettingsOf<typeof wrongType>['port']>().not.toExtend<ServerConfig['port']>();
    const noDefault = [{ key: 'host', flag: 'host', env: [], type: 'string', default: undefined, help: 'interface' }] as const satisfies readonly OptionSpec[];
    expectTypeOf<SettingsOf<typeof noDefault>['host']>().not.toExtend<ServerConfig['host']>();
    expect([wrongType[0].type, noDefault[0].default]).toEqual(['string', undefined]);
  });

  it('refuses a misspelt setting or a value of the wrong type on the loaded configuration', () => {
    const config = loadConfig({}, {});
    // @ts-expect-error the setting is accessTokenTTL (one spelling: TTL)
    expect(config.accessTokenTtl).toBeUndefined();
    // @ts-expect-error a port is a number
    const port: string = config.port;
    expect(port).toBe(8080);
    // @ts-expect-error ServerConfig is read-only
    config.port = 1;
  });
});
