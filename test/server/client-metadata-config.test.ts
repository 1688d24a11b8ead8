import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/server/config.js';

describe('ready server settings of client ID metadata documents', () => {
  it('is off by default, with no host patterns and no loopback allowance', () => {
    expect(loadConfig({}, {})).toMatchObject({
      clientMetadataDocuments: false,
      clientMetadataAllowHosts: undefined,
      clientMetadataDenyHosts: undefined,
      clientMetadataAllowLoopback: false,
    });
  });

  it('reads on|off, and host patterns from flags and the environment, lower-cased', () => {
    const config = loadConfig(
      { 'client-metadata-documents': 'on', 'client-metadata-allow-hosts': 'App.Example, *.example.com,[::1]' },
      { GRANTRY_CLIENT_METADATA_DENY_HOSTS: 'evil.example', GRANTRY_CLIENT_METADATA_ALLOW_LOOPBACK: 'true' },
    );
    expect(config).toMatchObject({
      clientMetadataDocuments: true,
      clientMetadataAllowHosts: ['app.example', '*.example.com', '[::1]'],
      clientMetadataDenyHosts: ['evil.example'],
      clientMetadataAllowLoopback: true,
    });
    expect(loadConfig({ 'client-metadata-documents': 'off' }, {}).clientMetadataDocuments).toBe(false);
  });

  it.each([
    ['https://app.example', 'is not a host pattern'],
    ['app.*.example', 'is not a host pattern'],
    [',', 'at least one host pattern is required'],
  ])('refuses the host pattern list %j, naming the flag', (value, message) => {
    expect(() => loadConfig({ 'client-metadata-allow-hosts': value }, {})).toThrow(new RegExp(`^--client-metadata-allow-hosts: .*${message}`));
  });

  it('refuses a value of --client-metadata-documents that is neither on nor off', () => {
    expect(() => loadConfig({ 'client-metadata-documents': 'maybe' }, {})).toThrow(/--client-metadata-documents: true or false \(on or off\) is required/);
  });
});
