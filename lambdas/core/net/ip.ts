/**
 * Small, pure IPv4/IPv6 toolkit for the risk engine and the policy schema.
 *
 * Hand-written (no regex, no allocation beyond the result) because it runs on every decision and because the
 * node:net helpers are not allowed in the pure core. IPv4-mapped IPv6 addresses (`::ffff:1.2.3.4`) are folded
 * into their IPv4 form so that lists, classification and prefixes treat them exactly like the IPv4 address:
 * otherwise `::ffff:10.0.0.1` would slip past a `10.0.0.0/8` deny list.
 */

export interface IpAddress {
  readonly version: 4 | 6;
  /** 4 bytes for IPv4, 16 for IPv6, network byte order. */
  readonly bytes: Uint8Array;
  /** Set when the text was an IPv4-mapped IPv6 address that was folded to IPv4. */
  readonly v4Mapped?: boolean;
}

export interface CidrRange {
  readonly version: 4 | 6;
  readonly bytes: Uint8Array;
  readonly bits: number;
}

/** Coarse kind, the same vocabulary as `Geo.kind`. */
export type IpKind = 'public' | 'private' | 'loopback' | 'reserved';

/** Which special-purpose range matched (IANA special-purpose registries). */
export type IpRange =
  | 'global'
  | 'private'
  | 'cgnat'
  | 'ula'
  | 'link_local'
  | 'loopback'
  | 'documentation'
  | 'multicast'
  | 'unspecified'
  | 'benchmarking'
  | 'reserved';

export interface IpClassification {
  readonly kind: IpKind;
  readonly range: IpRange;
}

// Longest textual IPv6 form with an embedded IPv4 tail is 45 characters; refuse anything longer before looping.
const MAX_IP_TEXT = 45;

function parseV4Into(s: string, start: number, end: number, out: Uint8Array, offset: number): boolean {
  let part = 0;
  let value = 0;
  let digits = 0;
  let leadingZero = false;
  for (let i = start; i <= end; i++) {
    const c = i === end ? 46 /* virtual trailing '.' */ : s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || part > 3) return false;
      out[offset + part] = value;
      part++;
      value = 0;
      digits = 0;
      leadingZero = false;
      continue;
    }
    if (c < 48 || c > 57) return false;
    // Leading zeros are rejected: some stacks read them as octal, so "010.0.0.1" is ambiguous.
    if (leadingZero) return false;
    if (digits === 0 && c === 48) leadingZero = true;
    value = value * 10 + (c - 48);
    digits++;
    if (value > 255) return false;
  }
  return part === 4;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * Parses one side of an IPv6 address (groups separated by ':'), writing 16-bit groups into `groups` starting at
 * index 0. Returns the number of 16-bit groups written or -1. `allowV4Tail` lets the last group be dotted IPv4.
 */
function parseV6Groups(s: string, start: number, end: number, groups: number[], allowV4Tail: boolean): number {
  if (start === end) return 0;
  let count = 0;
  let groupStart = start;
  for (let i = start; i <= end; i++) {
    const c = i === end ? 58 : s.charCodeAt(i);
    if (c === 46) {
      // An IPv4 tail must be the last thing on the line.
      if (!allowV4Tail || count > 6) return -1;
      const tail = new Uint8Array(4);
      if (!parseV4Into(s, groupStart, end, tail, 0)) return -1;
      groups[count++] = ((tail[0] ?? 0) << 8) | (tail[1] ?? 0);
      groups[count++] = ((tail[2] ?? 0) << 8) | (tail[3] ?? 0);
      return count;
    }
    if (c !== 58) continue;
    const len = i - groupStart;
    if (len === 0 || len > 4 || count >= 8) return -1;
    let v = 0;
    for (let j = groupStart; j < i; j++) {
      const h = hexValue(s.charCodeAt(j));
      if (h < 0) return -1;
      v = (v << 4) | h;
    }
    groups[count++] = v;
    groupStart = i + 1;
  }
  return count;
}

function parseV6(s: string): IpAddress | undefined {
  const dbl = s.indexOf('::');
  const groups: number[] = [];
  let bytes: Uint8Array;
  if (dbl === -1) {
    const n = parseV6Groups(s, 0, s.length, groups, true);
    if (n !== 8) return undefined;
    bytes = groupsToBytes(groups, [], 0);
  } else {
    if (s.indexOf('::', dbl + 1) !== -1) return undefined;
    const head: number[] = [];
    const headCount = parseV6Groups(s, 0, dbl, head, false);
    if (headCount < 0) return undefined;
    const tailCount = parseV6Groups(s, dbl + 2, s.length, groups, true);
    if (tailCount < 0 || headCount + tailCount > 7) return undefined;
    bytes = groupsToBytes(head, groups, 8 - headCount - tailCount);
  }
  if (isV4Mapped(bytes)) return { version: 4, bytes: bytes.slice(12), v4Mapped: true };
  return { version: 6, bytes };
}

