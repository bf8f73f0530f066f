import type { NetworkDataInfo } from '../../ports/network-locator';

/**
 * The ASN table file: IP ranges sorted by start address, each mapped to an (AS number, organisation) pair, laid out
 * so a reader can binary-search typed-array views of the file's own bytes: no parsing, no per-range objects, so
 * loading costs one file read and the memory is the file's size.
 *
 *   0    8 bytes   magic "STEPASN\0"
 *   8    u32       format version (FORMAT_VERSION)
 *   12   u32       byte length of the JSON header that follows (AsnTableHeader)
 *   16   JSON      header, UTF-8, zero-padded to a multiple of 4 bytes
 *   then, each section 4-byte aligned, little-endian u32 words:
 *        v4 starts [v4] · v4 ends [v4] · v4 network index [v4]
 *        v6 starts [4·v6] · v6 ends [4·v6] · v6 network index [v6]   (an address = 4 words, most significant first)
 *        network AS number [n] · organisation start [n] · organisation end [n]   (byte offsets into the strings)
 *        strings: the organisation names, UTF-8, each stored once
 *
 * Ranges of one version are disjoint and sorted; a gap between two ranges is address space with no known network.
 */
export const MAGIC = 'STEPASN\0';
/**
 * Bump when the layout, or what the builder writes into it, changes: cached tables are named after it and rebuild
 * when it moves.
 */
export const FORMAT_VERSION = 1;

export interface AsnTableHeader extends NetworkDataInfo {
  readonly networks: number;
  readonly stringBytes: number;
}

/** Where a table's data came from; the range counts are the table's own. */
export type AsnTableSource = Omit<NetworkDataInfo, 'ipv4Ranges' | 'ipv6Ranges'>;

/** What an encoder needs: disjoint sorted ranges per version, and the networks they point at. */
export interface AsnTableContent {
  readonly v4: { starts: Uint32Array; ends: Uint32Array; nets: Uint32Array };
  /** `starts` and `ends` hold 4 words per range. */
  readonly v6: { starts: Uint32Array; ends: Uint32Array; nets: Uint32Array };
  readonly networks: readonly { readonly asn: number; readonly org: string }[];
}

/** The file could not be read as an ASN table (wrong magic, other format version, truncated). */
export class AsnTableFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AsnTableFormatError';
  }
}

const pad4 = (n: number) => (n + 3) & ~3;

/** Serialises a table. Deterministic: the same content and info always give the same bytes. */
export function encodeAsnTable(content: AsnTableContent, info: AsnTableSource): Buffer {
  const strings: Buffer[] = [];
  const orgOffsets = new Map<string, [number, number]>();
  let stringBytes = 0;
  const orgStart = new Uint32Array(content.networks.length);
  const orgEnd = new Uint32Array(content.networks.length);
  const asns = new Uint32Array(content.networks.length);
  content.networks.forEach((n, i) => {
    let at = orgOffsets.get(n.org);
    if (!at) {
      const bytes = Buffer.from(n.org, 'utf8');
      at = [stringBytes, stringBytes + bytes.length];
      strings.push(bytes);
      stringBytes += bytes.length;
      orgOffsets.set(n.org, at);
    }
    asns[i] = n.asn;
    orgStart[i] = at[0];
    orgEnd[i] = at[1];
  });
  const header: AsnTableHeader = {
    source: info.source,
    ...(info.version !== undefined ? { version: info.version } : {}),
    dataDate: info.dataDate,
    ipv4Ranges: content.v4.nets.length,
    ipv6Ranges: content.v6.nets.length,
    networks: content.networks.length,
    stringBytes,
  };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const prelude = Buffer.alloc(16 + pad4(json.length));
  prelude.write(MAGIC, 0, 'latin1');
  prelude.writeUInt32LE(FORMAT_VERSION, 8);
  prelude.writeUInt32LE(json.length, 12);
  json.copy(prelude, 16);
  const words = [
    content.v4.starts,
    content.v4.ends,
    content.v4.nets,
    content.v6.starts,
    content.v6.ends,
    content.v6.nets,
    asns,
    orgStart,
    orgEnd,
  ].map(littleEndianBytes);
  const stringSection = Buffer.concat(strings);
  return Buffer.concat([prelude, ...words, stringSection, Buffer.alloc(pad4(stringBytes) - stringBytes)]);
}

