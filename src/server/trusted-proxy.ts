import { BlockList, isIPv4, isIPv6 } from 'node:net';

/**
 * Which hops in front of the server are trusted proxies, as `--trust-proxy` sets it (the semantics of Express's
 * `trust proxy`, without its unsafe "trust everything"):
 * - `none`: `X-Forwarded-For` is ignored, the client is the socket's peer;
 * - `hops`: the `count` nearest hops are proxies (the socket's peer is the first);
 * - `addresses`: every hop whose address is in `ranges` is a proxy.
 *
 * @example
 * ```ts
 * const trust: TrustProxy = parseTrustProxy('10.0.0.0/8,::1');
 * trust.kind; // 'addresses'
 * ```
 */
export type TrustProxy =
  | { readonly kind: 'none' }
  | { readonly kind: 'hops'; readonly count: number }
  | { readonly kind: 'addresses'; readonly ranges: BlockList; readonly text: string };

/** Express's named ranges, so that `loopback,uniquelocal` means the same in both. */
const NAMED_RANGES: Readonly<Record<string, readonly string[]>> = {
  loopback: ['127.0.0.1/8', '::1/128'],
  linklocal: ['169.254.0.0/16', 'fe80::/10'],
  uniquelocal: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
};

/**
 * Reads a `--trust-proxy` value. `false` (or `0`) trusts no proxy. A whole number `n` trusts the `n` nearest hops.
 * Anything else is a comma-separated list of addresses, CIDR ranges (`10.0.0.0/8`, `fd00::/8`) and the names
 * `loopback`, `linklocal`, `uniquelocal`. `true` means one hop (one reverse proxy in front of the server), not
 * Express's "trust every hop", which would let a client choose its own address. Throws a `TypeError` naming the
 * bad entry.
 *
 * @example
 * ```ts
 * parseTrustProxy('1');                    // { kind: 'hops', count: 1 }
 * parseTrustProxy('10.0.0.0/8,127.0.0.1'); // { kind: 'addresses', ... }
 * parseTrustProxy(false);                  // { kind: 'none' }
 * ```
 */
export function parseTrustProxy(value: string | number | boolean): TrustProxy {
  const text = String(value).trim().toLowerCase();
  if (text === 'false' || text === 'no' || text === '0') return { kind: 'none' };
  if (text === 'true' || text === 'yes') return { kind: 'hops', count: 1 };
  if (/^\d+$/.test(text)) {
    const count = Number(text);
    if (!Number.isSafeInteger(count)) throw new TypeError(`the hop count is too large: ${text}`);
    return { kind: 'hops', count };
  }
  const ranges = new BlockList();
  const entries = text.split(',').map((entry) => entry.trim());
  for (const entry of entries) {
    for (const item of NAMED_RANGES[entry] ?? [entry]) addRange(ranges, item, entry);
  }
  return { kind: 'addresses', ranges, text: entries.join(',') };
}

function addRange(ranges: BlockList, item: string, entry: string): void {
  const bad = (why: string) => new TypeError(`${why}: ${JSON.stringify(entry)} (expected a hop count, or addresses and CIDR ranges such as 10.0.0.0/8,::1)`);
  if (item === '') throw bad('an empty entry');
  const slash = item.indexOf('/');
  const address = slash < 0 ? item : item.slice(0, slash);
  const family = isIPv4(address) ? 'ipv4' : isIPv6(address) && !address.includes('%') ? 'ipv6' : undefined;
  if (!family) throw bad('not an IP address');
  if (slash < 0) {
    // One form per address, as clientAddress gives it (an IPv4-mapped IPv6 address is its IPv4 address).
    const canonical = normalizeAddress(address)!;
    ranges.addAddress(canonical, isIPv4(canonical) ? 'ipv4' : 'ipv6');
    return;
  }
  const prefixText = item.slice(slash + 1);
  const prefix = /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
  if (!(prefix >= 0 && prefix <= (family === 'ipv4' ? 32 : 128))) throw bad('not a valid prefix length');
  ranges.addSubnet(address, prefix, family);
}

/**
 * The client's address: the right-most address of `[...X-Forwarded-For, socket address]` that is not a trusted
 * proxy. A client behind an appending proxy can write the left of `X-Forwarded-For` itself, so only what trusted
 * hops wrote counts. The walk stops at the first entry that is not an IP address and keeps the last good one.
 * Addresses come back normalized (IPv4-mapped IPv6 as IPv4, IPv6 in its short form), so one client has one name.
 *
 * @example
 * ```ts
 * clientAddress(parseTrustProxy('1'), '10.0.0.2', '6.6.6.6, 203.0.113.9'); // '203.0.113.9'
 * clientAddress(parseTrustProxy('false'), '10.0.0.2', '6.6.6.6');          // '10.0.0.2'
 * ```
 */
export function clientAddress(trust: TrustProxy, socketAddress: string | undefined, forwardedFor: string | readonly string[] | undefined): string {
  const socket = normalizeAddress(socketAddress ?? '');
  if (socket === undefined) return socketAddress || 'unknown';
  if (trust.kind === 'none') return socket;
  const header = typeof forwardedFor === 'string' ? forwardedFor : (forwardedFor ?? []).join(',');
  // Nearest hop first: the socket's peer, then X-Forwarded-For from right to left.
  const hops = header.split(',').map((entry) => entry.trim()).reverse();
  let client = socket;
  for (let hop = 0; hop < hops.length; hop++) {
    if (!isTrusted(trust, client, hop)) break;
    const next = normalizeAddress(hops[hop]!);
    if (next === undefined) break;
    client = next;
  }
  return client;
}

function isTrusted(trust: TrustProxy, address: string, hop: number): boolean {
  if (trust.kind === 'hops') return hop < trust.count;
  if (trust.kind === 'none') return false;
  return trust.ranges.check(address, isIPv4(address) ? 'ipv4' : 'ipv6');
}

/** An IP address in one canonical form, or `undefined` when the text is not one. */
function normalizeAddress(text: string): string | undefined {
  if (isIPv4(text)) return text;
  if (!isIPv6(text) || text.includes('%')) return undefined;
  const short = new URL(`http://[${text}]/`).hostname.slice(1, -1);
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(short);
  if (!mapped) return short;
  const high = parseInt(mapped[1]!, 16);
  const low = parseInt(mapped[2]!, 16);
  return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
}
