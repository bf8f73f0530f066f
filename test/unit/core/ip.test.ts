import fc from 'fast-check';
import {
  cidrContains,
  classifyIp,
  formatCidr,
  formatIp,
  ipPrefix,
  parseCidr,
  parseIp,
  type CidrRange,
  type IpAddress,
} from '../../../lambdas/core/net/ip';

function ip(s: string): IpAddress {
  const a = parseIp(s);
  if (!a) throw new Error(`fixture ${s} does not parse`);
  return a;
}

function cidr(s: string): CidrRange {
  const r = parseCidr(s);
  if (!r) throw new Error(`fixture ${s} does not parse`);
  return r;
}

describe('parseIp', () => {
  it.each([
    ['1.2.3.4', 4, '1.2.3.4'],
    ['0.0.0.0', 4, '0.0.0.0'],
    ['255.255.255.255', 4, '255.255.255.255'],
    ['2001:db8:0:0:0:0:2:1', 6, '2001:db8::2:1'],
    ['2001:DB8::1', 6, '2001:db8::1'],
    ['::1', 6, '::1'],
    ['::', 6, '::'],
    ['1::', 6, '1::'],
    ['fe80::1:2', 6, 'fe80::1:2'],
    ['1:2:3:4:5:6:7:8', 6, '1:2:3:4:5:6:7:8'],
    ['2001:db8:0:1:0:0:0:1', 6, '2001:db8:0:1::1'],
    ['2001:0db8:0000:0000:0001:0000:0000:0001', 6, '2001:db8::1:0:0:1'],
    ['64:ff9b::192.0.2.33', 6, '64:ff9b::c000:221'],
    ['::ffff:1.2.3.4', 4, '1.2.3.4'],
    ['::FFFF:10.0.0.1', 4, '10.0.0.1'],
    ['0:0:0:0:0:ffff:c0a8:0101', 4, '192.168.1.1'],
  ])('%s → IPv%d %s', (text, version, canonical) => {
    const a = parseIp(text);
    expect(a?.version).toBe(version);
    expect(a && formatIp(a)).toBe(canonical);
  });

  it('marks IPv4-mapped addresses', () => {
    expect(ip('::ffff:1.2.3.4').v4Mapped).toBe(true);
    expect(ip('1.2.3.4').v4Mapped).toBeUndefined();
  });

  it.each([
    '',
    ' 1.2.3.4',
    '1.2.3.4 ',
    '1.2.3',
    '1.2.3.4.5',
    '256.0.0.1',
    '01.2.3.4',
    '1.2.3.-4',
    '1..3.4',
    '1:2:3:4:5:6:7:8:9',
    '1::2::3',
    ':::',
    ':1',
    '1:',
    '12345::',
    'g::1',
    'fe80::1%eth0',
    '1.2.3.4:80',
    '::1.2.3.4:5',
    '1.2.3.4::',
    'localhost',
    '1'.repeat(100),
  ])('rejects %j', (text) => {
    expect(parseIp(text)).toBeUndefined();
  });

  it('round-trips every IPv4 address through its canonical text', () => {
    fc.assert(
      fc.property(fc.ipV4(), (text) => {
        expect(formatIp(ip(text))).toBe(text);
      }),
    );
  });

  it('parses any IPv6 text fast-check generates and formats it back to an equal address', () => {
    fc.assert(
      fc.property(fc.ipV6(), (text) => {
        const a = ip(text);
        expect(ip(formatIp(a)).bytes).toEqual(a.bytes);
      }),
    );
  });
});

