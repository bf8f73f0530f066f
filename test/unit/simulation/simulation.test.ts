import fc from 'fast-check';
import { defaultPolicy } from '../../../lambdas/core/policy/default-policy';
import { evaluate } from '../../../lambdas/core/risk/engine';
import type { Policy } from '../../../lambdas/core/policy/policy-schema';
import { replayInputOf } from '../../../lambdas/core/simulation/replay-input';
import {
  ComparisonTally,
  mergeReports,
  replayEvent,
  simulate,
  type FeedbackLabel,
  type ReplayEvent,
} from '../../../lambdas/core/simulation/simulation';
import { inputArb, NOW, policyArb } from './arbitraries';

/** Records events the way the decide path does: evaluated under `live`, replay input stored. */
function record(
  inputs: ReturnType<typeof inputArb.generate>['value'][],
  live: Policy,
  labels: (FeedbackLabel | undefined)[] = [],
) {
  return inputs
    .map((input, i): ReplayEvent => {
      const evaluation = evaluate({ ...input, policy: live });
      const label = labels[i];
      return {
        decisionId: `d-${String(i).padStart(5, '0')}`,
        userId: input.userId,
        action: input.action,
        at: input.now + i * 1000,
        features: input.features,
        recorded: { decision: evaluation.decision, score: evaluation.score, policyVersion: live.version },
        replay: replayInputOf({ ...input, now: input.now + i * 1000, policy: live }),
        ...(label ? { label } : {}),
      };
    })
    .map((e, i) => ({ ...e, replay: replayInputOf({ ...inputs[i]!, now: e.at, policy: live }) }));
}

const eventsArb = fc
  .array(fc.tuple(inputArb, fc.constantFrom<FeedbackLabel | undefined>('fraud', 'legit', undefined)), {
    minLength: 1,
    maxLength: 60,
  })
  .map((pairs) => ({ inputs: pairs.map(([i]) => i), labels: pairs.map(([, l]) => l) }));

const strict: Policy = (() => {
  const p = structuredClone(defaultPolicy);
  p.version = 2;
  p.levels.low.stepUpAt = 20;
  p.levels.none.stepUpAt = 50;
  p.levels.none.denyAt = 90;
  return p;
})();

