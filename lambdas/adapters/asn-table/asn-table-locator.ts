import { readFileSync } from 'node:fs';
import { classifyIp, formatCidr, parseIp, type IpAddress } from '../../core/net/ip';
import type { Network, NetworkDataInfo, NetworkLocator } from '../../ports/network-locator';
import { decodeAsnTable, type AsnTableViews } from './asn-table-format';

/**
 * The network port over an ASN table file (asn-table-format.ts): binary search of typed-array views of the file's
 * bytes, so a lookup allocates only its answer and the process holds the file and nothing more.
 *
 * Private, loopback and reserved addresses answer "no network" before the search, whatever the data says: they
 * name no provider the client could be told apart by. IPv4-mapped IPv6 addresses arrive here already folded to
 * IPv4 by the address parser, so `::ffff:8.8.8.8` is found in the IPv4 ranges.
 */
export class AsnTableLocator implements NetworkLocator {
  readonly info: NetworkDataInfo;
  private readonly t: AsnTableViews;
  /** Scratch words of the address being looked up (lookups are synchronous, so one set is enough). */
  private readonly key = new Uint32Array(4);

  constructor(bytes: Buffer) {
    this.t = decodeAsnTable(bytes);
    const h = this.t.header;
    this.info = {
      source: h.source,
      ...(h.version !== undefined ? { version: h.version } : {}),
      dataDate: h.dataDate,
      ipv4Ranges: h.ipv4Ranges,
      ipv6Ranges: h.ipv6Ranges,
    };
  }

  static fromFile(path: string): AsnTableLocator {
    return new AsnTableLocator(readFileSync(path));
  }

  lookup(ip: string): Network | undefined {
    const addr = parseIp(ip);
    return addr ? this.lookupAddress(addr) : undefined;
  }

  lookupAddress(addr: IpAddress): Network | undefined {
    if (classifyIp(addr).kind !== 'public') return undefined;
    const b = addr.bytes;
    const key = this.key;
    const words = addr.version === 4 ? 1 : 4;
    for (let w = 0; w < words; w++) {
      const o = w * 4;
      key[w] = (((b[o] ?? 0) << 24) | ((b[o + 1] ?? 0) << 16) | ((b[o + 2] ?? 0) << 8) | (b[o + 3] ?? 0)) >>> 0;
    }
    const t = this.t;
    const [starts, ends, nets] = words === 1 ? [t.v4Starts, t.v4Ends, t.v4Nets] : [t.v6Starts, t.v6Ends, t.v6Nets];
    // The last range starting at or before the address; it holds the address unless the address is in a gap.
    let lo = 0;
    let hi = nets.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (compare(starts, mid * words, key, words) <= 0) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    if (found < 0 || compare(ends, found * words, key, words) < 0) return undefined;
    const net = nets[found] ?? 0;
    const bits = largestBlock(key, words, starts, ends, found * words);
    return {
      asn: t.asns[net] ?? 0,
      org: t.strings.toString('utf8', t.orgStarts[net] ?? 0, t.orgEnds[net] ?? 0),
      prefix: formatCidr({ version: addr.version, bytes: maskedBytes(key, words, bits), bits }),
    };
  }
}

/** Compares the address at `table[at..at+words)` with `key`: negative when the table's is lower. */
function compare(table: Uint32Array, at: number, key: Uint32Array, words: number): number {
  for (let w = 0; w < words; w++) {
    const a = table[at + w] ?? 0;
    const k = key[w] ?? 0;
    if (a !== k) return a < k ? -1 : 1;
  }
  return 0;
}

function wordMask(bits: number, w: number): number {
  const inWord = Math.max(0, Math.min(32, bits - 32 * w));
  return inWord === 0 ? 0 : (0xffffffff << (32 - inWord)) >>> 0;
}

/**
 * The shortest prefix length whose block around the address lies wholly inside its range: the address's "prefix"
 * in the answer. A range is rarely one CIDR block (sources merge neighbouring announcements), so the block is the
 * largest aligned one that the data maps, as a whole, to this network.
 */
function largestBlock(key: Uint32Array, words: number, starts: Uint32Array, ends: Uint32Array, at: number): number {
  const total = words * 32;
  for (let bits = 0; bits < total; bits++) {
    let aboveStart = 0; // 0 undecided, 1 block start > range start, -1 below
    let belowEnd = 0;
    for (let w = 0; w < words && (aboveStart === 0 || belowEnd === 0); w++) {
      const mask = wordMask(bits, w);
      const k = key[w] ?? 0;
      const low = (k & mask) >>> 0;
      const high = (k | ~mask) >>> 0;
      const s = starts[at + w] ?? 0;
      const e = ends[at + w] ?? 0;
      if (aboveStart === 0 && low !== s) aboveStart = low > s ? 1 : -1;
      if (belowEnd === 0 && high !== e) belowEnd = high < e ? 1 : -1;
    }
    if (aboveStart >= 0 && belowEnd >= 0) return bits;
  }
  return total;
}

function maskedBytes(key: Uint32Array, words: number, bits: number): Uint8Array {
  const out = new Uint8Array(words * 4);
  for (let w = 0; w < words; w++) {
    const v = ((key[w] ?? 0) & wordMask(bits, w)) >>> 0;
    out[w * 4] = v >>> 24;
    out[w * 4 + 1] = (v >>> 16) & 0xff;
    out[w * 4 + 2] = (v >>> 8) & 0xff;
    out[w * 4 + 3] = v & 0xff;
  }
  return out;
}
