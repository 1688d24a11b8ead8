import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/server/config.js';
import { clientAddress, parseTrustProxy } from '../../src/server/trusted-proxy.js';

// The client is the right-most address of [...X-Forwarded-For, socket] that is not a trusted proxy (Express's
// `trust proxy` semantics); a client behind an appending proxy writes everything left of what the proxy appended.
describe('clientAddress', () => {
  it.each([
    // setting, socket, X-Forwarded-For, expected client
    ['false', '10.0.0.2', '6.6.6.6, 203.0.113.9', '10.0.0.2'],
    ['0', '10.0.0.2', '6.6.6.6', '10.0.0.2'],
    ['1', '10.0.0.2', '6.6.6.6, 203.0.113.9', '203.0.113.9'],
    ['true', '10.0.0.2', '6.6.6.6, 203.0.113.9', '203.0.113.9'],
    ['1', '10.0.0.2', '203.0.113.9', '203.0.113.9'],
    ['1', '10.0.0.2', undefined, '10.0.0.2'],
    ['1', '10.0.0.2', '', '10.0.0.2'],
    ['2', '10.0.0.2', '6.6.6.6, 203.0.113.9, 10.0.0.7', '203.0.113.9'],
    // Fewer entries than hops: the left-most one, as Express does.
    ['3', '10.0.0.2', '203.0.113.9, 10.0.0.7', '203.0.113.9'],
    // Several X-Forwarded-For headers read as one list.
    ['2', '10.0.0.2', ['6.6.6.6', '203.0.113.9, 10.0.0.7'], '203.0.113.9'],
    ['10.0.0.0/8', '10.0.0.2', '6.6.6.6, 203.0.113.9, 10.0.0.7', '203.0.113.9'],
    ['10.0.0.0/8', '10.0.0.2', '6.6.6.6, 10.9.9.9', '6.6.6.6'],
    // A socket peer that is not a trusted proxy is the client, whatever the header says.
    ['10.0.0.0/8', '198.51.100.4', '6.6.6.6', '198.51.100.4'],
    ['127.0.0.1', '::ffff:127.0.0.1', '6.6.6.6, 203.0.113.9', '203.0.113.9'],
    ['::1', '::1', '6.6.6.6, 2001:DB8:0:0::1', '2001:db8::1'],
    ['fd00::/8', 'fd00::1', '6.6.6.6, 2001:db8::7, fd12::3', '2001:db8::7'],
    ['loopback,uniquelocal', '127.0.0.1', '6.6.6.6, 203.0.113.9, 192.168.1.1', '203.0.113.9'],
    ['10.0.0.0/8, ::1, 127.0.0.1', '127.0.0.1', '6.6.6.6, 203.0.113.9', '203.0.113.9'],
    // A malformed entry stops the walk at the last good address.
    ['1', '10.0.0.2', '6.6.6.6, not-an-ip', '10.0.0.2'],
    ['10.0.0.0/8', '10.0.0.2', '6.6.6.6, 203.0.113.9:443, 10.0.0.7', '10.0.0.7'],
    ['10.0.0.0/8', '10.0.0.2', '6.6.6.6, , 10.0.0.7', '10.0.0.7'],
    ['2', '10.0.0.2', '6.6.6.6, fe80::1%eth0', '10.0.0.2'],
    ['1', '10.0.0.2', '6.6.6.6, 203.0.113.9\u0000', '10.0.0.2'],
  ] as const)('trust %j, socket %s, X-Forwarded-For %j: %s', (setting, socket, forwardedFor, expected) => {
    expect(clientAddress(parseTrustProxy(setting), socket, forwardedFor)).toBe(expected);
  });

  it('names an unknown socket peer "unknown"', () => {
    expect(clientAddress(parseTrustProxy('1'), undefined, '203.0.113.9')).toBe('unknown');
  });
});

describe('parseTrustProxy', () => {
  it.each([
    [false, { kind: 'none' }],
    [true, { kind: 'hops', count: 1 }],
    [2, { kind: 'hops', count: 2 }],
    [' 3 ', { kind: 'hops', count: 3 }],
    ['no', { kind: 'none' }],
  ] as const)('reads %j', (value, expected) => {
    expect(parseTrustProxy(value)).toEqual(expected);
  });

  it.each(['', 'proxy.example', '10.0.0.0/33', '::1/129', '10.0.0.0/', '10.0.0.0/-1', '10.0.0.1,', '300.1.1.1', 'fe80::1%eth0', '1.5', '-1'])('refuses %j with a TypeError', (value) => {
    expect(() => parseTrustProxy(value)).toThrow(TypeError);
  });

  it('is validated when the settings are loaded, naming the flag or variable it came from', () => {
    expect(loadConfig({ 'trust-proxy': '2', port: '0' }, {}).trustProxy).toEqual({ kind: 'hops', count: 2 });
    expect(() => loadConfig({ 'trust-proxy': '10.0.0.0/40', port: '0' }, {})).toThrow(/--trust-proxy: not a valid prefix length: "10.0.0.0\/40"/);
    expect(() => loadConfig({}, { GRANTRY_TRUST_PROXY: 'proxy.example' })).toThrow(/^GRANTRY_TRUST_PROXY: not an IP address/);
    expect(loadConfig({}, {}).trustProxy).toEqual({ kind: 'none' });
  });
});
