/**
 * What kind of IP address a server should refuse to fetch from on a client's behalf (RFC 6890, the IANA IPv4 and
 * IPv6 Special-Purpose Address Registries), or `public`. `invalid` is a string that is not an IP address.
 *
 * @example
 * ```ts
 * const kind: AddressKind = classifyAddress('10.0.0.7'); // 'private'
 * ```
 */
export type AddressKind =
  | 'public'
  | 'unspecified'
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'unique-local'
  | 'multicast'
  | 'ipv4-mapped'
  | 'documentation'
  | 'reserved'
  | 'invalid';

/** IPv4 ranges as [first octets as a 32-bit number, prefix length, kind], most specific first. */
const V4_RANGES: readonly (readonly [number, number, AddressKind])[] = [
  [ip4(0, 0, 0, 0), 8, 'unspecified'], // RFC 1122 §3.2.1.3 "this network"
  [ip4(10, 0, 0, 0), 8, 'private'], // RFC 1918
  [ip4(100, 64, 0, 0), 10, 'private'], // RFC 6598 shared address space (carrier-grade NAT)
  [ip4(127, 0, 0, 0), 8, 'loopback'], // RFC 1122
  [ip4(169, 254, 0, 0), 16, 'link-local'], // RFC 3927 (cloud metadata services live here)
  [ip4(172, 16, 0, 0), 12, 'private'], // RFC 1918
  [ip4(192, 0, 0, 0), 24, 'reserved'], // RFC 6890 IETF protocol assignments
  [ip4(192, 0, 2, 0), 24, 'documentation'], // RFC 5737
  [ip4(192, 88, 99, 0), 24, 'reserved'], // RFC 7526 deprecated 6to4 relay anycast
  [ip4(192, 168, 0, 0), 16, 'private'], // RFC 1918
  [ip4(198, 18, 0, 0), 15, 'reserved'], // RFC 2544 benchmarking
  [ip4(198, 51, 100, 0), 24, 'documentation'], // RFC 5737
  [ip4(203, 0, 113, 0), 24, 'documentation'], // RFC 5737
  [ip4(224, 0, 0, 0), 4, 'multicast'], // RFC 5771
  [ip4(240, 0, 0, 0), 4, 'reserved'], // RFC 1112 §4, and 255.255.255.255 broadcast (RFC 919)
];

function ip4(a: number, b: number, c: number, d: number): number {
  return ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
}

/** A dotted-quad IPv4 address as a 32-bit number; `undefined` for anything else (no octal, hex or short forms). */
function parseIPv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(part) || Number(part) > 255) return undefined;
    value = value * 256 + Number(part);
  }
  return value;
}

function classifyIPv4(value: number): AddressKind {
  for (const [base, bits, kind] of V4_RANGES) {
    const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    if (((value & mask) >>> 0) === base) return kind;
  }
  return 'public';
}