describe('parseCidr / cidrContains', () => {
  it.each([
    ['10.0.0.0/8', '10.255.1.2', true],
    ['10.0.0.0/8', '11.0.0.1', false],
    ['192.168.0.0/16', '192.168.200.1', true],
    ['172.16.0.0/12', '172.31.255.255', true],
    ['172.16.0.0/12', '172.32.0.0', false],
    ['203.0.113.7', '203.0.113.7', true],
    ['203.0.113.7', '203.0.113.8', false],
    ['0.0.0.0/0', '8.8.8.8', true],
    ['0.0.0.0/0', '2001:db8::1', false],
    ['2001:db8::/32', '2001:db8:ffff::1', true],
    ['2001:db8::/32', '2001:db9::1', false],
    ['2001:db8::/33', '2001:db8:7fff::1', true],
    ['2001:db8::/33', '2001:db8:8000::1', false],
    ['::/0', '::1', true],
    ['::1', '::1', true],
    ['10.0.0.0/8', '::ffff:10.1.2.3', true],
    ['::ffff:10.0.0.0/104', '10.9.9.9', true],
  ])('%s contains %s: %s', (range, addr, expected) => {
    expect(cidrContains(cidr(range), ip(addr))).toBe(expected);
  });

  it.each([
    '10.0.0.1/8',
    '10.0.0.0/33',
    '2001:db8::/129',
    '10.0.0.0/',
    '10.0.0.0/08',
    '10.0.0.0/x',
    'nope/8',
    '::ffff:1.0.0.0/90',
  ])('rejects %j', (text) => {
    expect(parseCidr(text)).toBeUndefined();
  });

  it('masks host bits when not strict', () => {
    expect(formatCidr(parseCidr('10.1.2.3/8', { strict: false })!)).toBe('10.0.0.0/8');
    expect(formatCidr(parseCidr('2001:db8:1:2::1/48', { strict: false })!)).toBe('2001:db8:1::/48');
  });

  it('contains exactly the addresses that share the prefix bits (property)', () => {
    fc.assert(
      fc.property(fc.ipV4(), fc.ipV4(), fc.integer({ min: 0, max: 32 }), (a, b, bits) => {
        const range = parseCidr(`${a}/${bits}`, { strict: false })!;
        const toInt = (s: string) => s.split('.').reduce((n, o) => n * 256 + Number(o), 0);
        const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
        const same = (toInt(a) & mask) >>> 0 === (toInt(b) & mask) >>> 0;
        expect(cidrContains(range, ip(b))).toBe(same);
      }),
    );
  });
});

describe('classifyIp', () => {
  it.each([
    ['8.8.8.8', 'public', 'global'],
    ['81.167.144.58', 'public', 'global'],
    ['10.0.0.1', 'private', 'private'],
    ['10.255.255.255', 'private', 'private'],
    ['172.16.5.4', 'private', 'private'],
    ['192.168.1.1', 'private', 'private'],
    ['100.64.0.1', 'private', 'cgnat'],
    ['100.127.255.255', 'private', 'cgnat'],
    ['100.128.0.1', 'public', 'global'],
    ['169.254.1.1', 'private', 'link_local'],
    ['127.0.0.1', 'loopback', 'loopback'],
    ['127.255.0.9', 'loopback', 'loopback'],
    ['192.0.2.1', 'reserved', 'documentation'],
    ['198.51.100.7', 'reserved', 'documentation'],
    ['203.0.113.7', 'reserved', 'documentation'],
    ['198.18.0.1', 'reserved', 'benchmarking'],
    ['224.0.0.1', 'reserved', 'multicast'],
    ['240.0.0.1', 'reserved', 'reserved'],
    ['255.255.255.255', 'reserved', 'reserved'],
    ['0.0.0.0', 'reserved', 'unspecified'],
    ['::1', 'loopback', 'loopback'],
    ['::', 'reserved', 'unspecified'],
    ['fc00::1', 'private', 'ula'],
    ['fd12:3456::1', 'private', 'ula'],
    ['fe80::1', 'private', 'link_local'],
    ['febf::1', 'private', 'link_local'],
    ['ff02::1', 'reserved', 'multicast'],
    ['2001:db8::1', 'reserved', 'documentation'],
    ['2a00:1450:4001::1', 'public', 'global'],
    ['2001:4860:4860::8888', 'public', 'global'],
    ['::ffff:192.168.0.1', 'private', 'private'],
    ['::ffff:8.8.8.8', 'public', 'global'],
    ['64:ff9b::10.0.0.1', 'private', 'private'],
    ['64:ff9b::8.8.8.8', 'public', 'global'],
    ['4000::1', 'reserved', 'reserved'],
  ])('%s is %s (%s)', (addr, kind, range) => {
    expect(classifyIp(ip(addr))).toEqual({ kind, range });
  });
});

describe('ipPrefix', () => {
  it.each([
    ['203.0.113.77', '203.0.113.0/24'],
    ['::ffff:203.0.113.77', '203.0.113.0/24'],
    ['2001:db8:1234:5678::1', '2001:db8:1234::/48'],
    ['2a00:1450:4001:81c::200e', '2a00:1450:4001::/48'],
  ])('%s → %s', (addr, prefix) => {
    expect(ipPrefix(ip(addr))).toBe(prefix);
  });

  it('always contains the address it was computed from (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), (text) => {
        const a = ip(text);
        expect(cidrContains(cidr(ipPrefix(a)), a)).toBe(true);
      }),
    );
  });
});
