import { describe, expect, it } from 'vitest';
import { SafeFetchError, safeFetchJson, type SafeFetchTransport } from '../../src/tokens/safe-fetch.js';
import { classifyAddress } from '../../src/tokens/special-use-address.js';

/** A transport that answers without a network and counts its calls. */
function fakeTransport(answer: SafeFetchTransport): SafeFetchTransport & { calls: number } {
  const transport = Object.assign<SafeFetchTransport, { calls: number }>((url, init) => {
    transport.calls++;
    return answer(url, init);
  }, { calls: 0 });
  return transport;
}

/** A transport answering this JSON with these headers. */
const json = (body: unknown, headers: Record<string, string> = {}): SafeFetchTransport => async () =>
  new Response(JSON.stringify(body), { headers: { 'content-type': 'application/json', ...headers } });

async function refusal(promise: Promise<unknown>): Promise<SafeFetchError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(SafeFetchError);
  return error as SafeFetchError;
}

describe('classifyAddress: the special-use addresses of RFC 6890 a server must not fetch from', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.0.1', 'private'],
    ['100.64.0.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['fd12:3456::1', 'unique-local'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['::ffff:127.0.0.1', 'ipv4-mapped'],
    ['::ffff:8.8.8.8', 'ipv4-mapped'],
    ['64:ff9b::10.0.0.1', 'private'],
    ['2002:c0a8:101::1', 'private'],
    ['192.0.2.1', 'documentation'],
    ['2001:db8::1', 'documentation'],
    ['255.255.255.255', 'reserved'],
    ['8.8.8.8', 'public'],
    ['2606:4700:4700::1111', 'public'],
    ['64:ff9b::8.8.8.8', 'public'],
    ['example.com', 'invalid'],
    ['010.0.0.1', 'invalid'],
  ])('%s is %s', (address, kind) => {
    expect(classifyAddress(address)).toBe(kind);
  });
});

describe('safeFetchJson', () => {
  it.each([
    ['http://client.example/m.json', 'must use https, not http'],
    ['https://user:pw@client.example/m.json', 'must not contain user information'],
    ['not a url', 'not an absolute URL'],
  ])('refuses %s before sending anything', async (url, message) => {
    const transport = fakeTransport(json({}));
    const error = await refusal(safeFetchJson(url, { transport }));
    expect(error.code).toBe('invalid_url');
    expect(error.message).toContain(message);
    expect(transport.calls).toBe(0);
  });

  it.each([
    ['https://10.0.0.7/m.json', 'private'],
    ['https://169.254.169.254/latest/meta-data', 'link-local'],
    ['https://[::ffff:7f00:1]/m.json', 'ipv4-mapped'],
    ['https://127.0.0.1:8443/m.json', 'loopback'],
    ['https://[fd00::1]/m.json', 'unique-local'],
  ])('refuses a host written as a special-use address (%s) before sending anything', async (url, kind) => {
    const transport = fakeTransport(json({}));
    const error = await refusal(safeFetchJson(url, { transport }));
    expect(error.code).toBe('forbidden_address');
    expect(error.message).toContain(`a ${kind} address`);
    expect(transport.calls).toBe(0);
  });

  it('lets the operator allow loopback only, or every special-use address', async () => {
    const transport = fakeTransport(json({ ok: true }));
    await expect(safeFetchJson('https://127.0.0.1/m.json', { transport, allowLoopback: true })).resolves.toMatchObject({ body: { ok: true } });
    expect((await refusal(safeFetchJson('https://10.0.0.7/m.json', { transport, allowLoopback: true }))).code).toBe('forbidden_address');
    await expect(safeFetchJson('https://10.0.0.7/m.json', { transport, allowPrivateAddresses: true })).resolves.toMatchObject({ body: { ok: true } });
  });

  it('hands the transport a check that refuses what a name resolves to', async () => {
    let checked: string | undefined;
    const transport: SafeFetchTransport = async (_url, init) => {
      try {
        init.checkAddress('192.168.1.1');
      } catch (error) {
        checked = (error as Error).message;
        throw error;
      }
      return json({})(_url, init);
    };
    const error = await refusal(safeFetchJson('https://intranet.example/m.json', { transport }));
    expect(error.code).toBe('forbidden_address');
    expect(checked).toBe('intranet.example resolves to a private address, which this server does not fetch from');
  });

  it('accepts application/json and a +json media type, and refuses others', async () => {
    await expect(safeFetchJson('https://c.example/a', { transport: json({ a: 1 }, { 'content-type': 'application/json; charset=utf-8' }) })).resolves.toMatchObject({ body: { a: 1 } });
    await expect(safeFetchJson('https://c.example/a', { transport: json({ a: 1 }, { 'content-type': 'application/oauth-client+json' }) })).resolves.toMatchObject({ body: { a: 1 } });
    expect((await refusal(safeFetchJson('https://c.example/a', { transport: json({}, { 'content-type': 'text/plain' }) }))).code).toBe('content_type');
  });

  it.each([
    [{ 'cache-control': 'public, max-age=600' }, 600],
    [{ 'cache-control': 'max-age=600', age: '100' }, 500],
    [{ 'cache-control': 'no-store, max-age=600' }, 0],
    [{ 'cache-control': 'no-cache' }, 0],
    [{ expires: 'Thu, 01 Jan 2026 01:00:00 GMT', date: 'Thu, 01 Jan 2026 00:00:00 GMT' }, 3600],
    [{ expires: 'Thu, 01 Jan 2026 00:10:00 GMT' }, 600],
    [{ expires: '0' }, 0],
    [{}, undefined],
  ])('reads the cache lifetime of %j as %s seconds (RFC 9111 §4.2.1)', async (headers, seconds) => {
    const clock = { now: () => Date.parse('2026-01-01T00:00:00Z') };
    const { maxAgeSeconds } = await safeFetchJson('https://c.example/a', { transport: json({}, headers), clock });
    expect(maxAgeSeconds).toBe(seconds);
  });
});
