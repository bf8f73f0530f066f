import { isGeneratedId } from '../../contracts/identifiers';
import type { FeedbackLabel } from '../../core/simulation/simulation';
import type { AdminEventStore, Feedback, RecordedEvent } from '../../ports/admin-event-store';
import type { Clock } from '../../ports/clock';
import { auditActor, displayName, usernameData, type UserActor } from '../actor';
import { ConflictError, NotFoundError } from '../errors';

/**
 * Tries of a label write. Each write names the label revision it read; a concurrent labeller moves the revision and
 * the write reports `changed`, so the workflow reads the decision again and decides afresh (the other write may
 * already have set the same label). Three tries absorb an ordinary race between two investigators; beyond that
 * someone keeps changing the label, and the caller is told to try again (409) rather than made to wait.
 */
export const FEEDBACK_WRITE_TRIES = 3;

export interface FeedbackDependencies {
  readonly events: Pick<AdminEventStore, 'getEvent' | 'setFeedback'>;
  readonly clock: Clock;
}

export interface LabelRequest {
  readonly actor: UserActor;
  readonly decisionId: string;
  /** `none` removes the label. */
  readonly label: FeedbackLabel | 'none';
  readonly note?: string;
}

/** The decision's label after the request: as stored (`revision` counts label changes). */
export interface LabelResult {
  readonly decisionId: string;
  readonly label: FeedbackLabel | 'none';
  readonly note?: string;
  readonly by?: string;
  readonly at?: string;
  readonly revision?: number;
}

export async function recordedDecision(
  events: Pick<AdminEventStore, 'getEvent'>,
  decisionId: string,
): Promise<RecordedEvent> {
  const found = isGeneratedId(decisionId) ? await events.getEvent(decisionId) : undefined;
  if (!found) throw new NotFoundError('decision not found');
  return found;
}

const sameLabel = (before: Feedback | undefined, request: LabelRequest) =>
  before?.label === request.label && (before.note ?? '') === (request.note ?? '');

/**
 * Labels a recorded decision `fraud` or `legit` (or removes its label), recorded as `feedback.labelled` or
 * `feedback.removed` with the label before and after, atomically with the write. Asking for the label a decision
 * already has changes nothing and records nothing.
 */
export async function labelDecision(deps: FeedbackDependencies, request: LabelRequest): Promise<LabelResult> {
  const { actor, label, note } = request;
  const removing = label === 'none';
  for (let attempt = 0; attempt < FEEDBACK_WRITE_TRIES; attempt++) {
    const found = await recordedDecision(deps.events, request.decisionId);
    const before = found.feedback;
    if (removing && !before) return { decisionId: found.decisionId, label: 'none' };
    if (!removing && before && sameLabel(before, request)) {
      return { decisionId: found.decisionId, ...before, revision: found.feedbackRevision };
    }
    const at = new Date(deps.clock()).toISOString();
    const next: Feedback | undefined = removing
      ? undefined
      : { label, ...(note ? { note } : {}), by: displayName(actor), at };
    const revision = found.feedbackRevision + 1;
    const result = await deps.events.setFeedback(found.decisionId, next, found.feedbackRevision, {
      eventId: `feedback:${found.decisionId}:r${revision}`,
      kind: removing ? 'feedback.removed' : 'feedback.labelled',
      actor: auditActor(actor),
      subject: found.userId,
      action: 'feedback.label',
      outcome: label,
      at,
      ...(note ? { why: note } : {}),
      before: before ? { label: before.label, by: before.by, at: before.at } : null,
      after: next ? { label: next.label, by: next.by, at: next.at } : null,
      data: {
        decisionId: found.decisionId,
        decision: found.decision,
        action: found.action,
        revision,
        ...usernameData(actor),
      },
    });
    if (result === 'not_found') throw new NotFoundError('decision not found');
    if (result === 'written') return { decisionId: found.decisionId, ...(next ?? {}), label, revision };
  }
  throw new ConflictError('the label of this decision is being changed by someone else; try again');
}
