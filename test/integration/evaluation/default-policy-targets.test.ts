import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simulateTrafficCommand } from '../../../bin/commands/simulate-traffic';
import { defaultPolicy } from '../../../lambdas/core/policy/default-policy';
import { GeoipLiteLocator } from '../../../lambdas/adapters/geoip-lite-locator';
import { UaParserDeviceParser } from '../../../lambdas/adapters/ua-parser-device-parser';
import { evaluateFile } from '../../../tools/evaluation/evaluate-file';
import { ENGINE_SCORER } from '../../../tools/evaluation/login-evaluator';
import type { PopulationSummary } from '../../../tools/evaluation/evaluation-metrics';
import { UNKNOWN_ACCOUNT_ID } from '../../../tools/evaluation/traffic-generator';

/**
 * The test that justifies the default policy (README, "Detection quality"): on generated traffic from a seed the
 * weights were not tuned on, users with history, the engine must reach the targets at fixed legit friction
 * and the default policy's own friction must stay within 5 %.
 */
describe('the default policy on generated traffic (held-out seed)', () => {
  let dir: string;
  let headline: PopulationSummary;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stepgate-targets-'));
    const csv = join(dir, 'logins.csv');
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      expect(await simulateTrafficCommand.run(['--out', csv, '--rows', '20000', '--seed', '2024'])).toBe(0);
    } finally {
      log.mockRestore();
    }
    const { report } = await evaluateFile(
      {
        scorer: ENGINE_SCORER,
        locator: new GeoipLiteLocator(),
        devices: new UaParserDeviceParser(),
      },
      {
        input: csv,
        outDir: join(dir, 'out'),
        policy: defaultPolicy,
        action: 'auth.sign_in',
        warmupDays: 7,
        threatFeed: true,
        unknownUserId: UNKNOWN_ACCOUNT_ID,
        reorderWindow: 1000,
        history: { hotProfiles: 50_000, maxUsers: 1_000_000, maxGlobalKeys: 1_000_000 },
      },
    );
    headline = report.headline;
    expect(JSON.parse(await readFile(join(dir, 'out', 'report.json'), 'utf8')).labels).toBe(`${csv}.labels.jsonl`);
  }, 120_000);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const at = (model: string, friction: number) => {
    const m = headline.models.find((x) => x.model === model);
    if (!m) throw new Error(`no ${model} rows`);
    expect(m.rows).toBeGreaterThan(80);
    const point = m.atFriction.find((p) => p.maxFriction === friction);
    if (!point) throw new Error(`no operating point at ${friction}`);
    return point.blockRate;
  };

  it('blocks naive attackers: ≥ 95 % at 1 % legit friction, ≥ 99 % at 5 %', () => {
    expect(at('naive', 0.01)).toBeGreaterThanOrEqual(0.95);
    expect(at('naive', 0.05)).toBeGreaterThanOrEqual(0.99);
  });

  it('blocks VPN attackers in the victim’s country: ≥ 95 % at 5 %', () => {
    expect(at('vpn', 0.05)).toBeGreaterThanOrEqual(0.95);
  });

  it('blocks targeted attackers (victim’s region and exact user agent): ≥ 50 % at 5 %', () => {
    expect(at('targeted', 0.05)).toBeGreaterThanOrEqual(0.5);
  });

  it('blocks credential stuffing: ≥ 98.8 % at 1 % (target 99 %, missed)', () => {
    // Target: ≥ 99 % at 1 % legit friction. Measured on this seed: 98.81 %, a miss reported in docs/detection.md;
    // asserted as measured so a further slip fails.
    expect(at('stuffing', 0.01)).toBeGreaterThanOrEqual(0.988);
  });

  it('keeps its own legit friction at or below 5 % while stepping up every naive and stuffing attempt', () => {
    expect(headline.legitLogins).toBeGreaterThan(5000);
    expect(headline.legitFriction).toBeLessThanOrEqual(0.05);
    expect(headline.models.find((m) => m.model === 'naive')?.policyBlockRate).toBeGreaterThanOrEqual(0.99);
    expect(headline.models.find((m) => m.model === 'stuffing')?.policyBlockRate).toBeGreaterThanOrEqual(0.99);
  });
});
