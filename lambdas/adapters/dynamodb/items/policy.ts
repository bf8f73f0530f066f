import { upgradeStoredPolicy } from '../../../core/policy/policy-upgrade';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { parsePolicy, type Policy } from '../../../core/policy/policy-schema';
import type {
  PendingChange,
  PendingStatus,
  ShadowCandidate,
  ShadowRun,
  StoredPolicyVersion,
} from '../../../ports/policy-admin-store';
import type { PolicyRecord } from '../../../ports/policy-store';

/**
 * Policy table layout (pk `POLICY` for all items):
 *
 * | sk                    | item                                                                              |
 * |-----------------------|-----------------------------------------------------------------------------------|
 * | `ACTIVE`              | full copy of the active version: one GetItem, or one key in a decision's BatchGet |
 * | `V#000001`            | every version ever stored; immutable once written                                 |
 * | `PENDING#000002`      | a change awaiting a second person's approval (becomes that version)               |
 * | `SHADOW`              | the current (or last) shadow run, read beside ACTIVE by the decision path         |
 * | `SHADOWRUN#<runId>`   | every shadow run, for reports after it stopped                                    |
 *
 * Documents are kept as JSON strings so DynamoDB's type mapping can never alter them. A change writes the new
 * `V#` item (`attribute_not_exists`) and moves ACTIVE (condition `version = :expected`) in ONE TransactWriteItems
 * together with its audit records, so two admins editing the same version cannot both win, and nothing changes
 * without its audit record. Nothing is ever deleted (the admin function has no DeleteItem permission).
 */
export const POLICY_PK = 'POLICY';
export const ACTIVE_SK = 'ACTIVE';
export const SHADOW_SK = 'SHADOW';

export function versionSk(version: number): string {
  return `V#${String(version).padStart(6, '0')}`;
}

export function pendingSk(version: number): string {
  return `PENDING#${String(version).padStart(6, '0')}`;
}

export function shadowRunSk(runId: string): string {
  return `SHADOWRUN#${runId}`;
}

export const activePolicyKey: Record<string, AttributeValue> = { pk: { S: POLICY_PK }, sk: { S: ACTIVE_SK } };
export const shadowPolicyKey: Record<string, AttributeValue> = { pk: { S: POLICY_PK }, sk: { S: SHADOW_SK } };

export const policyKey = (sk: string): Record<string, AttributeValue> => ({ pk: { S: POLICY_PK }, sk: { S: sk } });

export class CorruptPolicyError extends Error {
  readonly code = 'corrupt_policy';
}

function parseDocument(item: Record<string, AttributeValue>): Policy {
  let document: unknown;
  try {
    document = JSON.parse(item.document?.S ?? '');
  } catch (error) {
    throw new CorruptPolicyError('stored policy document is not JSON', { cause: error });
  }
  // A document written before the evidence model is upgraded, not called corrupt.
  const parsed = parsePolicy(upgradeStoredPolicy(document));
  if (!parsed.ok) throw new CorruptPolicyError(`stored policy is invalid at ${parsed.issues[0]?.path ?? '?'}`);
  return parsed.policy;
}

/** Reads a stored policy item; a damaged one is reported as CorruptPolicyError, never used half-parsed. */
export function policyRecordFromItem(item: Record<string, AttributeValue>): PolicyRecord {
  const policy = parseDocument(item);
  return {
    version: Number(item.version?.N ?? policy.version),
    policy,
    updatedAt: item.updatedAt?.S ?? '',
    updatedBy: item.updatedBy?.S ?? '',
    ...(item.reason?.S ? { reason: item.reason.S } : {}),
  };
}

export function storedVersionFromItem(item: Record<string, AttributeValue>): StoredPolicyVersion {
  return { ...policyRecordFromItem(item), ...(item.approvedBy?.S ? { approvedBy: item.approvedBy.S } : {}) };
}