function groupsToBytes(head: number[], tail: number[], zeros: number): Uint8Array {
  const out = new Uint8Array(16);
  let k = 0;
  for (const g of head) {
    out[k++] = g >> 8;
    out[k++] = g & 0xff;
  }
  k += zeros * 2;
  for (const g of tail) {
    out[k++] = g >> 8;
    out[k++] = g & 0xff;
  }
  return out;
}

function isV4Mapped(b: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
}

/**
 * Parses a textual IPv4 or IPv6 address. Returns undefined for anything else, including zone ids (`fe80::1%eth0`,
 * never a remote client address), leading zeros in IPv4 octets, and surrounding whitespace.
 */
export function parseIp(s: string): IpAddress | undefined {
  if (typeof s !== 'string' || s.length === 0 || s.length > MAX_IP_TEXT) return undefined;
  if (s.indexOf(':') !== -1) return parseV6(s);
  const bytes = new Uint8Array(4);
  return parseV4Into(s, 0, s.length, bytes, 0) ? { version: 4, bytes } : undefined;
}

function hostBitsZero(bytes: Uint8Array, bits: number): boolean {
  for (let i = 0; i < bytes.length; i++) {
    const keep = Math.max(0, Math.min(8, bits - i * 8));
    const mask = keep === 0 ? 0 : (0xff << (8 - keep)) & 0xff;
    if (((bytes[i] ?? 0) & ~mask & 0xff) !== 0) return false;
  }
  return true;
}

function maskBytes(bytes: Uint8Array, bits: number): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    const keep = Math.max(0, Math.min(8, bits - i * 8));
    out[i] = (bytes[i] ?? 0) & ((0xff << (8 - keep)) & 0xff);
  }
  return out;
}

/**
 * Parses `addr/bits` or a bare address (a host range: /32 or /128). With `strict` (the default) host bits must be
 * zero, because in an allow/deny list `10.1.2.3/8` is far more likely a typo than a wish to list all of 10/8.
 * An IPv4-mapped IPv6 range (`::ffff:10.0.0.0/104`) becomes the IPv4 range it denotes.
 */
export function parseCidr(s: string, options: { strict?: boolean } = {}): CidrRange | undefined {
  if (typeof s !== 'string') return undefined;
  const slash = s.indexOf('/');
  const addrText = slash === -1 ? s : s.slice(0, slash);
  const addr = parseIp(addrText);
  if (!addr) return undefined;
  const max = addr.version === 4 ? 32 : 128;
  let bits = max;
  if (slash !== -1) {
    const bitsText = s.slice(slash + 1);
    if (bitsText.length === 0 || bitsText.length > 3) return undefined;
    bits = 0;
    for (let i = 0; i < bitsText.length; i++) {
      const c = bitsText.charCodeAt(i);
      if (c < 48 || c > 57) return undefined;
      bits = bits * 10 + (c - 48);
    }
    if (bitsText.length > 1 && bitsText.charCodeAt(0) === 48) return undefined;
    if (addr.v4Mapped) {
      // The prefix length was written against the 128-bit form.
      if (bits < 96 || bits > 128) return undefined;
      bits -= 96;
    } else if (bits > max) {
      return undefined;
    }
  }
  if (options.strict !== false && !hostBitsZero(addr.bytes, bits)) return undefined;
  return { version: addr.version, bytes: maskBytes(addr.bytes, bits), bits };
}

/** True when `addr` lies inside `range` (same IP version only). */
export function cidrContains(range: CidrRange, addr: IpAddress): boolean {
  if (range.version !== addr.version) return false;
  const full = range.bits >> 3;
  const a = addr.bytes;
  const r = range.bytes;
  for (let i = 0; i < full; i++) if (a[i] !== r[i]) return false;
  const rest = range.bits & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return ((a[full] ?? 0) & mask) === (r[full] ?? 0);
}

/** Canonical text: dotted IPv4, RFC 5952 IPv6 (lowercase, longest zero run compressed). */
export function formatIp(addr: IpAddress): string {
  const b = addr.bytes;
  if (addr.version === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((b[i] ?? 0) << 8) | (b[i + 1] ?? 0));
  let bestStart = -1;
  let bestLen = 1; // RFC 5952 4.2.2: a single zero group is not compressed
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (from: number, to: number) =>
    groups
      .slice(from, to)
      .map((g) => g.toString(16))
      .join(':');
  if (bestStart === -1) return hex(0, 8);
  return `${hex(0, bestStart)}::${hex(bestStart + bestLen, 8)}`;
}

/** Canonical `network/bits` text of a range. */
export function formatCidr(range: CidrRange): string {
  return `${formatIp({ version: range.version, bytes: range.bytes })}/${range.bits}`;
}

