import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { localClientConfig } from '../../lambdas/local/dynamodb-local';
import { bootstrapTables } from '../../lambdas/local/bootstrap-tables';
import { tableNamesFor, type TableNames } from '../../lambdas/contracts/tables';

export function testDynamoEndpoint(): string {
  const endpoint = process.env.STEPGATE_TEST_DYNAMODB_ENDPOINT;
  if (!endpoint)
    throw new Error('STEPGATE_TEST_DYNAMODB_ENDPOINT is not set: run the tests through jest (global setup)');
  return endpoint;
}

export function testDynamoClient(): DynamoDBClient {
  return new DynamoDBClient(localClientConfig(testDynamoEndpoint()));
}

/** Fresh tables under a unique prefix, so suites running in parallel never see each other's data. */
export async function createTestTables(client: DynamoDBClient, label = 'suite'): Promise<TableNames> {
  const names = tableNamesFor(`t-${label}-${randomUUID().slice(0, 8)}`);
  await bootstrapTables(client, names);
  return names;
}
