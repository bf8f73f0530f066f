import type { TransactWriteItem, UpdateItemCommandInput } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { Decision, Reason, RequestFeatures } from '../../../core/risk/types';
import type { FailureOrigin } from '../../../core/risk/learning';
import { isReplayInput } from '../../../core/simulation/replay-input';
import type { FeedbackLabel, ReplayEvent } from '../../../core/simulation/simulation';
import type { Feedback, RecordedEvent, RecordedShadow } from '../../../ports/admin-event-store';
import type { DecisionRecord, Outcome, StoredDecision } from '../../../ports/decision-store';
import { keyAttributes, n, s, type Item, type ItemKey } from './item';
import { globalKeys } from './population';
import { DAY_SECONDS, epochSeconds } from './ttl';

/**
 * A recorded decision (`DECISION#<id>` / `DECISION`), kept for the policy's `retention.riskHistoryDays`, indexed by
 * UTC day (byTime: gsi1pk `EVENTS#<YYYY-MM-DD>`, gsi1sk `<iso>#<id>`) and by user (byUser: gsi2pk `USER#<user>`,
 * same sort key). Features, evaluation, shadow result and replay input are kept as JSON so a replay sees exactly
 * what the engine saw. Later additions on the same item: the app's reported `outcome` (once) and the feedback label
 * (`feedbackLabel`, `feedbackNote`, `feedbackBy`, `feedbackAt`, `feedbackRevision`), which expires with it.
 */
export const decisionKey = (decisionId: string): ItemKey => ({ pk: `DECISION#${decisionId}`, sk: 'DECISION' });
export const DECISION_PREFIX = 'DECISION#';

/** The byUser partition of a user's decisions. */
export const userEventsPartition = (userId: string) => `USER#${userId}`;
/** The byTime partition of one UTC day (`YYYY-MM-DD`). */
export const dayPartition = (day: string) => `EVENTS#${day}`;

/**
 * The stored form of a decision. Exported so that the layout is defined once: the decision store writes it, the
 * admin store reads it, and tests seed recorded history with it.
 */
export function decisionItem(record: DecisionRecord, retentionDays: number): Item {
  const iso = new Date(record.at).toISOString();
  return {
    ...keyAttributes(decisionKey(record.decisionId)),
    ...marshall(
      {
        decisionId: record.decisionId,
        userId: record.userId,
        action: record.action,
        at: record.at,
        clientId: record.clientId,
        sessionId: record.sessionId,
        requestId: record.requestId,
        decision: record.evaluation.decision,
        score: record.evaluation.score,
        policyVersion: record.policyVersion,
        stepUpId: record.stepUpId,
        redeemedStepUpId: record.redeemedStepUpId,
        features: JSON.stringify(record.features),
        evaluation: JSON.stringify(record.evaluation),
        shadow: record.shadow ? JSON.stringify(record.shadow) : undefined,
        // Top-level so a shadow report can filter a run's decisions, and find disagreements, by index.
        shadowRun: record.shadow?.runId,
        shadowDisagree: record.shadow && record.shadow.decision !== record.evaluation.decision ? true : undefined,
        replay: record.replay ? JSON.stringify(record.replay) : undefined,
      },
      { removeUndefinedValues: true },
    ),
    gsi1pk: s(dayPartition(iso.slice(0, 10))),
    gsi1sk: s(`${iso}#${record.decisionId}`),
    gsi2pk: s(userEventsPartition(record.userId)),
    gsi2sk: s(`${iso}#${record.decisionId}`),
    expiresAt: n(epochSeconds(record.at) + retentionDays * DAY_SECONDS),
  };
}

/** What the outcome route reads of a decision. */
export function storedDecisionFromItem(decisionId: string, item: Item): StoredDecision {
  const raw = unmarshall(item) as Record<string, unknown>;
  return {
    decisionId,
    userId: String(raw.userId),
    action: String(raw.action),
    clientId: String(raw.clientId),
    decision: String(raw.decision),
    at: Number(raw.at),
    ...(typeof raw.outcome === 'string' ? { outcome: raw.outcome as Outcome } : {}),
    ...(typeof raw.features === 'string' ? originOf(raw.features) : {}),
  };
}

/** The client IP and network of a stored decision's features, if they can be read. */
function originOf(featuresJson: string): { origin?: FailureOrigin } {
  try {
    const features = JSON.parse(featuresJson) as RequestFeatures;
    if (typeof features.ip !== 'string') return {};
    const levels = globalKeys(features);
    const network = levels.asn ?? levels.prefix;
    return { origin: { ip: features.ip, ...(network !== undefined ? { network } : {}) } };
  } catch {
    return {};
  }
}

/** Sets the reported outcome once, on a decision that exists. */
export function outcomeUpdate(
  table: string,
  decisionId: string,
  outcome: Outcome,
  now: number,
): UpdateItemCommandInput {
  return {
    TableName: table,
    Key: keyAttributes(decisionKey(decisionId)),
    UpdateExpression: 'SET outcome = :o, outcomeAt = :t',
    ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(outcome)',
    ExpressionAttributeValues: { ':o': s(outcome), ':t': n(now) },
  };
}

