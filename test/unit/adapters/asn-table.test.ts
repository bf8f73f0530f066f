import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { openRangeFile } from '../../../tools/network-data/asn-range-files';
import { buildAsnTable, NetworkDataError, type AsnRange } from '../../../tools/network-data/asn-table-builder';
import { AsnTableFormatError } from '../../../lambdas/adapters/asn-table/asn-table-format';
import { AsnTableLocator } from '../../../lambdas/adapters/asn-table/asn-table-locator';
import { bundledPackage, ensureBundledAsnTable, rangesOf } from '../../../tools/network-data/ip-location-db-asn';

const MMDB_FIXTURE = join(__dirname, '../../fixtures/network/GeoLite2-ASN-Test.mmdb');

describe('the ASN table built from the bundled @ip-location-db/asn', () => {
  let table: AsnTableLocator;
  beforeAll(() => {
    table = AsnTableLocator.fromFile(ensureBundledAsnTable());
  });

  it.each([
    ['8.8.8.8', 15169, 'Google LLC', '8.8.8.0/24'],
    ['1.1.1.1', 13335, 'Cloudflare, Inc.', '1.1.1.0/24'],
    ['2001:4860:4860::8888', 15169, 'Google LLC', '2001:4860:4840::/42'],
    // IPv4-mapped IPv6 is the IPv4 address.
    ['::ffff:8.8.8.8', 15169, 'Google LLC', '8.8.8.0/24'],
  ])('%s → AS%d', (ip, asn, org, prefix) => {
    expect(table.lookup(ip)).toEqual({ asn, org, prefix });
  });

  it.each(['10.0.0.1', '::1', '192.168.1.1', '100.64.0.1', 'fd00::1', '203.0.113.7', '::ffff:10.0.0.1'])(
    '%s (private or reserved) → no network',
    (ip) => {
      expect(table.lookup(ip)).toBeUndefined();
    },
  );

  it('answers no network for garbage instead of throwing', () => {
    expect(table.lookup('not an ip')).toBeUndefined();
    expect(table.lookup('')).toBeUndefined();
    expect(table.lookup('1.2.3.4.5')).toBeUndefined();
  });

  it('says where its data comes from and of when', () => {
    const pkg = bundledPackage();
    expect(table.info).toEqual({
      source: '@ip-location-db/asn',
      version: pkg.version,
      dataDate: pkg.dataDate,
      ipv4Ranges: expect.any(Number) as number,
      ipv6Ranges: expect.any(Number) as number,
    });
    expect(table.info.ipv4Ranges).toBeGreaterThan(300_000);
    expect(table.info.ipv6Ranges).toBeGreaterThan(80_000);
  });

  it('resolves the overlap in the upstream data the way routing does: the more specific range wins', () => {
    // asn-ipv4.csv lists 214.95.0.0-215.0.255.255 (AS749) and then 215.0.0.0-215.1.3.255 (AS721).
    expect(table.lookup('214.96.0.1')?.asn).toBe(749);
    expect(table.lookup('215.0.0.1')?.asn).toBe(721);
    expect(table.lookup('215.1.3.255')?.asn).toBe(721);
  });
});

/** Ranges as a source file would list them (`source` is only for error messages). */
function v4(start: string, end: string, asn: number, org = `AS${asn} org`): AsnRange {
  const n = (ip: string) => BigInt(ip.split('.').reduce((a, b) => a * 256 + Number(b), 0));
  return { version: 4, start: n(start), end: n(end), asn, org, source: `test ${start}` };
}

function v6(start: bigint, end: bigint, asn: number): AsnRange {
  return { version: 6, start, end, asn, org: `AS${asn} org`, source: 'test v6' };
}

const build = (ranges: AsnRange[]) =>
  new AsnTableLocator(buildAsnTable(ranges, { source: 'test', dataDate: '2026-01-02' }));

