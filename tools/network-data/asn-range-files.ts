import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type * as Maxmind from 'maxmind';
import type { AsnResponse, Reader as MmdbReader } from 'maxmind';
import { formatIp, parseIp } from '../../lambdas/core/net/ip';
import { NetworkDataError, whereOf, type AsnRange } from './asn-table-builder';

/**
 * Readers for the IP-to-ASN files operators can rebuild the table from:
 * - `.csv`: ip-location-db (`start,end,asn,org`, addresses as text, e.g. asn-ipv4.csv / asn-ipv6.csv of its
 *   releases or of the npm package);
 * - `.tsv`: iptoasn.com (`range_start, range_end, AS_number, country_code, AS_description`; AS 0 = not routed);
 * - `.mmdb`: an ASN MaxMind DB (`autonomous_system_number`, `autonomous_system_organization`: DB-IP's ASN Lite,
 *   ip-location-db's mmdb releases, a GeoLite2-ASN the operator is licensed for), read with `maxmind`.
 * Any of them may be gzipped (`.gz`). Every error names the file and line (or network, for MMDB).
 */
export interface RangeFile {
  readonly name: string;
  readonly kind: 'csv' | 'tsv' | 'mmdb';
  /** The data's own date when the file carries one (MMDB build epoch), YYYY-MM-DD. */
  readonly dataDate?: string;
  /** When the file was last modified, YYYY-MM-DD: the fallback data date. */
  readonly modified: string;
  ranges(): Iterable<AsnRange>;
}

const day = (d: Date) => d.toISOString().slice(0, 10);

