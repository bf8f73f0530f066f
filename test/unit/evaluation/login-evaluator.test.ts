import fc from 'fast-check';
import { defaultPolicy } from '../../../lambdas/core/policy/default-policy';
import { GeoipLiteLocator } from '../../../lambdas/adapters/geoip-lite-locator';
import { UaParserDeviceParser } from '../../../lambdas/adapters/ua-parser-device-parser';
import { ENGINE_SCORER, LoginEvaluator, type LoginEvaluatorOptions } from '../../../tools/evaluation/login-evaluator';
import type { RbaLogin } from '../../../tools/evaluation/rba-row';
import { trafficOptions, UNKNOWN_ACCOUNT_ID, type TrafficLabel } from '../../../tools/evaluation/traffic-generator';
import { applyOverrides, worldPreset } from '../../../tools/evaluation/traffic-world';
import { BUNDLED_DATA_DIR, loadUserAgentPool } from '../../../tools/evaluation/user-agent-pool';
import { buildGenerator } from '../../../tools/evaluation/write-traffic';

const DATA = BUNDLED_DATA_DIR;
const locator = new GeoipLiteLocator();
const devices = new UaParserDeviceParser();

let rows: RbaLogin[] = [];
let labels = new Map<number, TrafficLabel>();

beforeAll(async () => {
  const generator = buildGenerator(
    trafficOptions(
      31,
      1500,
      applyOverrides(worldPreset('first-table'), [
        'attack.takeoverShare.naive=0.03',
        'attack.takeoverShare.vpn=0.03',
        'attack.takeoverShare.targeted=0.03',
        'attack.stuffingShare=0.05',
      ]),
      6,
    ),
    locator,
    await loadUserAgentPool(DATA),
    60_000,
  );
  const logins = generator.generate();
  rows = logins.map((l) => l.row);
  labels = new Map(logins.map((l) => [l.row.index, l.label]));
});

const options = (): LoginEvaluatorOptions => ({
  policy: defaultPolicy,
  action: 'auth.sign_in',
  warmupDays: 1,
  threatFeed: true,
  unknownUserId: UNKNOWN_ACCOUNT_ID,
  labelOf: (i) => labels.get(i),
  history: { hotProfiles: 100, maxUsers: 100_000, maxGlobalKeys: 100_000 },
});

function scores(input: RbaLogin[], upTo: number): number[] {
  const evaluator = new LoginEvaluator({ scorer: ENGINE_SCORER, locator, devices }, options());
  return input.slice(0, upTo + 1).map((row) => evaluator.process(row).score);
}

describe('LoginEvaluator', () => {
  it("never lets a row's outcome columns change that row's own score (or any earlier one)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1499 }), fc.boolean(), fc.boolean(), (i, flipSuccess, flipTakeover) => {
        const flipped = rows.map((r, k) =>
          k === i
            ? {
                ...r,
                loginSuccessful: flipSuccess ? !r.loginSuccessful : r.loginSuccessful,
                isAccountTakeover: flipTakeover ? !r.isAccountTakeover : r.isAccountTakeover,
              }
            : r,
        );
        expect(scores(flipped, i)).toEqual(scores(rows, i));
      }),
      { numRuns: 12 },
    );
  });

  it('lets the outcome shape what follows: a stopped takeover is not learned, a passed step-up is', () => {
    const evaluator = new LoginEvaluator({ scorer: ENGINE_SCORER, locator, devices }, options());
    const base: RbaLogin = {
      index: 0,
      timestamp: Date.UTC(2020, 1, 3, 8),
      userId: 'alice',
      ip: '84.213.38.40',
      country: 'NO',
      region: '03',
      city: 'Oslo',
      asn: '2119',
      userAgent:
        'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/86.0.4240.75 Safari/537.36',
      loginSuccessful: true,
      isAttackIp: false,
      isAccountTakeover: false,
    };
    for (let d = 0; d < 5; d++) evaluator.process({ ...base, index: d, timestamp: base.timestamp + d * 86_400_000 });
    const attacker = {
      ...base,
      ip: '45.33.32.156',
      country: 'US',
      region: 'CA',
      city: 'Fremont',
      asn: '63949',
      userAgent: 'Mozilla/5.0 (X11; Linux x86_64; rv:81.0) Gecko/20100101 Firefox/81.0',
    };
    const t = base.timestamp + 6 * 86_400_000;
    const first = evaluator.process({ ...attacker, index: 10, timestamp: t, isAccountTakeover: true });
    expect(first.decision).not.toBe('allow');
    const again = evaluator.process({ ...attacker, index: 11, timestamp: t + 600_000, isAccountTakeover: true });
    expect(again.score).toBe(first.score);
    expect(evaluator.velocity.counts('alice', attacker.ip, t + 600_001).userFailedStepUps).toBeGreaterThan(0);
    // The same context, this time the owner abroad who passes the step-up: afterwards it is familiar.
    evaluator.process({ ...attacker, index: 12, timestamp: t + 1_200_000 });
    const later = evaluator.process({ ...attacker, index: 13, timestamp: t + 30 * 3_600_000 });
    expect(later.score).toBeLessThan(first.score);
    expect(later.decision).toBe('allow');
  });

  it('reports first logins and the warm-up apart from users with history', () => {
    const evaluator = new LoginEvaluator({ scorer: ENGINE_SCORER, locator, devices }, options());
    const results = rows.map((r) => evaluator.process(r));
    const dayOne = rows[0]!.timestamp + 86_400_000;
    for (const [k, r] of results.entries()) {
      if (rows[k]!.timestamp < dayOne) expect(r.segment).toBe('warm-up');
      else if (r.segment === 'with-history') expect(r.bucket).not.toBe('0');
      else if (r.segment === 'first-login') expect(r.bucket).toBe('0');
    }
    expect(Object.values(evaluator.segmentRows).reduce((a, b) => a + b, 0)).toBe(rows.length);
    const summary = evaluator.summary();
    expect(summary.headline.models.map((m) => m.model)).toEqual(['naive', 'stuffing', 'targeted', 'vpn']);
  });
});
