import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { SessionApproval } from '../../../ports/challenge-store';
import { keyAttributes, n, s, type Item, type ItemKey } from './item';
import { expiresAt, TTL_SECONDS } from './ttl';

/**
 * Define Auth Challenge's approval of one finished session (`APPROVAL#<kind>#<id>` / `APPROVAL`), by the decision
 * (`sign_in`) or step-up (`step_up`) it named; `tokensIssuedAt` marks its one use by pre token generation.
 */
export const approvalKey = (kind: string, id: string): ItemKey => ({ pk: `APPROVAL#${kind}#${id}`, sk: 'APPROVAL' });

export function approvalToItem(approval: SessionApproval): Item {
  return {
    ...keyAttributes(approvalKey(approval.kind, approval.id)),
    kind: s(approval.kind),
    id: s(approval.id),
    userName: s(approval.userName),
    passwordVerified: { BOOL: approval.passwordVerified },
    approvedAt: n(approval.approvedAt),
    ...(approval.stepUpId !== undefined ? { stepUpId: s(approval.stepUpId) } : {}),
    expiresAt: expiresAt(approval.approvedAt, TTL_SECONDS.approval),
  };
}

/** Undefined for anything that is not a whole approval. */
export function approvalFromItem(item: Item): SessionApproval | undefined {
  const raw = unmarshall(item) as Record<string, unknown>;
  if ((raw.kind !== 'sign_in' && raw.kind !== 'step_up') || typeof raw.id !== 'string') return undefined;
  if (typeof raw.userName !== 'string' || typeof raw.approvedAt !== 'number') return undefined;
  return {
    kind: raw.kind,
    id: raw.id,
    userName: raw.userName,
    passwordVerified: raw.passwordVerified === true,
    approvedAt: raw.approvedAt,
    ...(typeof raw.stepUpId === 'string' ? { stepUpId: raw.stepUpId } : {}),
    ...(typeof raw.tokensIssuedAt === 'number' ? { tokensIssuedAt: raw.tokensIssuedAt } : {}),
  };
}