export function openRangeFile(path: string): RangeFile {
  let raw: Buffer;
  try {
    raw = readFileSync(path);
  } catch (error) {
    throw new NetworkDataError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  const name = basename(path);
  const gzipped = raw[0] === 0x1f && raw[1] === 0x8b;
  const bytes = gzipped ? gunzipSync(raw) : raw;
  const bare = name.replace(/\.gz$/i, '').toLowerCase();
  const modified = day(statSync(path).mtime);
  if (bare.endsWith('.mmdb')) return mmdbFile(name, bytes, modified);
  if (bare.endsWith('.tsv')) return { name, kind: 'tsv', modified, ranges: () => tsvRanges(name, bytes) };
  if (bare.endsWith('.csv')) return { name, kind: 'csv', modified, ranges: () => csvRanges(name, bytes) };
  throw new NetworkDataError(`${name}: unknown format; expected .csv (ip-location-db), .tsv (iptoasn) or .mmdb`);
}

type Where = Pick<AsnRange, 'source' | 'line'>;

function addressValue(text: string, what: string, where: Where): { version: 4 | 6; value: bigint } {
  const addr = parseIp(text.trim());
  if (!addr) {
    const numeric = /^\d+$/.test(text.trim())
      ? ' (numeric files such as asn-ipv4-num.csv are not read: use the textual asn-ipv4.csv beside it)'
      : '';
    throw new NetworkDataError(`${whereOf(where)}: ${what} "${text}" is not an IP address${numeric}`);
  }
  let value = 0n;
  if (addr.version === 4) {
    const b = addr.bytes;
    value = BigInt((((b[0] ?? 0) << 24) | ((b[1] ?? 0) << 16) | ((b[2] ?? 0) << 8) | (b[3] ?? 0)) >>> 0);
  } else {
    for (const byte of addr.bytes) value = (value << 8n) | BigInt(byte);
  }
  return { version: addr.version, value };
}

/** `15169` or `AS15169` (spaces around allowed); 0, iptoasn's "not routed", is returned for the caller to skip. */
function asNumber(text: string, where: Where): number {
  let i = 0;
  let end = text.length;
  while (i < end && text.charCodeAt(i) === 32) i++;
  while (end > i && text.charCodeAt(end - 1) === 32) end--;
  // "AS" or "as" prefix: the letters with the ASCII case bit set are 'a' (97) and 's' (115).
  if (end - i > 2 && (text.charCodeAt(i) | 32) === 97 && (text.charCodeAt(i + 1) | 32) === 115) i += 2;
  let n = 0;
  for (let k = i; k < end; k++) {
    const digit = text.charCodeAt(k) - 48;
    if (digit < 0 || digit > 9 || k - i >= 10) break;
    n = n * 10 + digit;
    if (k === end - 1) return n;
  }
  throw new NetworkDataError(`${whereOf(where)}: AS number "${text}" is not a number`);
}

/** A first line of column names (some exports have one), never a malformed data line. */
const isHeader = (fields: readonly string[], line: number) =>
  line === 1 && fields.every((f) => /^[A-Za-z_][A-Za-z_ ]*$/.test(f.trim()));

function* fieldRanges(
  name: string,
  records: Iterable<{ fields: readonly string[]; line: number }>,
  orgField: number,
): Generator<AsnRange> {
  for (const { fields, line } of records) {
    if (isHeader(fields, line)) continue;
    const where = { source: name, line };
    if (fields.length < 3) {
      throw new NetworkDataError(
        `${whereOf(where)}: expected start, end, AS number[, organisation]; got ${fields.length} field(s)`,
      );
    }
    const start = addressValue(fields[0] ?? '', 'start', where);
    const end = addressValue(fields[1] ?? '', 'end', where);
    if (start.version !== end.version) {
      throw new NetworkDataError(`${whereOf(where)}: start and end are different IP versions`);
    }
    const asn = asNumber(fields[2] ?? '', where);
    if (asn === 0) continue;
    const org = (fields[orgField] ?? '').trim();
    yield { version: start.version, start: start.value, end: end.value, asn, org, source: name, line };
  }
}

/**
 * Splits one CSV line (RFC 4180 quoting: `"Cloudflare, Inc."`, doubled quotes inside). Records of these files never
 * span lines, so the text is read line by line, without the garbage of a general streaming parser.
 */
function csvFields(line: string, where: string): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (line.charCodeAt(i) === 34 /* " */) {
      let value = '';
      let from = i + 1;
      for (;;) {
        const q = line.indexOf('"', from);
        if (q === -1) throw new NetworkDataError(`${where}: unterminated quoted field`);
        value += line.slice(from, q);
        if (line.charCodeAt(q + 1) === 34) {
          value += '"';
          from = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      fields.push(value);
      if (i === line.length) return fields;
      if (line.charCodeAt(i) !== 44 /* , */) throw new NetworkDataError(`${where}: text after a closing quote`);
      i++;
      continue;
    }
    const comma = line.indexOf(',', i);
    if (comma === -1) {
      fields.push(line.slice(i));
      return fields;
    }
    fields.push(line.slice(i, comma));
    i = comma + 1;
  }
}

function* lines(text: string): Generator<{ text: string; line: number }> {
  let line = 0;
  let at = 0;
  while (at < text.length) {
    let nl = text.indexOf('\n', at);
    if (nl === -1) nl = text.length;
    line++;
    const row = text.charCodeAt(nl - 1) === 13 ? text.slice(at, nl - 1) : text.slice(at, nl);
    at = nl + 1;
    if (row.trim() !== '') yield { text: row, line };
  }
}

function* csvRecords(name: string, text: string): Generator<{ fields: string[]; line: number }> {
  for (const { text: row, line } of lines(text)) yield { fields: csvFields(row, `${name}:${line}`), line };
}

function* tsvRecords(text: string): Generator<{ fields: string[]; line: number }> {
  for (const { text: row, line } of lines(text)) yield { fields: row.split('\t'), line };
}

function csvRanges(name: string, bytes: Buffer): Iterable<AsnRange> {
  return fieldRanges(name, csvRecords(name, bytes.toString('utf8')), 3);
}

function tsvRanges(name: string, bytes: Buffer): Iterable<AsnRange> {
  return fieldRanges(name, tsvRecords(bytes.toString('utf8')), 4);
}

/** What an ASN database promises; the fields are checked anyway, as any MMDB file can be given. */
type AsnRecord = AsnResponse;

/**
 * In an IPv6 MaxMind DB these ranges alias the IPv4 tree (IPv4-compatible, 6to4, Teredo): walking them would list
 * the IPv4 data again under IPv6 addresses. IPv4 is walked on its own.
 */
const V6_SKIP: readonly [bigint, bigint][] = [
  [0x2001n << 112n, (0x2001n << 112n) + (1n << 96n) - 1n],
  [0x2002n << 112n, (0x2003n << 112n) - 1n],
];

function mmdbFile(name: string, bytes: Buffer, modified: string): RangeFile {
  // Loaded only here: the Lambdas read the table file, never MMDB, and must not bundle the reader.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Reader } = require('maxmind') as typeof Maxmind;
  let reader: MmdbReader<AsnRecord>;
  try {
    reader = new Reader<AsnRecord>(bytes);
  } catch (error) {
    throw new NetworkDataError(`${name}: not a MaxMind DB (${(error as Error).message})`);
  }
  const epoch = reader.metadata.buildEpoch;
  return {
    name,
    kind: 'mmdb',
    ...(epoch instanceof Date && !Number.isNaN(epoch.getTime()) ? { dataDate: day(epoch) } : {}),
    modified,
    ranges: () => mmdbRanges(name, reader),
  };
}

/**
 * Walks the address space with public lookups: each answer comes with the length of the tree's prefix that holds
 * the address, so the walk jumps from block to block and visits every network (and every gap) once.
 */
function* mmdbRanges(name: string, reader: MmdbReader<AsnRecord>): Generator<AsnRange> {
  yield* walk(name, reader, 4, 0n, (1n << 32n) - 1n);
  if (reader.metadata.ipVersion === 6) {
    // Outside 2000::/3 nothing is globally routed unicast (the locator answers "no network" there anyway).
    let from = 0x2000n << 112n;
    const last = (0x4000n << 112n) - 1n;
    for (const [skipFrom, skipTo] of V6_SKIP) {
      yield* walk(name, reader, 6, from, skipFrom - 1n);
      from = skipTo + 1n;
    }
    yield* walk(name, reader, 6, from, last);
  }
}

function* walk(
  name: string,
  reader: MmdbReader<AsnRecord>,
  version: 4 | 6,
  from: bigint,
  to: bigint,
): Generator<AsnRange> {
  const bits = version === 4 ? 32 : 128;
  let at = from;
  while (at <= to) {
    const text = formatIp({ version, bytes: toBytes(at, bits / 8) });
    const [record, prefixLength] = reader.getWithPrefixLength(text);
    const size = 1n << BigInt(bits - prefixLength);
    const blockEnd = (at & ~(size - 1n)) + size - 1n;
    const end = blockEnd < to ? blockEnd : to;
    if (record) {
      const source = `${name} ${text}/${prefixLength}`;
      const { autonomous_system_number: asn, autonomous_system_organization: org } = record as Partial<
        Record<keyof AsnRecord, unknown>
      >;
      if (typeof asn !== 'number') {
        throw new NetworkDataError(
          `${source}: record has no autonomous_system_number (database type ${reader.metadata.databaseType}: not an ASN database?)`,
        );
      }
      if (asn !== 0) yield { version, start: at, end, asn, org: typeof org === 'string' ? org : '', source };
    }
    at = end + 1n;
  }
}

function toBytes(value: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let v = value;
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}