function littleEndianBytes(words: Uint32Array): Buffer {
  const out = Buffer.alloc(words.length * 4);
  for (let i = 0; i < words.length; i++) out.writeUInt32LE(words[i] ?? 0, i * 4);
  return out;
}

/** Typed-array views over a table's bytes (no copy when the buffer is 4-byte aligned). */
export interface AsnTableViews {
  readonly header: AsnTableHeader;
  readonly v4Starts: Uint32Array;
  readonly v4Ends: Uint32Array;
  readonly v4Nets: Uint32Array;
  readonly v6Starts: Uint32Array;
  readonly v6Ends: Uint32Array;
  readonly v6Nets: Uint32Array;
  readonly asns: Uint32Array;
  readonly orgStarts: Uint32Array;
  readonly orgEnds: Uint32Array;
  /** The string section (organisation names). */
  readonly strings: Buffer;
}

const isCount = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;

export function decodeAsnTable(input: Buffer): AsnTableViews {
  // Typed arrays read in the platform's byte order; the file is little-endian like every Lambda and dev machine.
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
    throw new AsnTableFormatError('ASN tables are little-endian; this platform is not');
  }
  if (input.length < 16 || input.toString('latin1', 0, 8) !== MAGIC) {
    throw new AsnTableFormatError('not an ASN table (bad magic); rebuild it with `stepgate network build`');
  }
  const version = input.readUInt32LE(8);
  if (version !== FORMAT_VERSION) {
    throw new AsnTableFormatError(`ASN table format ${version}, this reader knows ${FORMAT_VERSION}; rebuild it`);
  }
  const jsonLength = input.readUInt32LE(12);
  if (16 + jsonLength > input.length) throw new AsnTableFormatError('truncated ASN table header');
  let header: AsnTableHeader;
  try {
    header = JSON.parse(input.toString('utf8', 16, 16 + jsonLength)) as AsnTableHeader;
  } catch {
    throw new AsnTableFormatError('unreadable ASN table header');
  }
  const { ipv4Ranges: v4, ipv6Ranges: v6, networks, stringBytes } = header;
  if (![v4, v6, networks, stringBytes].every(isCount) || typeof header.dataDate !== 'string') {
    throw new AsnTableFormatError('ASN table header lacks counts or data date');
  }
  const wordCount = 3 * v4 + 9 * v6 + 3 * networks;
  const bodyStart = 16 + pad4(jsonLength);
  if (bodyStart + wordCount * 4 + stringBytes > input.length) throw new AsnTableFormatError('truncated ASN table');
  // A Buffer from readFileSync starts at offset 0 of its own memory; a pooled or sliced one may not be aligned, and
  // is then copied into fresh memory (a typed-array copy: Buffer.from could land in the pool again).
  const bytes = (input.byteOffset + bodyStart) % 4 === 0 ? input : Buffer.from(new Uint8Array(input).buffer);
  let at = bytes.byteOffset + bodyStart;
  const take = (count: number) => {
    const view = new Uint32Array(bytes.buffer, at, count);
    at += count * 4;
    return view;
  };
  const views = {
    header,
    v4Starts: take(v4),
    v4Ends: take(v4),
    v4Nets: take(v4),
    v6Starts: take(4 * v6),
    v6Ends: take(4 * v6),
    v6Nets: take(v6),
    asns: take(networks),
    orgStarts: take(networks),
    orgEnds: take(networks),
  };
  const stringsAt = at - bytes.byteOffset;
  return { ...views, strings: bytes.subarray(stringsAt, stringsAt + stringBytes) };
}