describe('buildAsnTable', () => {
  it('lets the more specific of nested ranges win inside it, and the wider one around it', () => {
    const t = build([v4('20.0.0.0', '20.0.255.255', 1), v4('20.0.16.0', '20.0.16.255', 2)]);
    expect(t.lookup('20.0.15.255')).toEqual({ asn: 1, org: 'AS1 org', prefix: '20.0.0.0/20' });
    expect(t.lookup('20.0.16.0')).toEqual({ asn: 2, org: 'AS2 org', prefix: '20.0.16.0/24' });
    expect(t.lookup('20.0.16.255')?.asn).toBe(2);
    expect(t.lookup('20.0.17.0')).toEqual({ asn: 1, org: 'AS1 org', prefix: '20.0.17.0/24' });
    expect(t.lookup('20.0.255.255')?.asn).toBe(1);
    expect(t.info.ipv4Ranges).toBe(3);
  });

  it('gives the overlap of two partly overlapping ranges to the smaller, or to the first listed when equal', () => {
    const smaller = build([v4('30.0.0.0', '30.0.3.255', 1), v4('30.0.2.0', '30.0.4.255', 2)]);
    expect(smaller.lookup('30.0.1.255')?.asn).toBe(1);
    expect(smaller.lookup('30.0.2.0')?.asn).toBe(2);
    expect(smaller.lookup('30.0.4.255')?.asn).toBe(2);
    const equal = build([v4('30.0.0.0', '30.0.3.255', 1), v4('30.0.2.0', '30.0.5.255', 2)]);
    expect(equal.lookup('30.0.3.255')?.asn).toBe(1);
    expect(equal.lookup('30.0.4.0')?.asn).toBe(2);
  });

  it('merges adjoining ranges of one network and keeps adjoining ranges of two networks apart', () => {
    const t = build([
      v4('40.0.0.0', '40.0.0.255', 7),
      v4('40.0.1.0', '40.0.1.255', 7),
      v4('40.0.2.0', '40.0.2.255', 8),
    ]);
    expect(t.info.ipv4Ranges).toBe(2);
    expect(t.lookup('40.0.0.0')).toEqual({ asn: 7, org: 'AS7 org', prefix: '40.0.0.0/23' });
    expect(t.lookup('40.0.1.255')).toEqual({ asn: 7, org: 'AS7 org', prefix: '40.0.0.0/23' });
    expect(t.lookup('40.0.2.0')).toEqual({ asn: 8, org: 'AS8 org', prefix: '40.0.2.0/24' });
    // The same AS under two spellings of its name stays two networks.
    expect(build([v4('40.0.0.0', '40.0.0.255', 7, 'A'), v4('40.0.1.0', '40.0.1.255', 7, 'B')]).info.ipv4Ranges).toBe(2);
  });

  it('answers no network in a gap between ranges and just outside them', () => {
    const t = build([v4('50.0.0.0', '50.0.0.255', 1), v4('50.0.2.0', '50.0.2.255', 2)]);
    expect(t.lookup('49.255.255.255')).toBeUndefined();
    expect(t.lookup('50.0.1.0')).toBeUndefined();
    expect(t.lookup('50.0.1.255')).toBeUndefined();
    expect(t.lookup('50.0.3.0')).toBeUndefined();
  });

  it('sorts unsorted input', () => {
    const t = build([v4('60.0.2.0', '60.0.2.255', 2), v4('60.0.0.0', '60.0.0.255', 1)]);
    expect(t.lookup('60.0.0.1')?.asn).toBe(1);
    expect(t.lookup('60.0.2.1')?.asn).toBe(2);
  });

  it('handles ranges that run to the end of the IPv4 and IPv6 spaces, overlaps included', () => {
    // The top addresses themselves are multicast (reserved: no network); the last public ones are below them.
    const top6 = (1n << 128n) - 1n;
    const t = build([
      v4('1.0.0.0', '255.255.255.255', 1),
      v4('223.255.255.0', '255.255.255.255', 2),
      v6(0x2000n << 112n, top6, 3),
      v6((0x3ffen << 112n) + 5n, top6, 4),
    ]);
    expect(t.lookup('1.0.0.0')?.asn).toBe(1);
    expect(t.lookup('223.255.254.255')?.asn).toBe(1);
    expect(t.lookup('223.255.255.255')).toEqual({ asn: 2, org: 'AS2 org', prefix: '223.255.255.0/24' });
    expect(t.lookup('255.255.255.255')).toBeUndefined();
    expect(t.lookup('2000::')).toEqual({ asn: 3, org: 'AS3 org', prefix: '2000::/4' });
    expect(t.lookup('3ffe::4')?.asn).toBe(3);
    expect(t.lookup('3ffe::5')).toEqual({ asn: 4, org: 'AS4 org', prefix: '3ffe::5/128' });
    expect(t.lookup('3ffe:ffff:ffff:ffff:ffff:ffff:ffff:ffff')).toMatchObject({ asn: 4, prefix: '3ffe:8000::/17' });
    expect(t.info).toMatchObject({ ipv4Ranges: 2, ipv6Ranges: 2 });
  });

  it('keeps the IPv4 and IPv6 spaces apart', () => {
    const only4 = build([v4('8.0.0.0', '8.255.255.255', 1)]);
    const only6 = build([v6(0x2000n << 112n, (0x2001n << 112n) - 1n, 2)]);
    expect(only4.lookup('2000::8.0.0.1')).toBeUndefined();
    expect(only6.lookup('0.0.0.0')).toBeUndefined();
    expect(only6.lookup('32.0.0.1')).toBeUndefined();
    expect(only6.lookup('2000::1')?.asn).toBe(2);
  });

  it('gives the same bytes for the same input', () => {
    const ranges = [
      v4('70.0.0.0', '70.0.0.255', 1),
      v4('70.0.0.128', '70.0.1.255', 2),
      v6(0x2a00n << 112n, (0x2a01n << 112n) - 1n, 3),
    ];
    const a = buildAsnTable(ranges, { source: 's', version: '1', dataDate: '2026-01-02' });
    const b = buildAsnTable([...ranges], { source: 's', version: '1', dataDate: '2026-01-02' });
    expect(a.equals(b)).toBe(true);
  });

  it('refuses a range that ends before it starts, or an AS number outside 1-4294967295', () => {
    expect(() => build([v4('9.0.0.9', '9.0.0.1', 1)])).toThrow(
      new NetworkDataError('test 9.0.0.9: range starts after it ends'),
    );
    expect(() => build([v4('9.0.0.0', '9.0.0.1', 4_294_967_296)])).toThrow(/outside 1-4294967295/);
    expect(() => build([v4('9.0.0.0', '9.0.0.1', 1.5)])).toThrow(NetworkDataError);
  });
});