// ---- the admin view: a decision as investigators and replays read it -----------------------------------------

const DECISIONS = new Set<string>(['allow', 'step_up', 'deny']);
const LABELS = new Set<string>(['fraud', 'legit']);

/** Stands in for the features of a damaged record, so one bad item never breaks a listing. */
const PLACEHOLDER_FEATURES: RequestFeatures = {
  ip: '',
  geo: { kind: 'unknown' },
  device: { deviceType: 'desktop', isBot: false, isHeadless: false, isCli: false },
};

function parseJson<T>(text: unknown): T | undefined {
  if (typeof text !== 'string') return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** A recorded decision as the admin API shows it and as simulate replays it. */
export function recordedDecisionFromItem(item: Item): { recorded: RecordedEvent; replay: ReplayEvent } {
  const raw = unmarshall(item) as Record<string, unknown>;
  const features = parseJson<RequestFeatures>(raw.features);
  const evaluation = parseJson<{ reasons?: Reason[] }>(raw.evaluation);
  const replayInput = parseJson<unknown>(raw.replay);
  const shadowRaw = parseJson<RecordedShadow>(raw.shadow);
  const decision = (DECISIONS.has(String(raw.decision)) ? raw.decision : 'deny') as Decision;
  const label =
    typeof raw.feedbackLabel === 'string' && LABELS.has(raw.feedbackLabel)
      ? (raw.feedbackLabel as FeedbackLabel)
      : undefined;
  const feedback: Feedback | undefined = label
    ? {
        label,
        ...(typeof raw.feedbackNote === 'string' ? { note: raw.feedbackNote } : {}),
        by: str(raw.feedbackBy),
        at: str(raw.feedbackAt),
      }
    : undefined;
  const shadow =
    shadowRaw && DECISIONS.has(String(shadowRaw.decision))
      ? {
          policyVersion: Number(shadowRaw.policyVersion),
          decision: shadowRaw.decision,
          score: Number(shadowRaw.score),
          ...(typeof shadowRaw.runId === 'string' ? { runId: shadowRaw.runId } : {}),
        }
      : undefined;
  const replayable = features !== undefined && isReplayInput(replayInput);
  const base = {
    decisionId: String(raw.decisionId),
    userId: String(raw.userId),
    action: String(raw.action),
    at: Number(raw.at),
  };
  return {
    recorded: {
      ...base,
      clientId: str(raw.clientId),
      decision,
      score: Number(raw.score ?? 0),
      policyVersion: Number(raw.policyVersion ?? 0),
      reasons: evaluation?.reasons ?? [],
      features: features ?? PLACEHOLDER_FEATURES,
      ...(typeof raw.outcome === 'string' ? { outcome: raw.outcome } : {}),
      ...(feedback ? { feedback } : {}),
      feedbackRevision: Number(raw.feedbackRevision ?? 0),
      ...(shadow ? { shadow } : {}),
      replayable,
    },
    replay: {
      ...base,
      features: features ?? PLACEHOLDER_FEATURES,
      recorded: { decision, score: Number(raw.score ?? 0), policyVersion: Number(raw.policyVersion ?? 0) },
      ...(replayable && isReplayInput(replayInput) ? { replay: replayInput } : {}),
      ...(label ? { label } : {}),
    },
  };
}

/** A new decision record, never overwriting another. */
export function decisionPut(table: string, record: DecisionRecord, retentionDays: number): TransactWriteItem {
  return {
    Put: {
      TableName: table,
      Item: decisionItem(record, retentionDays),
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
}

/**
 * Sets (or with `undefined` removes) a decision's feedback label, only while its label revision is still
 * `expectedRevision`: two investigators labelling the same event at once cannot lose one label unaudited.
 */
export function feedbackUpdate(
  table: string,
  decisionId: string,
  feedback: Feedback | undefined,
  expectedRevision: number,
): TransactWriteItem {
  const values: Item = { ':next': n(expectedRevision + 1) };
  let update: string;
  if (feedback) {
    values[':label'] = s(feedback.label);
    values[':by'] = s(feedback.by);
    values[':at'] = s(feedback.at);
    if (feedback.note) values[':note'] = s(feedback.note);
    update =
      'SET feedbackLabel = :label, feedbackBy = :by, feedbackAt = :at, feedbackRevision = :next' +
      (feedback.note ? ', feedbackNote = :note' : ' REMOVE feedbackNote');
  } else {
    update = 'SET feedbackRevision = :next REMOVE feedbackLabel, feedbackNote, feedbackBy, feedbackAt';
  }
  if (expectedRevision > 0) values[':rev'] = n(expectedRevision);
  return {
    Update: {
      TableName: table,
      Key: keyAttributes(decisionKey(decisionId)),
      UpdateExpression: update,
      ConditionExpression:
        expectedRevision > 0
          ? 'attribute_exists(pk) AND feedbackRevision = :rev'
          : 'attribute_exists(pk) AND attribute_not_exists(feedbackRevision)',
      ExpressionAttributeValues: values,
    },
  };
}
