import type { AuditEvent } from '../../../lambdas/core/audit/audit-event';
import { renderEvidenceHtml, renderEvidenceText, summarizeEvidence } from '../../../lambdas/core/audit/evidence-report';
import { eventAt } from './chain-fixture';

const events: AuditEvent[] = [
  eventAt(1, { action: 'payment.transfer', outcome: 'allow' }),
  eventAt(2, { action: 'payment.transfer', outcome: 'allow' }),
  eventAt(3, { action: 'payment.transfer', outcome: 'step_up' }),
  eventAt(4, { action: 'auth.sign_in', outcome: 'deny' }),
  eventAt(5, { eventId: 'c:1:issued', kind: 'step_up.challenge_issued', actor: { type: 'cognito', id: 'pool' } }),
  eventAt(6, { eventId: 'c:1:v1', kind: 'step_up.verification', outcome: 'failed' }),
  eventAt(7, { eventId: 'c:1:v2', kind: 'step_up.verification', outcome: 'passed' }),
  eventAt(8, { eventId: 'g:1', kind: 'grant.issued' }),
  eventAt(9, {
    eventId: 'p:2',
    kind: 'policy.changed',
    actor: { type: 'user', id: '5f0c7a2e-sub-of-admin' },
    data: { username: 'admin@example.com' },
    policyVersion: 2,
    why: 'raise <payment> threshold',
  }),
  eventAt(10, { eventId: 'f:1', kind: 'feedback.labelled', outcome: 'fraud' }),
  eventAt(11, { eventId: 'f:2', kind: 'feedback.labelled', outcome: undefined, data: { label: 'legit' } }),
  eventAt(12, { eventId: 'f:3', kind: 'feedback.removed' }),
  eventAt(13, { eventId: 'r:1', kind: 'admin.read', actor: { type: 'user', id: 'auditor' }, action: 'audit.export' }),
  // Redemptions are recorded on the decisions they allowed: grant g-1 twice (within its max age), g-2 once.
  eventAt(14, { eventId: 'decision:d-14', outcome: 'allow', data: { decisionId: 'd-14', redeemedStepUpId: 'g-1' } }),
  eventAt(15, { eventId: 'decision:d-15', outcome: 'allow', data: { decisionId: 'd-15', redeemedStepUpId: 'g-1' } }),
  eventAt(16, { eventId: 'decision:d-16', outcome: 'allow', data: { decisionId: 'd-16', redeemedStepUpId: 'g-2' } }),
  eventAt(17, {
    eventId: 'r:2',
    kind: 'admin.read',
    actor: { type: 'user', id: '77aa-sub-of-auditor' },
    action: 'audit.verify',
    data: { username: 'auditor@example.com' },
  }),
];

describe('evidence report', () => {
  const summary = summarizeEvidence({ from: '2025-03-01T00:00:00.000Z', to: '2025-04-01T00:00:00.000Z' }, events, {
    ok: false,
    chains: 2,
    records: 13,
    breaks: [
      { chain: 'a', seq: 3, kind: 'edited' },
      { chain: 'a', seq: 4, kind: 'deleted' },
      { chain: 'b', seq: 9, kind: 'deleted' },
    ],
  });

  it('lists a rejected policy change among the policy changes, under its own kind', () => {
    const rejected = eventAt(20, {
      eventId: 'policy:v3:rejected',
      kind: 'policy.rejected',
      actor: { type: 'user', id: 'sub-second' },
      policyVersion: 3,
      outcome: 'rejected',
      why: 'too lax',
    });
    const report = summarizeEvidence({ from: '2025-03-01T00:00:00.000Z', to: '2025-04-01T00:00:00.000Z' }, [rejected], {
      ok: true,
      chains: 1,
      records: 1,
      breaks: [],
    });
    expect(report.policyChanges).toEqual([
      { at: rejected.at, kind: 'policy.rejected', who: 'user:sub-second', policyVersion: 3, why: 'too lax' },
    ]);
  });

  it('counts decisions by action and outcome, step-ups, grants, labels and reads', () => {
    expect(summary.decisions.total).toBe(7);
    expect(summary.decisions.rows).toEqual([
      { key: ['payment.transfer', 'allow'], count: 5 },
      { key: ['auth.sign_in', 'deny'], count: 1 },
      { key: ['payment.transfer', 'step_up'], count: 1 },
    ]);
    expect(summary.stepUps).toMatchObject({ challengesIssued: 1, verifications: 2, passed: 1, failed: 1 });
    expect(summary.grants).toEqual({ issued: 1, redeemed: 2, redemptions: 3 });
    expect(summary.policyChanges).toEqual([
      {
        at: events[8]!.at,
        kind: 'policy.changed',
        who: 'admin@example.com (user:5f0c7a2e-sub-of-admin)',
        policyVersion: 2,
        why: 'raise <payment> threshold',
      },
    ]);
    expect(summary.feedback).toEqual({
      labelled: [
        { key: ['fraud'], count: 1 },
        { key: ['legit'], count: 1 },
      ],
      removed: 1,
    });
    expect(summary.adminReads).toEqual([
      { key: ['auditor@example.com (user:77aa-sub-of-auditor)', 'audit.verify'], count: 1 },
      { key: ['user:auditor', 'audit.export'], count: 1 },
    ]);
    expect(summary.verification).toEqual({
      ok: false,
      chains: 2,
      records: 13,
      breaks: 3,
      byKind: { edited: 1, deleted: 2 },
      anchor: 'none',
    });
    const anchored = summarizeEvidence({ from: '2025-03-01T00:00:00.000Z', to: '2025-04-01T00:00:00.000Z' }, events, {
      ok: true,
      chains: 2,
      records: 13,
      breaks: [],
      anchor: { checkpoint: 12, at: '2026-11-30T23:45:00.000Z' },
    });
    expect(anchored.verification.anchor).toBe('checkpoint 12 of 2026-11-30T23:45:00.000Z');
  });

  it('renders a plain-text table', () => {
    const text = renderEvidenceText(summary);
    expect(text).toContain('BROKEN');
    expect(text).toMatch(/payment\.transfer\s+allow\s+5/);
    expect(text).toMatch(/admin@example\.com \(user:5f0c7a2e-sub-of-admin\)\s+2\s+raise <payment> threshold/);
    expect(text).toMatch(/grants redeemed\s+decisions allowed by a grant\n[-\s]+\n1\s+2\s+1\s+1\s+1\s+2\s+3\n/);
  });

  it('renders self-contained HTML with every value escaped', () => {
    const html = renderEvidenceHtml(summary, '2025-04-01T00:00:00.000Z');
    expect(html).toContain('raise &lt;payment&gt; threshold');
    expect(html).not.toContain('<payment>');
    expect(html).not.toMatch(/<script|src=|href=/i);
    expect(html).toContain('class="broken"');
  });
});
