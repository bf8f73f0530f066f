import { GetItemCommand, PutItemCommand, type DynamoDBClient, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { parsePolicy } from '../../core/policy/policy-schema';
import type { PolicyRecord } from '../../ports/policy-store';

/**
 * Policy table layout: `POLICY/ACTIVE` holds a full copy of the active version (one GetItem, or one key in the
 * decision's BatchGet, reads it), `POLICY/V#<000001>` every version ever stored. The document is kept as a JSON
 * string so DynamoDB's type mapping can never alter it.
 */
export const POLICY_PK = 'POLICY';
export const ACTIVE_SK = 'ACTIVE';

export function versionSk(version: number): string {
  return `V#${String(version).padStart(6, '0')}`;
}

export const activePolicyKey: Record<string, AttributeValue> = { pk: { S: POLICY_PK }, sk: { S: ACTIVE_SK } };

export class CorruptPolicyError extends Error {
  readonly code = 'corrupt_policy';
}

/** Reads a stored policy item; a damaged one is reported as CorruptPolicyError, never used half-parsed. */
export function policyRecordFromItem(item: Record<string, AttributeValue>): PolicyRecord {
  let document: unknown;
  try {
    document = JSON.parse(item.document?.S ?? '');
  } catch (error) {
    throw new CorruptPolicyError('stored policy document is not JSON', { cause: error });
  }
  const parsed = parsePolicy(document);
  if (!parsed.ok) throw new CorruptPolicyError(`stored policy is invalid at ${parsed.issues[0]?.path ?? '?'}`);
  return {
    version: Number(item.version?.N ?? parsed.policy.version),
    policy: parsed.policy,
    updatedAt: item.updatedAt?.S ?? '',
    updatedBy: item.updatedBy?.S ?? '',
    ...(item.reason?.S ? { reason: item.reason.S } : {}),
  };
}

export function policyItem(record: PolicyRecord, sk: string): Record<string, AttributeValue> {
  return {
    pk: { S: POLICY_PK },
    sk: { S: sk },
    version: { N: String(record.version) },
    document: { S: JSON.stringify(record.policy) },
    updatedAt: { S: record.updatedAt },
    updatedBy: { S: record.updatedBy },
    ...(record.reason ? { reason: { S: record.reason } } : {}),
  };
}

export class DynamoDbPolicyStore {
  constructor(
    private readonly client: DynamoDBClient,
    readonly tableName: string,
  ) {}

  async getActive(): Promise<PolicyRecord | undefined> {
    const out = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: activePolicyKey, ConsistentRead: true }));
    return out.Item ? policyRecordFromItem(out.Item) : undefined;
  }

  /** Stores `record` as version 1 and active, unless a policy exists already (restarts keep tuned policies). */
  async seedIfEmpty(record: PolicyRecord): Promise<boolean> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: policyItem(record, ACTIVE_SK),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
    await this.client.send(new PutItemCommand({ TableName: this.tableName, Item: policyItem(record, versionSk(record.version)) }));
    return true;
  }
}
