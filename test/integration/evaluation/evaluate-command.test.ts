import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { evaluateCommand } from '../../../bin/commands/evaluate';

const SAMPLE = join(__dirname, '../../fixtures/rba-sample.csv');

describe('stepgate evaluate on the RBA dataset sample', () => {
  let out: string;
  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), 'stepgate-eval-'));
  });
  afterAll(async () => {
    await rm(out, { recursive: true, force: true });
  });

  it('scores all 19 rows and writes rows.jsonl, report.json and a self-contained report.html', async () => {
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      expect(
        await evaluateCommand.run(['--input', SAMPLE, '--out', out, '--quiet', '--warmup-days', '0', '--heap-mb', '0']),
      ).toBe(0);
    } finally {
      log.mockRestore();
    }
    const rows = (await readFile(join(out, 'rows.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { index: number; decision: string; score: number });
    expect(rows.map((r) => r.index)).toEqual([...Array(19).keys()]);
    for (const r of rows) {
      expect(['allow', 'step_up', 'deny']).toContain(r.decision);
      expect(r.score).toBeGreaterThanOrEqual(0);
      expect(r.score).toBeLessThanOrEqual(100);
    }
    const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
    // 11 users with one login each and 8 logins to unknown accounts: nothing has history yet.
    expect(report.rows).toMatchObject({ total: 19, 'with-history': 0, 'unknown-account': 8, 'first-login': 11 });
    expect(report.action).toBe('auth.sign_in');
    // The dataset's ASN column is kept: its IP addresses were regenerated and belong to other networks.
    expect(report.asn).toMatchObject({ source: "the CSV's ASN column", rows: { csv: 19, lookup: 0, none: 0 } });
    expect(report.performance.peakRssMB).toBeGreaterThan(0);
    const html = await readFile(join(out, 'report.html'), 'utf8');
    expect(html).toContain('<svg');
    expect(html).not.toMatch(/<script|<link|\bsrc=|url\(/i);
  });

  it('looks AS numbers up when the CSV has no ASN column, and says so in the report', async () => {
    // One user at home on AT&T in New York, then on another AT&T block in New York, then on Charter in New York,
    // then on a private address.
    const ua = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0';
    const rows = [
      ...Array.from({ length: 6 }, (_, i) => `${i},2026-03-0${i + 1} 09:00:00,u1,12.45.10.20,US,New York,${ua},True`),
      `6,2026-03-07 09:00:00,u1,12.14.1.10,US,New York,${ua},True`,
      `7,2026-03-08 09:00:00,u1,24.193.1.10,US,New York,${ua},True`,
      `8,2026-03-09 09:00:00,u1,10.0.0.1,US,New York,${ua},True`,
    ];
    const input = join(out, 'no-asn.csv');
    await writeFile(
      input,
      `index,Login Timestamp,User ID,IP Address,Country,City,User Agent String,Login Successful\n${rows.join('\n')}\n`,
    );
    const run = async (dir: string, env: Record<string, string | undefined>) => {
      const saved = process.env.STEPGATE_NETWORK_DATA;
      const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
      const err = jest.spyOn(console, 'error').mockImplementation(() => undefined);
      try {
        if (env.STEPGATE_NETWORK_DATA === undefined) delete process.env.STEPGATE_NETWORK_DATA;
        else process.env.STEPGATE_NETWORK_DATA = env.STEPGATE_NETWORK_DATA;
        const args = ['--input', input, '--out', join(out, dir), '--quiet', '--warmup-days', '0', '--heap-mb', '0'];
        expect(await evaluateCommand.run(args)).toBe(0);
      } finally {
        if (saved === undefined) delete process.env.STEPGATE_NETWORK_DATA;
        else process.env.STEPGATE_NETWORK_DATA = saved;
        log.mockRestore();
        err.mockRestore();
      }
      const report = JSON.parse(await readFile(join(out, dir, 'report.json'), 'utf8'));
      const scores = (await readFile(join(out, dir, 'rows.jsonl'), 'utf8'))
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { score: number }).score);
      return { report, scores };
    };
    const looked = await run('lookup', {});
    expect(looked.report.asn).toMatchObject({
      rows: { csv: 0, lookup: 8, none: 1 },
      networkData: { source: '@ip-location-db/asn' },
    });
    expect(looked.report.asn.source).toMatch(/^network lookup \(@ip-location-db\/asn .*\); none for 1 row \(/);
    const off = await run('off', { STEPGATE_NETWORK_DATA: 'off' });
    expect(off.report.asn).toMatchObject({ rows: { csv: 0, lookup: 0, none: 9 }, networkData: null });
    // Only the lookup tells the user's provider from another one in the same city. Without it the network is the
    // address block (/24): another block of the user's own provider looks as new as another provider (measured:
    // 23 off, 2 with the lookup), and the other provider, after a new block was already seen, weighs less (15 off,
    // 24 with the lookup).
    expect(off.scores[6]! - looked.scores[6]!).toBeGreaterThanOrEqual(15);
    expect(looked.scores[7]! - off.scores[7]!).toBeGreaterThanOrEqual(5);
    expect(looked.scores[7]!).toBeGreaterThan(looked.scores[6]!);
  });

  it('explains bad input instead of failing with a stack', async () => {
    await expect(evaluateCommand.run(['--out', out])).rejects.toThrow(/--input and --out are required/);
    await expect(evaluateCommand.run(['--input', SAMPLE, '--out', out, '--action', 'nope.nope'])).rejects.toThrow(
      /no action "nope.nope"/,
    );
    await expect(
      evaluateCommand.run([
        '--input',
        join(__dirname, '../../fixtures/README.md'),
        '--out',
        out,
        '--quiet',
        '--heap-mb',
        '0',
      ]),
    ).rejects.toThrow(/missing column/);
  });
});
