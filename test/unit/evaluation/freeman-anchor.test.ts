import { GeoipLiteLocator } from '../../../lambdas/adapters/geoip-lite-locator';
import { UaParserDeviceParser } from '../../../lambdas/adapters/ua-parser-device-parser';
import { defaultPolicy } from '../../../lambdas/core/policy/default-policy';
import {
  FreemanEvaluator,
  FreemanModel,
  freemanRank,
  type FreemanContext,
} from '../../../tools/evaluation/freeman-anchor';
import { ENGINE_SCORER, LoginEvaluator } from '../../../tools/evaluation/login-evaluator';
import type { RbaLogin } from '../../../tools/evaluation/rba-row';
import { rowFeatures } from '../../../tools/evaluation/row-features';
import { UNKNOWN_ACCOUNT_ID } from '../../../tools/evaluation/traffic-generator';

const A: FreemanContext = ['1.1.1.1', 'AS1', 'NO', 'ua1', 'Chrome 80', 'Windows 10', 'desktop'];
const B: FreemanContext = ['2.2.2.2', 'AS2', 'SE', 'ua2', 'Firefox 70', 'Linux', 'desktop'];
const C: FreemanContext = ['9.9.9.9', 'AS9', 'JP', 'ua9', 'Safari 13', 'iOS 13', 'mobile'];

function model(): FreemanModel {
  const m = new FreemanModel();
  for (let i = 0; i < 3; i++) m.learn('a', A);
  m.learn('b', B);
  return m;
}

describe('Freeman et al. anchor (the dataset authors’ variant of Equation 7)', () => {
  it('scores a new address in the user’s usual network with their usual browser (hand-computed)', () => {
    // G = 4 logins, 2 users; user a: N = 3, all from A.
    // IP: U = 1 + 2 ASNs + 2 countries = 5; the address is unseen: s_0 = 1 / (G + U) = 1/9.
    //   global = 0.6/9 + 0.3 · 3/4 + 0.1 · 3/4 = 0.366667; user = 0.3 · 3/3 + 0.1 · 3/3 = 0.4.
    // UA: U = 1 + 2 + 2 + 1 = 6; g = 3: s_0 = 3/(3+4) · 3/(4+6) = 0.128571.
    //   global = 0.538665 · 0.128571 + (0.268045 + 0.188183) · 3/4 + 0.005107 · 1 = 0.416535; user = 1.
    // risk = 0.916667 · 0.416535 · (1/2) / (3/4) = 0.254549.
    const risk = model().risk('a', ['3.3.3.3', 'AS1', 'NO', 'ua1', 'Chrome 80', 'Windows 10', 'desktop']);
    expect(risk).toBeCloseTo(0.254549, 5);
  });

  it('gives a context the user never had at any level the notebook’s ratio of 4 per feature', () => {
    // 4 · 4 · (1/2) / (1/4) = 32.
    expect(model().risk('b', C)).toBeCloseTo(32, 9);
  });

  it('has no score for a user without history, and ranks a factor of ten as 10 points', () => {
    expect(model().risk('nobody', A)).toBeUndefined();
    expect(freemanRank(undefined)).toBe(100);
    expect(freemanRank(10) - freemanRank(1)).toBeCloseTo(10, 12);
  });

  it('learns every successful login, whoever made it (the model has no step-up)', () => {
    const locator = new GeoipLiteLocator();
    const devices = new UaParserDeviceParser();
    const evaluator = new FreemanEvaluator(
      { locator, devices },
      { warmupDays: 0, unknownUserId: UNKNOWN_ACCOUNT_ID, retentionDays: 90, maxUsers: 1000 },
    );
    const row = (i: number, ip: string, ua: string, ok = true): RbaLogin => ({
      index: i,
      timestamp: Date.UTC(2020, 1, 3) + i * 3_600_000,
      userId: 'alice',
      ip,
      country: 'NO',
      asn: '2119',
      userAgent: ua,
      loginSuccessful: ok,
      isAttackIp: false,
      isAccountTakeover: false,
    });
    evaluator.process(row(0, '84.213.38.40', 'ua-home'));
    const first = evaluator.process(row(1, '45.33.32.156', 'ua-attacker'), undefined, 'naive');
    const again = evaluator.process(row(2, '45.33.32.156', 'ua-attacker'), undefined, 'naive');
    expect(again.rank).toBeLessThan(first.rank);
    expect(first.segment).toBe('with-history');
  });
});

describe('engines side by side', () => {
  it('put every row in the same segment whatever each engine learned', () => {
    const locator = new GeoipLiteLocator();
    const devices = new UaParserDeviceParser();
    const engine = new LoginEvaluator(
      { scorer: ENGINE_SCORER, locator, devices },
      {
        policy: defaultPolicy,
        action: 'auth.sign_in',
        warmupDays: 0,
        threatFeed: false,
        unknownUserId: UNKNOWN_ACCOUNT_ID,
        history: { hotProfiles: 10, maxUsers: 1000, maxGlobalKeys: 1000 },
      },
    );
    const anchor = new FreemanEvaluator(
      { locator, devices },
      { warmupDays: 0, unknownUserId: UNKNOWN_ACCOUNT_ID, retentionDays: 90, maxUsers: 1000 },
    );
    const rows: RbaLogin[] = [0, 1, 2, 3, 4].map((i) => ({
      index: i,
      timestamp: Date.UTC(2020, 1, 3) + i * 86_400_000,
      userId: i === 3 ? UNKNOWN_ACCOUNT_ID : 'alice',
      ip: i === 2 ? '45.33.32.156' : '84.213.38.40',
      country: i === 2 ? 'US' : 'NO',
      asn: i === 2 ? '63949' : '2119',
      userAgent: 'Mozilla/5.0 (X11; Linux x86_64; rv:81.0) Gecko/20100101 Firefox/81.0',
      loginSuccessful: i !== 1,
      isAttackIp: false,
      isAccountTakeover: i === 2,
    }));
    for (const r of rows) {
      const features = rowFeatures(r, locator, devices);
      const a = engine.process(r, features);
      const b = anchor.process(r, features);
      expect([a.segment, a.bucket, a.label]).toEqual([b.segment, b.bucket, b.label]);
    }
    expect(engine.segmentRows).toEqual(anchor.segmentRows);
    expect(engine.segmentRows).toEqual({ 'first-login': 1, 'with-history': 3, 'warm-up': 0, 'unknown-account': 1 });
  });
});
