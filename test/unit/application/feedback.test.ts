import { ConflictError, NotFoundError } from '../../../lambdas/application/errors';
import { FEEDBACK_WRITE_TRIES, labelDecision } from '../../../lambdas/application/feedback/label-decision';
import type { AuditEvent } from '../../../lambdas/core/audit/audit-event';
import type { AdminEventStore, Feedback, RecordedEvent } from '../../../lambdas/ports/admin-event-store';
import { HOME } from '../core/fixtures';

const DECISION_ID = '0123456789abcdef0123456789abcdef';
const NOW = Date.parse('2026-12-01T10:00:00Z');
const ADMIN = { subject: 'sub-admin', username: 'admin@example.com' };

/**
 * Recorded decisions in memory with the store's label rule: a write lands only if the label revision is still the
 * one the writer read. `interfere` runs before each write, as another investigator labelling at the same moment.
 */
class InMemoryDecisions implements Pick<AdminEventStore, 'getEvent' | 'setFeedback'> {
  readonly audit: AuditEvent[] = [];
  writes = 0;
  interfere: () => void = () => undefined;
  event: RecordedEvent = {
    decisionId: DECISION_ID,
    userId: 'alice@example.com',
    action: 'payment.transfer',
    at: NOW - 60_000,
    clientId: 'local-app',
    decision: 'allow',
    score: 12,
    policyVersion: 1,
    reasons: [],
    features: HOME,
    feedbackRevision: 0,
    replayable: true,
  };

  getEvent = (id: string) => Promise.resolve(id === this.event.decisionId ? this.event : undefined);

  setFeedback(
    id: string,
    feedback: Feedback | undefined,
    expectedRevision: number,
    audit: AuditEvent,
  ): Promise<'written' | 'changed' | 'not_found'> {
    this.writes += 1;
    this.interfere();
    if (id !== this.event.decisionId) return Promise.resolve('not_found');
    if (expectedRevision !== this.event.feedbackRevision) return Promise.resolve('changed');
    const { feedback: _, ...rest } = this.event;
    this.event = { ...rest, ...(feedback ? { feedback } : {}), feedbackRevision: expectedRevision + 1 };
    this.audit.push(audit);
    return Promise.resolve('written');
  }

  /** Someone else's label lands. */
  relabel(label: 'fraud' | 'legit') {
    const { feedback: _, ...rest } = this.event;
    this.event = {
      ...rest,
      feedback: { label, by: 'other', at: 'x' },
      feedbackRevision: this.event.feedbackRevision + 1,
    };
  }
}

const setup = () => {
  const events = new InMemoryDecisions();
  return { events, deps: { events, clock: () => NOW } };
};

describe('feedback workflow (in-memory decisions)', () => {
  it('labels a decision, audited as feedback.labelled with the label before and after, for the user it concerns', async () => {
    const { events, deps } = setup();
    const result = await labelDecision(deps, {
      actor: ADMIN,
      decisionId: DECISION_ID,
      label: 'fraud',
      note: 'chargeback',
    });
    expect(result).toEqual({
      decisionId: DECISION_ID,
      label: 'fraud',
      note: 'chargeback',
      by: 'admin@example.com',
      at: '2026-12-01T10:00:00.000Z',
      revision: 1,
    });
    expect(events.audit).toEqual([
      expect.objectContaining({
        eventId: `feedback:${DECISION_ID}:r1`,
        kind: 'feedback.labelled',
        actor: { type: 'user', id: 'sub-admin' },
        subject: 'alice@example.com',
        outcome: 'fraud',
        why: 'chargeback',
        before: null,
        after: { label: 'fraud', by: 'admin@example.com', at: '2026-12-01T10:00:00.000Z' },
      }),
    ]);
  });

  it('changes nothing and records nothing when the decision already has the label, or none to remove', async () => {
    const { events, deps } = setup();
    expect(await labelDecision(deps, { actor: ADMIN, decisionId: DECISION_ID, label: 'none' })).toEqual({
      decisionId: DECISION_ID,
      label: 'none',
    });
    await labelDecision(deps, { actor: ADMIN, decisionId: DECISION_ID, label: 'legit' });
    await labelDecision(deps, { actor: ADMIN, decisionId: DECISION_ID, label: 'legit' });
    expect(events.writes).toBe(1);
    expect(events.audit.map((e) => e.kind)).toEqual(['feedback.labelled']);
  });

  it('removes a label, audited as feedback.removed', async () => {
    const { events, deps } = setup();
    await labelDecision(deps, { actor: ADMIN, decisionId: DECISION_ID, label: 'legit' });
    const removed = await labelDecision(deps, { actor: ADMIN, decisionId: DECISION_ID, label: 'none' });
    expect(removed).toEqual({ decisionId: DECISION_ID, label: 'none', revision: 2 });
    expect(events.event.feedback).toBeUndefined();
    expect(events.audit.at(-1)).toMatchObject({ kind: 'feedback.removed', before: { label: 'legit' }, after: null });
  });

  it('reads again after a concurrent label and decides afresh', async () => {
    const { events, deps } = setup();
    let raced = false;
    events.interfere = () => {
      if (raced) return;
      raced = true;
      events.relabel('legit');
    };
    const result = await labelDecision(deps, { actor: ADMIN, decisionId: DECISION_ID, label: 'fraud' });
    expect(result).toMatchObject({ label: 'fraud', revision: 2 });
    expect(events.writes).toBe(2);
    expect(events.audit).toEqual([expect.objectContaining({ before: expect.objectContaining({ label: 'legit' }) })]);
  });

  it('stops the retry loop after FEEDBACK_WRITE_TRIES lost races with a conflict, and records nothing', async () => {
    const { events, deps } = setup();
    // Someone keeps setting `legit` just before each write of `fraud`.
    events.interfere = () => events.relabel('legit');
    const losing = labelDecision(deps, { actor: ADMIN, decisionId: DECISION_ID, label: 'fraud' });
    await expect(losing).rejects.toBeInstanceOf(ConflictError);
    expect(events.writes).toBe(FEEDBACK_WRITE_TRIES);
    expect(FEEDBACK_WRITE_TRIES).toBe(3);
    expect(events.audit).toEqual([]);
  });

  it('answers not found for an unknown decision or an id that is not one, without a write', async () => {
    const { events, deps } = setup();
    for (const decisionId of ['fedcba9876543210fedcba9876543210', '../etc', '']) {
      await expect(labelDecision(deps, { actor: ADMIN, decisionId, label: 'fraud' })).rejects.toBeInstanceOf(
        NotFoundError,
      );
    }
    expect(events.writes).toBe(0);
  });
});
