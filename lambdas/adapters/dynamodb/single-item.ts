import {
  ConditionalCheckFailedException,
  GetItemCommand,
  UpdateItemCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { keyAttributes, type Item, type ItemKey } from './items/item';

/** One item by key, read consistently (the step-up ceremony reads what it just wrote). */
export async function getItem(client: DynamoDBClient, table: string, key: ItemKey): Promise<Item | undefined> {
  const out = await client.send(
    new GetItemCommand({ TableName: table, Key: keyAttributes(key), ConsistentRead: true }),
  );
  return out.Item;
}

export interface ConditionalUpdate {
  readonly key: ItemKey;
  readonly update: string;
  readonly condition: string;
  readonly values: Item;
  readonly names?: Record<string, string>;
}

/**
 * An UpdateItem whose failed condition means "no" rather than an error: the item as updated (ALL_NEW), or
 * undefined when the condition did not hold.
 */
export async function conditionalUpdate(
  client: DynamoDBClient,
  table: string,
  input: ConditionalUpdate,
): Promise<Item | undefined> {
  try {
    const out = await client.send(
      new UpdateItemCommand({
        TableName: table,
        Key: keyAttributes(input.key),
        UpdateExpression: input.update,
        ConditionExpression: input.condition,
        ExpressionAttributeValues: input.values,
        ...(input.names ? { ExpressionAttributeNames: input.names } : {}),
        ReturnValues: 'ALL_NEW',
      }),
    );
    return out.Attributes ?? {};
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return undefined;
    throw error;
  }
}
