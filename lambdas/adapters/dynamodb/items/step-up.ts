import type { TransactWriteItem } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { RequestFeatures } from '../../../core/risk/types';
import type { StoredStepUp } from '../../../ports/decision-store';
import { keyAttributes, n, type Item, type ItemKey } from './item';
import { epochSeconds, TTL_SECONDS } from './ttl';

/**
 * A step-up (`STEPUP#<id>` / `STEPUP`): written pending by the decision that asked for it, turned into a grant by
 * the ceremony (grant.ts reads its ceremony attributes), consumed by a decision or redeemed by a change of
 * authenticators. `validUntil` (epoch ms) is when it can no longer be completed; `expiresAt` (TTL) keeps it a
 * little longer (`TTL_SECONDS.stepUpGrace`). `revision` guards concurrent changes (consumption, status changes).
 */
export const stepUpKey = (stepUpId: string): ItemKey => ({ pk: `STEPUP#${stepUpId}`, sk: 'STEPUP' });

export function stepUpToItem(stepUp: StoredStepUp): Item {
  const { features, ...rest } = stepUp;
  return {
    ...keyAttributes(stepUpKey(stepUp.stepUpId)),
    ...marshall({ ...rest, features: JSON.stringify(features) }, { removeUndefinedValues: true }),
    expiresAt: n(epochSeconds(stepUp.expiresAt) + TTL_SECONDS.stepUpGrace),
    validUntil: n(stepUp.expiresAt),
  };
}

export function stepUpFromItem(item: Item): StoredStepUp {
  const raw = unmarshall(item) as Record<string, unknown>;
  return {
    stepUpId: String(raw.stepUpId),
    userId: String(raw.userId),
    action: String(raw.action),
    decisionId: String(raw.decisionId),
    acr: String(raw.acr),
    methods: Array.isArray(raw.methods) ? raw.methods.map(String) : [],
    maxAgeSeconds: Number(raw.maxAgeSeconds),
    status: raw.status as StoredStepUp['status'],
    createdAt: Number(raw.createdAt),
    expiresAt: Number(raw.validUntil ?? raw.expiresAt),
    ...(raw.grantedAt !== undefined ? { grantedAt: Number(raw.grantedAt) } : {}),
    consumed: raw.consumed === true,
    ...(typeof raw.deviceId === 'string' ? { deviceId: raw.deviceId } : {}),
    ...(typeof raw.sessionId === 'string' ? { sessionId: raw.sessionId } : {}),
    features: JSON.parse(String(raw.features)) as RequestFeatures,
    revision: Number(raw.revision ?? 0),
  };
}

/** A new pending step-up, never overwriting one with the same id. */
export function newStepUpPut(table: string, stepUp: StoredStepUp): TransactWriteItem {
  return { Put: { TableName: table, Item: stepUpToItem(stepUp), ConditionExpression: 'attribute_not_exists(pk)' } };
}

/**
 * A single-use grant consumed by a decision (critical actions): fails if it was consumed, or changed at all, since
 * it was read at `expectedRevision`.
 */
export function consumeGrantUpdate(table: string, stepUpId: string, expectedRevision: number): TransactWriteItem {
  return {
    Update: {
      TableName: table,
      Key: keyAttributes(stepUpKey(stepUpId)),
      // `consumed` is a DynamoDB reserved word: it must go through a name placeholder.
      UpdateExpression: 'SET #consumed = :true, revision = revision + :one',
      ConditionExpression: '#consumed = :false AND revision = :rev',
      ExpressionAttributeNames: { '#consumed': 'consumed' },
      ExpressionAttributeValues: {
        ':true': { BOOL: true },
        ':false': { BOOL: false },
        ':one': n(1),
        ':rev': n(expectedRevision),
      },
    },
  };
}
