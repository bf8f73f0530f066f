import fc from 'fast-check';
import { defaultPolicy } from '../../../lambdas/core/policy/default-policy';
import { evaluate } from '../../../lambdas/core/risk/engine';
import { replayInputOf } from '../../../lambdas/core/simulation/replay-input';
import { renderReportHtml } from '../../../lambdas/core/simulation/report-html';
import { renderReportText } from '../../../lambdas/core/simulation/report-text';
import { simulate, type ReplayEvent } from '../../../lambdas/core/simulation/simulation';
import { inputArb } from './arbitraries';

function report() {
  const inputs = fc.sample(inputArb, { numRuns: 200, seed: 5 });
  const events = inputs.map((input, i): ReplayEvent => {
    const e = evaluate({ ...input, policy: defaultPolicy });
    return {
      decisionId: `d${i}`,
      userId: `<b>user-${i % 7}</b>`,
      action: input.action,
      at: input.now + i,
      features: input.features,
      recorded: { decision: e.decision, score: e.score, policyVersion: 1 },
      replay: replayInputOf({ ...input, now: input.now + i, policy: defaultPolicy }),
      ...(i % 3 === 0 ? { label: 'fraud' as const } : i % 3 === 1 ? { label: 'legit' as const } : {}),
    };
  });
  const candidate = structuredClone(defaultPolicy);
  candidate.version = 2;
  candidate.levels.none.stepUpAt = 0;
  candidate.levels.low.stepUpAt = 0;
  return simulate(events, candidate);
}

describe('report rendering', () => {
  it('prints transitions, per-action friction, labels and changed events as tables', () => {
    const text = renderReportText(report());
    expect(text).toMatch(/Decision transitions \(rows: before, columns: after\)/);
    expect(text).toMatch(/^allow +\d+ +\d+ +\d+$/m);
    expect(text).toMatch(/^auth\.sign_in +\d+/m);
    expect(text).toMatch(/fraud caught/);
    expect(text).toMatch(/allow→step_up/);
    expect(text).toMatch(/Changed events/);
  });

  it('writes a self-contained, escaped HTML page with the two charts', () => {
    const html = renderReportHtml(report(), { title: 'Backtest <candidate>' });
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/<script|src=|href=|@import|url\(/i);
    expect(html).toContain('&#60;b&#62;user-');
    expect(html).not.toContain('<b>');
    expect(html).toContain('Backtest &#60;candidate&#62;');
    expect(html).toContain('aria-label="Scores, labelled fraud"');
    expect(html).toContain('aria-label="decision transitions per action"');
  });
});
