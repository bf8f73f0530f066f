import { mkdtemp, readFile, rm } from 'node:fs/promises';
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
    expect(report.performance.peakRssMB).toBeGreaterThan(0);
    const html = await readFile(join(out, 'report.html'), 'utf8');
    expect(html).toContain('<svg');
    expect(html).not.toMatch(/<script|<link|\bsrc=|url\(/i);
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