/** An IPv6 address as eight 16-bit groups (RFC 4291 §2.2 text forms, with an embedded IPv4 tail); `undefined` otherwise. */
function parseIPv6(text: string): number[] | undefined {
  if (!/^[0-9a-f:.]+$/i.test(text)) return undefined;
  let head = text;
  if (text.includes('.')) {
    // An IPv4 tail (RFC 4291 §2.2 form 3) stands for the last two groups.
    const lastColon = text.lastIndexOf(':');
    const v4 = parseIPv4(text.slice(lastColon + 1));
    if (v4 === undefined || lastColon < 0) return undefined;
    head = `${text.slice(0, lastColon + 1)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const halves = head.split('::');
  if (halves.length > 2) return undefined;
  const groups = (s: string): number[] | undefined => {
    if (s === '') return [];
    const out: number[] = [];
    for (const g of s.split(':')) {
      if (!/^[0-9a-f]{1,4}$/i.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const left = groups(halves[0]!);
  const right = halves.length === 2 ? groups(halves[1]!) : [];
  if (!left || !right) return undefined;
  const known = left.length + right.length;
  if (halves.length === 2) return known > 7 ? undefined : [...left, ...new Array<number>(8 - known).fill(0), ...right];
  return known === 8 ? left : undefined;
}

function classifyIPv6(g: readonly number[]): AddressKind {
  const [g0, g1, g2, g3, g4, g5, g6, g7] = g as [number, number, number, number, number, number, number, number];
  const zeroTo = (n: number): boolean => g.slice(0, n).every((x) => x === 0);
  const v4 = (hi: number, lo: number): number => ((hi << 16) | lo) >>> 0;
  if (zeroTo(8)) return 'unspecified'; // ::/128
  if (zeroTo(7) && g7 === 1) return 'loopback'; // ::1/128
  // ::ffff:0:0/96: an IPv4 address in IPv6 clothing reaches the IPv4 network, whatever the v4 part is.
  if (zeroTo(5) && g5 === 0xffff) return 'ipv4-mapped';
  if (zeroTo(6)) return 'reserved'; // ::/96 deprecated IPv4-compatible (RFC 4291 §2.5.5.1)
  // 64:ff9b::/96 NAT64 (RFC 6052): as private as the IPv4 address it translates to. 64:ff9b:1::/48 is local use.
  if (g0 === 0x64 && g1 === 0xff9b) {
    if (g2 === 1) return 'private';
    if (g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) return classifyIPv4(v4(g6, g7));
    return 'reserved';
  }
  if (g0 === 0x100 && g1 === 0 && g2 === 0 && g3 === 0) return 'reserved'; // 100::/64 discard-only (RFC 6666)
  if (g0 === 0x2001 && g1 < 0x200) return 'reserved'; // 2001::/23 IETF protocol assignments, Teredo (RFC 2928, 4380)
  if (g0 === 0x2001 && g1 === 0xdb8) return 'documentation'; // 2001:db8::/32 (RFC 3849)
  if (g0 === 0x3fff && g1 < 0x1000) return 'documentation'; // 3fff::/20 (RFC 9637)
  // 2002::/16 6to4 (RFC 3056): the IPv4 address it carries decides.
  if (g0 === 0x2002) {
    const inner = classifyIPv4(v4(g1, g2));
    return inner === 'public' ? 'public' : inner;
  }
  if (g0 === 0x5f00) return 'reserved'; // 5f00::/16 SRv6 SIDs (RFC 9602)
  if ((g0 & 0xfe00) === 0xfc00) return 'unique-local'; // fc00::/7 (RFC 4193)
  if ((g0 & 0xffc0) === 0xfe80) return 'link-local'; // fe80::/10
  if ((g0 & 0xffc0) === 0xfec0) return 'private'; // fec0::/10 deprecated site-local (RFC 3879)
  if ((g0 & 0xff00) === 0xff00) return 'multicast'; // ff00::/8
  return 'public';
}

/**
 * Classifies an IP address (dotted-quad IPv4, or IPv6 with or without brackets; a zone index such as `%eth0`
 * marks a link-local address). Anything not `public` is special-use (RFC 6890): a server fetching a URL on a
 * client's behalf must not connect there unless its operator allows it.
 *
 * @example
 * ```ts
 * classifyAddress('127.0.0.1');        // 'loopback'
 * classifyAddress('[::ffff:10.0.0.1]'); // 'ipv4-mapped'
 * classifyAddress('93.184.215.14');    // 'public'
 * ```
 */
export function classifyAddress(address: string): AddressKind {
  let text = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  const v4 = parseIPv4(text);
  if (v4 !== undefined) return classifyIPv4(v4);
  const zone = text.indexOf('%');
  if (zone >= 0) {
    // A zone index (RFC 6874) only has meaning on a link: treat the address as link-local whatever it says.
    text = text.slice(0, zone);
    return parseIPv6(text) === undefined ? 'invalid' : 'link-local';
  }
  const v6 = parseIPv6(text);
  return v6 === undefined ? 'invalid' : classifyIPv6(v6);
}

/**
 * Whether a string is an IP address literal (IPv4 dotted quad, or IPv6 with or without brackets).
 *
 * @example
 * ```ts
 * isIpAddress('[::1]');       // true
 * isIpAddress('example.com'); // false
 * ```
 */
export const isIpAddress = (text: string): boolean => classifyAddress(text) !== 'invalid';
