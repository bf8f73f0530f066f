import fc from 'fast-check';
import { defaultPolicy } from '../../../lambdas/core/policy/default-policy';
import { parsePolicy } from '../../../lambdas/core/policy/policy-schema';
import { evaluate } from '../../../lambdas/core/risk/engine';
import {
  evaluationInputFrom,
  isReplayInput,
  projectProfile,
  replayInputOf,
} from '../../../lambdas/core/simulation/replay-input';
import { emptyProfile, learn } from '../../../lambdas/core/risk/learning';
import type { RequestFeatures } from '../../../lambdas/core/risk/types';
import { DAY, NOW, inputArb, policyArb } from './arbitraries';

describe('replay input', () => {
  it('generates valid policies', () => {
    fc.assert(
      fc.property(policyArb, (policy) => parsePolicy(policy).ok),
      { numRuns: 100 },
    );
  });

  it('scores exactly like the full input under every policy, after a JSON round trip (what storage does)', () => {
    fc.assert(
      fc.property(inputArb, policyArb, (input, policy) => {
        const stored = JSON.parse(JSON.stringify(replayInputOf({ ...input, policy }))) as unknown;
        expect(isReplayInput(stored)).toBe(true);
        const features = JSON.parse(JSON.stringify(input.features)) as RequestFeatures;
        const replayed = evaluationInputFrom(
          { userId: input.userId, action: input.action, at: input.now, features },
          stored as ReturnType<typeof replayInputOf>,
          policy,
        );
        expect(evaluate(replayed)).toEqual(evaluate({ ...input, policy }));
      }),
      { numRuns: 1500 },
    );
  });

  it('keeps only what this request can read, so a full profile shrinks to a small record', () => {
    let profile = emptyProfile(NOW - 100 * DAY);
    // A busy user: more distinct contexts than the profile keeps per map.
    for (let i = 0; i < 200; i++) {
      const features: RequestFeatures = {
        ip: `81.167.${i % 50}.${i % 200}`,
        deviceId: `device-${i % 30}-${'x'.repeat(40)}`,
        geo: {
          kind: 'public',
          country: `C${i % 12}`,
          region: `Region ${i % 20}`,
          city: `City number ${i % 25}`,
          lat: i % 80,
          lon: i % 170,
          asn: `AS${i % 40}`,
        },
        device: {
          uaFamily: `Browser${i % 9}`,
          browserMajor: String(100 + (i % 5)),
          os: `OS ${i % 7}`,
          deviceType: ['desktop', 'mobile', 'tablet'][i % 3]!,
          isBot: false,
          isHeadless: false,
          isCli: false,
          uaKey: `ua-${i % 40}-${'y'.repeat(50)}`,
        },
      };
      profile = learn(profile, features, NOW - (200 - i) * 3600_000, i % 5 === 0 ? 'unverified' : 'trusted');
    }
    const request: RequestFeatures = {
      ip: '81.167.3.3',
      deviceId: 'device-3-' + 'x'.repeat(40),
      geo: { kind: 'public', country: 'C3', region: 'Region 3', city: 'City number 3', lat: 3, lon: 3, asn: 'AS3' },
      device: {
        uaFamily: 'Browser3',
        browserMajor: '103',
        os: 'OS 3',
        deviceType: 'desktop',
        isBot: false,
        isHeadless: false,
        isCli: false,
        uaKey: 'ua-3-' + 'y'.repeat(50),
      },
    };
    const full = JSON.stringify(profile).length;
    const projected = JSON.stringify(projectProfile(profile, request)).length;
    expect(full).toBeGreaterThan(8000);
    expect(projected).toBeLessThan(2500);
  });

  it('keeps the session that a session-bound grant was redeemed in, so the replay redeems it too', () => {
    const features: RequestFeatures = {
      ip: '203.0.113.7',
      deviceId: 'device-new',
      geo: { kind: 'public', country: 'NO', region: 'Vestland', city: 'Bergen', lat: 60.39, lon: 5.32 },
      device: { deviceType: 'desktop', isBot: false, isHeadless: false, isCli: false },
    };
    const input = {
      userId: 'alice',
      action: 'payment.transfer',
      now: NOW,
      sessionId: 'sess-A',
      features,
      velocity: { userRequests: 0, ipRequests: 0, ipDistinctUsers: 0, userFailedStepUps: 0, userFailedSignIns: 0 },
      global: { total: 0, ip: 0, prefix: 0, asn: 0, country: 0, ua: 0, browser: 0, os: 0, deviceType: 0 },
      grant: {
        stepUpId: 'su-1',
        userId: 'alice',
        action: 'payment.transfer',
        acr: 'urn:stepgate:acr:otp',
        grantedAt: NOW - 1000,
        consumed: false,
        sessionId: 'sess-A',
      },
      policy: defaultPolicy,
    };
    const live = evaluate(input);
    expect(live.grantRedeemed).toBe(true);
    const stored = JSON.parse(JSON.stringify(replayInputOf(input))) as ReturnType<typeof replayInputOf>;
    const replayed = evaluationInputFrom(
      { userId: 'alice', action: input.action, at: NOW, features },
      stored,
      defaultPolicy,
    );
    expect(evaluate(replayed)).toEqual(live);
  });

  it('rejects stored inputs of an unknown version', () => {
    expect(isReplayInput({ v: 2, velocity: {}, global: {} })).toBe(false);
    expect(isReplayInput(null)).toBe(false);
    expect(isReplayInput('x')).toBe(false);
  });
});