describe('simulate', () => {
  it('reports no change when the candidate is the policy the events were recorded under', () => {
    fc.assert(
      fc.property(eventsArb, policyArb, ({ inputs, labels }, live) => {
        const report = simulate(record(inputs, live, labels), live);
        expect(report.changed).toBe(0);
        expect(report.scoreChanged).toBe(0);
        expect(report.events.compared).toBe(inputs.length);
        for (const b of ['allow', 'step_up', 'deny'] as const) {
          for (const a of ['allow', 'step_up', 'deny'] as const) if (a !== b) expect(report.transitions[b][a]).toBe(0);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('reports exactly the transitions of re-running the engine under the candidate', () => {
    fc.assert(
      fc.property(eventsArb, policyArb, policyArb, ({ inputs, labels }, live, candidate) => {
        const events = record(inputs, live, labels);
        const report = simulate(events, candidate);
        const expected = {
          allow: { allow: 0, step_up: 0, deny: 0 },
          step_up: { allow: 0, step_up: 0, deny: 0 },
          deny: { allow: 0, step_up: 0, deny: 0 },
        };
        const changedIds: string[] = [];
        events.forEach((e, i) => {
          const rerun = evaluate({ ...inputs[i]!, now: e.at, policy: candidate });
          expected[e.recorded.decision][rerun.decision]++;
          if (rerun.decision !== e.recorded.decision) changedIds.push(e.decisionId);
        });
        expect(report.transitions).toEqual(expected);
        expect(report.changedEvents.map((c) => c.decisionId)).toEqual(changedIds);
      }),
      { numRuns: 100 },
    );
  });

  it('is deterministic: the same events in any order and in any chunking give the same report', () => {
    fc.assert(
      fc.property(eventsArb, policyArb, fc.integer({ min: 1, max: 10 }), ({ inputs, labels }, candidate, chunks) => {
        const events = record(inputs, defaultPolicy, labels);
        const whole = simulate(events, candidate);
        expect(simulate([...events].reverse(), candidate)).toEqual(whole);
        const size = Math.ceil(events.length / chunks);
        const parts = [];
        for (let i = 0; i < events.length; i += size) parts.push(simulate(events.slice(i, i + size), candidate));
        expect(mergeReports(parts)).toEqual(whole);
        expect(JSON.stringify(simulate(events, candidate))).toBe(JSON.stringify(whole));
      }),
      { numRuns: 60 },
    );
  });

  it('counts friction, caught fraud and legit friction against labels, and histograms per label', () => {
    const base = fc.sample(inputArb, { numRuns: 400, seed: 7 });
    const labels = base.map((_, i) => (i % 5 === 0 ? 'fraud' : i % 5 === 1 ? 'legit' : undefined));
    const events = record(base, defaultPolicy, labels);
    const report = simulate(events, strict);
    const friction = (d: string) => d !== 'allow';
    let fraudCaughtAfter = 0;
    let legitFrictionBefore = 0;
    let frictionAfter = 0;
    events.forEach((e) => {
      const after = replayEvent(e, strict);
      if (!after.ok) throw new Error('replay failed');
      if (friction(after.outcome.decision)) frictionAfter++;
      if (e.label === 'fraud' && friction(after.outcome.decision)) fraudCaughtAfter++;
      if (e.label === 'legit' && friction(e.recorded.decision)) legitFrictionBefore++;
    });
    expect(report.labels.fraud.events).toBe(80);
    expect(report.labels.legit.events).toBe(80);
    expect(report.labels.unlabelled).toBe(240);
    expect(report.labels.fraud.caughtAfter).toBe(fraudCaughtAfter);
    expect(report.labels.legit.frictionBefore).toBe(legitFrictionBefore);
    expect(report.friction.after).toBe(frictionAfter);
    expect(report.friction.afterRate).toBeCloseTo(frictionAfter / 400);
    // Stricter thresholds only add friction.
    expect(report.friction.after).toBeGreaterThanOrEqual(report.friction.before);
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    expect(sum(report.histograms.before.fraud)).toBe(80);
    expect(sum(report.histograms.after.unlabelled)).toBe(240);
    expect(Object.values(report.byAction).reduce((s, a) => s + a.compared, 0)).toBe(400);
  });

  it('counts events it cannot replay instead of guessing', () => {
    const [input] = fc.sample(inputArb, { numRuns: 1, seed: 3 });
    const [recorded] = record([{ ...input!, action: 'payment.transfer' }], defaultPolicy);
    const { replay: _replay, ...withoutInput } = recorded!;
    const candidate = structuredClone(defaultPolicy);
    delete (candidate.actions as Record<string, unknown>)['payment.transfer'];
    const report = simulate([withoutInput, recorded!], candidate);
    expect(report.events).toEqual({ total: 2, compared: 0, skipped: { notReplayable: 1, unknownAction: 1 } });
  });

  it('keeps the first changed events in time order, up to the cap', () => {
    const tally = new ComparisonTally(2, 'recorded', 3);
    for (const i of [5, 1, 4, 2, 3, 0]) {
      tally.add(
        { decisionId: `d${i}`, userId: 'u', action: 'auth.sign_in', at: NOW + i },
        { decision: 'allow', score: 0 },
        { decision: 'deny', score: 90 },
      );
    }
    const report = tally.report();
    expect(report.changedEvents.map((c) => c.decisionId)).toEqual(['d0', 'd1', 'd2']);
    expect(report.changedEventsTruncated).toBe(true);
    expect(report.changed).toBe(6);
  });

  it('can compare against another policy instead of the recorded answers', () => {
    const inputs = fc.sample(inputArb, { numRuns: 50, seed: 11 });
    const events = record(inputs, defaultPolicy);
    const report = simulate(events, strict, { baseline: strict });
    expect(report.baseline).toBe(2);
    expect(report.changed).toBe(0);
  });
});
