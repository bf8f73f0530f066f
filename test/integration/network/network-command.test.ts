import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CliError } from '../../../bin/cli';
import { networkCommand } from '../../../bin/commands/network';

const MMDB_FIXTURE = join(__dirname, '../../fixtures/network/GeoLite2-ASN-Test.mmdb');

/** Runs the command and returns its exit code and the lines it printed on stdout. */
async function run(args: string[]): Promise<{ code: number; lines: string[] }> {
  const chunks: string[] = [];
  const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  });
  const log = jest.spyOn(console, 'log').mockImplementation((...parts: unknown[]) => {
    chunks.push(`${parts.map(String).join(' ')}\n`);
  });
  try {
    const code = await networkCommand.run(args);
    return { code, lines: chunks.join('').split('\n').filter(Boolean) };
  } finally {
    write.mockRestore();
    log.mockRestore();
  }
}

describe('stepgate network', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'stepgate-network-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('lookup prints one JSON line per address, asn null where there is no network', async () => {
    const { code, lines } = await run([
      'lookup',
      '8.8.8.8',
      '1.1.1.1',
      '2001:4860:4860::8888',
      '::ffff:8.8.8.8',
      '10.0.0.1',
      '::1',
    ]);
    expect(code).toBe(0);
    expect(lines.map((l) => JSON.parse(l) as unknown)).toEqual([
      { ip: '8.8.8.8', asn: 15169, org: 'Google LLC', prefix: '8.8.8.0/24' },
      { ip: '1.1.1.1', asn: 13335, org: 'Cloudflare, Inc.', prefix: '1.1.1.0/24' },
      { ip: '2001:4860:4860::8888', asn: 15169, org: 'Google LLC', prefix: '2001:4860:4840::/42' },
      { ip: '::ffff:8.8.8.8', asn: 15169, org: 'Google LLC', prefix: '8.8.8.0/24' },
      { ip: '10.0.0.1', asn: null, org: null, prefix: null },
      { ip: '::1', asn: null, org: null, prefix: null },
    ]);
  });

  it('lookup answers a malformed address in line and exits 1', async () => {
    const { code, lines } = await run(['lookup', 'nonsense', '9.9.9.9']);
    expect(code).toBe(1);
    expect(JSON.parse(lines[0]!)).toEqual({
      ip: 'nonsense',
      asn: null,
      org: null,
      prefix: null,
      error: 'not an IP address',
    });
    expect(JSON.parse(lines[1]!)).toMatchObject({ ip: '9.9.9.9', asn: 19281 });
  });

  it('build turns newer upstream files into a table that lookup and info read', async () => {
    const v4 = join(dir, 'asn-ipv4.csv');
    const v6 = join(dir, 'asn-ipv6.csv');
    writeFileSync(v4, '8.8.8.0,8.8.8.255,15169,Google LLC\n1.1.1.0,1.1.1.255,13335,"Cloudflare, Inc."\n');
    writeFileSync(v6, '2001:4860::,2001:4860:ffff:ffff:ffff:ffff:ffff:ffff,15169,Google LLC\n');
    const out = join(dir, 'out', 'asn.bin');
    const built = await run(['build', '--in', v4, '--in', v6, '--out', out, '--data-date', '2026-07-01']);
    expect(built.code).toBe(0);
    expect(built.lines[0]).toMatch(/asn\.bin: 2 IPv4 \+ 1 IPv6 ranges, data of 2026-07-01/);
    const looked = await run(['lookup', '--data', out, '1.1.1.1', '2001:4860::1', '9.9.9.9']);
    expect(looked.lines.map((l) => (JSON.parse(l) as { asn: number | null }).asn)).toEqual([13335, 15169, null]);
    const info = await run(['info', '--data', out]);
    expect(JSON.parse(info.lines[0]!)).toMatchObject({
      source: 'asn-ipv4.csv + asn-ipv6.csv',
      dataDate: '2026-07-01',
      ipv4Ranges: 2,
      ipv6Ranges: 1,
      ageDays: expect.any(Number) as number,
    });
  });

  it('build reads an ASN MMDB and takes its build date as the data date', async () => {
    const out = join(dir, 'mmdb.bin');
    expect((await run(['build', '--in', MMDB_FIXTURE, '--out', out, '--source', 'MaxMind test data'])).code).toBe(0);
    const info = await run(['info', '--data', out]);
    expect(JSON.parse(info.lines[0]!)).toMatchObject({ source: 'MaxMind test data', dataDate: '2026-02-04' });
    const looked = await run(['lookup', '--data', out, '1.128.0.1']);
    expect(JSON.parse(looked.lines[0]!)).toEqual({
      ip: '1.128.0.1',
      asn: 1221,
      org: 'Telstra Pty Ltd',
      prefix: '1.128.0.0/11',
    });
  });

  it('explains bad input instead of failing with a stack', async () => {
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, '8.8.8.0,8.8.8.255,15169,Google LLC\n8.8.9.0,8.8.9.x,1,x\n');
    await expect(run(['build', '--in', bad, '--out', join(dir, 'x.bin')])).rejects.toThrow(
      new CliError('bad.csv:2: end "8.8.9.x" is not an IP address'),
    );
    await expect(run(['build', '--out', join(dir, 'x.bin')])).rejects.toThrow(/--in and --out are required/);
    await expect(run(['build', '--in', bad, '--out', 'x', '--data-date', 'July'])).rejects.toThrow(/YYYY-MM-DD/);
    await expect(run(['lookup', '--data', bad, '8.8.8.8'])).rejects.toThrow(/bad\.csv: not an ASN table/);
    await expect(run(['lookup', '--data', join(dir, 'missing.bin'), '8.8.8.8'])).rejects.toThrow(/ENOENT/);
    await expect(run(['frobnicate'])).rejects.toThrow(/unknown subcommand "frobnicate"/);
  });
});