/**
 * The network a client address belongs to for familiarity purposes when no ASN is known: the /24 for IPv4 and the
 * /48 for IPv6 (the usual end-site allocation, so one household or office maps to one prefix).
 */
export function ipPrefix(addr: IpAddress): string {
  const bits = addr.version === 4 ? 24 : 48;
  return formatCidr({ version: addr.version, bytes: maskBytes(addr.bytes, bits), bits });
}

/** IPv6 networks whose /64 is shared by unrelated clients: the address embeds an IPv4 address (NAT64) or a relay. */
const SHARED_V6_NETWORKS: readonly CidrRange[] = ['64:ff9b::/96', '64:ff9b:1::/48', '2001::/32'].map((text) => {
  const range = parseCidr(text);
  if (!range) throw new Error(`bad built-in range ${text}`);
  return range;
});

/**
 * The network velocity counts an IPv6 client by: its /64, the smallest block an ISP hands a subscriber, in which a
 * client chooses (and rotates) its own interface identifiers freely. Undefined for IPv4 (counted by exact address,
 * as NAT already puts whole households behind one), for IPv4-mapped IPv6 (it is IPv4), and for NAT64 and Teredo
 * addresses, whose /64 is a translator's or relay's, shared by everyone behind it.
 */
export function velocityNetwork(addr: IpAddress): string | undefined {
  if (addr.version !== 6) return undefined;
  for (const range of SHARED_V6_NETWORKS) if (cidrContains(range, addr)) return undefined;
  return formatCidr({ version: 6, bytes: maskBytes(addr.bytes, 64), bits: 64 });
}

function table(entries: [string, IpRange, IpKind][]): { range: CidrRange; name: IpRange; kind: IpKind }[] {
  return entries.map(([text, name, kind]) => {
    const range = parseCidr(text);
    if (!range) throw new Error(`bad built-in range ${text}`);
    return { range, name, kind };
  });
}

// Most specific ranges first: the first match wins.
const V4_SPECIAL = table([
  ['0.0.0.0/8', 'unspecified', 'reserved'],
  ['10.0.0.0/8', 'private', 'private'],
  ['100.64.0.0/10', 'cgnat', 'private'],
  ['127.0.0.0/8', 'loopback', 'loopback'],
  ['169.254.0.0/16', 'link_local', 'private'],
  ['172.16.0.0/12', 'private', 'private'],
  ['192.0.0.0/24', 'reserved', 'reserved'],
  ['192.0.2.0/24', 'documentation', 'reserved'],
  ['192.88.99.0/24', 'reserved', 'reserved'],
  ['192.168.0.0/16', 'private', 'private'],
  ['198.18.0.0/15', 'benchmarking', 'reserved'],
  ['198.51.100.0/24', 'documentation', 'reserved'],
  ['203.0.113.0/24', 'documentation', 'reserved'],
  ['224.0.0.0/4', 'multicast', 'reserved'],
  ['240.0.0.0/4', 'reserved', 'reserved'],
]);

const V6_SPECIAL = table([
  ['::/128', 'unspecified', 'reserved'],
  ['::1/128', 'loopback', 'loopback'],
  ['100::/64', 'reserved', 'reserved'],
  ['2001:db8::/32', 'documentation', 'reserved'],
  ['3fff::/20', 'documentation', 'reserved'],
  ['2001:10::/28', 'reserved', 'reserved'],
  ['fc00::/7', 'ula', 'private'],
  ['fe80::/10', 'link_local', 'private'],
  ['fec0::/10', 'private', 'private'],
  ['ff00::/8', 'multicast', 'reserved'],
]);

const NAT64 = parseCidr('64:ff9b::/96') as CidrRange;
const GLOBAL_UNICAST_V6 = parseCidr('2000::/3') as CidrRange;

/**
 * Classifies an address by the IANA special-purpose registries. Private, CGNAT, ULA and link-local all mean "not
 * locatable, somewhere on a local or carrier network" (`private`); documentation, benchmarking, multicast and
 * unallocated space can never be a genuine client (`reserved`).
 */
export function classifyIp(addr: IpAddress): IpClassification {
  const list = addr.version === 4 ? V4_SPECIAL : V6_SPECIAL;
  for (const entry of list) {
    if (cidrContains(entry.range, addr)) return { kind: entry.kind, range: entry.name };
  }
  if (addr.version === 6) {
    // NAT64 embeds the real IPv4 destination/source; judge that.
    if (cidrContains(NAT64, addr)) return classifyIp({ version: 4, bytes: addr.bytes.slice(12) });
    if (!cidrContains(GLOBAL_UNICAST_V6, addr)) return { kind: 'reserved', range: 'reserved' };
  }
  return { kind: 'public', range: 'global' };
}