describe('range files', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'stepgate-asn-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const file = (name: string, content: string | Buffer) => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };
  const tableOf = (...paths: string[]) =>
    new AsnTableLocator(buildAsnTable(rangesOf(paths.map(openRangeFile)), { source: 't', dataDate: '2026-01-02' }));

  it('reads ip-location-db CSVs: quoted names with commas and quotes, IPv4 and IPv6 files, CRLF', () => {
    const t = tableOf(
      file(
        'asn-ipv4.csv',
        '1.0.0.0,1.0.0.255,13335,"Cloudflare, Inc."\r\n1.0.4.0,1.0.7.255,AS38803,"The ""Best"" ISP"\r\n',
      ),
      file('asn-ipv6.csv', '2001:200::,2001:200:1b9:ffff:ffff:ffff:ffff:ffff,2500,WIDE Project\n'),
    );
    expect(t.lookup('1.0.0.1')).toEqual({ asn: 13335, org: 'Cloudflare, Inc.', prefix: '1.0.0.0/24' });
    expect(t.lookup('1.0.5.1')).toEqual({ asn: 38803, org: 'The "Best" ISP', prefix: '1.0.4.0/22' });
    expect(t.lookup('2001:200::1')?.asn).toBe(2500);
  });

  it('reads gzipped iptoasn TSVs and skips "Not routed" (AS 0)', () => {
    const tsv = ['1.0.0.0\t1.0.0.255\t13335\tUS\tCLOUDFLARENET', '1.0.1.0\t1.0.3.255\t0\tNone\tNot routed', ''].join(
      '\n',
    );
    const t = tableOf(file('ip2asn-v4.tsv.gz', gzipSync(tsv)));
    expect(t.lookup('1.0.0.9')).toEqual({ asn: 13335, org: 'CLOUDFLARENET', prefix: '1.0.0.0/24' });
    expect(t.lookup('1.0.2.1')).toBeUndefined();
  });

  it('reads an ASN MaxMind DB (MaxMind test data) with its build date, IPv4 and IPv6', () => {
    const mmdb = openRangeFile(MMDB_FIXTURE);
    expect(mmdb).toMatchObject({ kind: 'mmdb', dataDate: '2026-02-04' });
    const t = tableOf(MMDB_FIXTURE);
    expect(t.lookup('1.128.0.1')).toEqual({ asn: 1221, org: 'Telstra Pty Ltd', prefix: '1.128.0.0/11' });
    expect(t.lookup('12.81.92.5')).toEqual({ asn: 7018, org: 'AT&T Services', prefix: '12.81.92.0/22' });
    // Without an organisation in the record the name is empty.
    expect(t.lookup('12.81.96.1')).toEqual({ asn: 7018, org: '', prefix: '12.81.96.0/19' });
    expect(t.lookup('2001:1700::1')).toEqual({ asn: 6730, org: 'Sunrise Communications AG', prefix: '2001:1700::/27' });
    expect(t.lookup('2.0.0.1')).toBeUndefined();
  });

  it.each([
    ['bad.csv', '1.0.0.0,1.0.0.255,1,a\n1.0.1.0,1.0.1.999,2,b\n', 'bad.csv:2: end "1.0.1.999" is not an IP address'],
    ['few.csv', '1.0.0.0,1.0.0.255\n', 'few.csv:1: expected start, end, AS number[, organisation]; got 2 field(s)'],
    ['asn.csv', '1.0.0.0,1.0.0.255,ASX,a\n', 'asn.csv:1: AS number "ASX" is not a number'],
    ['mixed.csv', '1.0.0.0,2001::1,5,a\n', 'mixed.csv:1: start and end are different IP versions'],
    ['as.csv', '1.0.0.0,1.0.0.255,AS,a\n', 'as.csv:1: AS number "AS" is not a number'],
    ['long.csv', '1.0.0.0,1.0.0.255,12345678901,a\n', 'long.csv:1: AS number "12345678901" is not a number'],
    ['big.csv', '1.0.0.0,1.0.0.255,4294967296,a\n', 'big.csv:1: AS number 4294967296 is outside 1-4294967295'],
    ['order.csv', '\n\n1.0.0.9,1.0.0.1,5,a\n', 'order.csv:3: range starts after it ends'],
    ['quote.csv', '1.0.0.0,1.0.0.255,5,"unterminated\n', 'quote.csv:1: unterminated quoted field'],
    ['asn-ipv4-num.csv', '16777216,16777471,13335,x\n', 'asn-ipv4-num.csv:1: start "16777216" is not an IP address'],
    ['bad.tsv', '1.0.0.0\tx\t5\n', 'bad.tsv:1: end "x" is not an IP address'],
  ])('names the file and line of a malformed line (%s)', (name, content, message) => {
    const path = file(name, content);
    expect(() => tableOf(path)).toThrow(NetworkDataError);
    expect(() => tableOf(path)).toThrow(message);
  });

  it('refuses files it cannot read as ranges', () => {
    expect(() => openRangeFile(file('ranges.json', '[]'))).toThrow('ranges.json: unknown format');
    expect(() => openRangeFile(file('not.mmdb', 'hello'))).toThrow(/not.mmdb: not a MaxMind DB/);
    expect(() => openRangeFile(join(dir, 'missing.csv'))).toThrow(/cannot read .*missing.csv: ENOENT/);
  });
});

describe('AsnTableLocator on a damaged file', () => {
  it('refuses a file that is not a table, or is cut short, with a clear error', () => {
    const table = buildAsnTable([v4('1.0.0.0', '1.0.0.255', 1)], { source: 't', dataDate: '2026-01-02' });
    expect(() => new AsnTableLocator(Buffer.from('not a table at all'))).toThrow(AsnTableFormatError);
    expect(() => new AsnTableLocator(table.subarray(0, table.length - 8))).toThrow('truncated ASN table');
    const other = Buffer.from(table);
    other.writeUInt32LE(99, 8);
    expect(() => new AsnTableLocator(other)).toThrow(/format 99/);
  });

  it('reads a table from memory that is not 4-byte aligned', () => {
    const table = buildAsnTable([v4('1.0.0.0', '1.0.0.255', 1)], { source: 't', dataDate: '2026-01-02' });
    const shifted = Buffer.alloc(table.length + 1);
    table.copy(shifted, 1);
    expect(new AsnTableLocator(shifted.subarray(1)).lookup('1.0.0.7')?.asn).toBe(1);
  });
});