export function policyItem(record: PolicyRecord & { approvedBy?: string }, sk: string): Record<string, AttributeValue> {
  return {
    ...policyKey(sk),
    version: { N: String(record.version) },
    document: { S: JSON.stringify(record.policy) },
    updatedAt: { S: record.updatedAt },
    updatedBy: { S: record.updatedBy },
    ...(record.reason ? { reason: { S: record.reason } } : {}),
    ...(record.approvedBy ? { approvedBy: { S: record.approvedBy } } : {}),
  };
}

export function shadowItem(run: ShadowRun, sk: string): Record<string, AttributeValue> {
  return {
    ...policyKey(sk),
    runId: { S: run.runId },
    document: { S: JSON.stringify(run.policy) },
    status: { S: run.status },
    startedAt: { S: run.startedAt },
    startedBy: { S: run.startedBy },
    reason: { S: run.reason },
    ...(run.stoppedAt ? { stoppedAt: { S: run.stoppedAt } } : {}),
    ...(run.stoppedBy ? { stoppedBy: { S: run.stoppedBy } } : {}),
  };
}

export function shadowRunFromItem(item: Record<string, AttributeValue>): ShadowRun {
  return {
    runId: item.runId?.S ?? '',
    policy: parseDocument(item),
    status: item.status?.S === 'running' ? 'running' : 'stopped',
    startedAt: item.startedAt?.S ?? '',
    startedBy: item.startedBy?.S ?? '',
    reason: item.reason?.S ?? '',
    ...(item.stoppedAt?.S ? { stoppedAt: item.stoppedAt.S } : {}),
    ...(item.stoppedBy?.S ? { stoppedBy: item.stoppedBy.S } : {}),
  };
}

/**
 * The decision path's view of the SHADOW item: the candidate while a run is active, `null` otherwise. A damaged
 * item also reads as `null`: a broken experiment must never break a decision.
 */
export function shadowCandidateFromItem(item: Record<string, AttributeValue> | undefined): ShadowCandidate | null {
  if (!item || item.status?.S !== 'running' || !item.runId?.S) return null;
  try {
    return { runId: item.runId.S, policy: parseDocument(item) };
  } catch {
    return null;
  }
}

export function pendingItem(change: PendingChange): Record<string, AttributeValue> {
  return {
    ...policyKey(pendingSk(change.version)),
    version: { N: String(change.version) },
    baseVersion: { N: String(change.baseVersion) },
    document: { S: JSON.stringify(change.policy) },
    reason: { S: change.reason },
    proposedBy: { S: change.proposedBy },
    proposedBySubject: { S: change.proposedBySubject },
    proposedAt: { S: change.proposedAt },
    status: { S: change.status },
    ...(change.weakening || change.backtest
      ? { review: { S: JSON.stringify({ weakening: change.weakening, backtest: change.backtest }) } }
      : {}),
  };
}

/** What the approver is shown with a pending change; written by this store, so only its shape is checked. */
function reviewFromItem(item: Record<string, AttributeValue>): Pick<PendingChange, 'weakening' | 'backtest'> {
  try {
    const review = JSON.parse(item.review?.S ?? '{}') as Pick<PendingChange, 'weakening' | 'backtest'> | null;
    return {
      ...(Array.isArray(review?.weakening) ? { weakening: review.weakening } : {}),
      ...(review?.backtest && typeof review.backtest === 'object' ? { backtest: review.backtest } : {}),
    };
  } catch {
    return {};
  }
}

export function pendingFromItem(item: Record<string, AttributeValue>): PendingChange {
  return {
    version: Number(item.version?.N ?? 0),
    baseVersion: Number(item.baseVersion?.N ?? 0),
    policy: parseDocument(item),
    reason: item.reason?.S ?? '',
    proposedBy: item.proposedBy?.S ?? '',
    proposedBySubject: item.proposedBySubject?.S ?? '',
    proposedAt: item.proposedAt?.S ?? '',
    status: (item.status?.S ?? 'pending') as PendingStatus,
    ...reviewFromItem(item),
    ...(item.decidedBy?.S ? { decidedBy: item.decidedBy.S } : {}),
    ...(item.decidedAt?.S ? { decidedAt: item.decidedAt.S } : {}),
    ...(item.decisionNote?.S ? { decisionNote: item.decisionNote.S } : {}),
  };
}
