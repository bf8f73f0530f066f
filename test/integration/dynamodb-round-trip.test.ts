import { DescribeTableCommand, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { TABLE_DEFINITIONS } from '../../lambdas/contracts/tables';
import { createTestTables, testDynamoClient } from '../support/dynamodb';

describe('DynamoDB Local round trip', () => {
  const client = testDynamoClient();
  afterAll(() => client.destroy());

  it('creates the tables from the shared definitions and stores and reads an item', async () => {
    const names = await createTestTables(client, 'roundtrip');
    expect(names.risk).toContain('risk');
    expect(names.audit).toContain('audit');
    expect(names.policy).toContain('policy');

    const described = await client.send(new DescribeTableCommand({ TableName: names.audit }));
    expect(described.Table?.KeySchema?.map((k) => k.AttributeName)).toEqual([
      TABLE_DEFINITIONS.audit.partitionKey,
      TABLE_DEFINITIONS.audit.sortKey,
    ]);
    expect(described.Table?.GlobalSecondaryIndexes?.map((i) => i.IndexName).sort()).toEqual(['bySubject', 'byTime']);
    const risk = await client.send(new DescribeTableCommand({ TableName: names.risk }));
    expect(risk.Table?.GlobalSecondaryIndexes?.map((i) => [i.IndexName, i.Projection]).sort()).toEqual([
      ['byTime', { ProjectionType: 'INCLUDE', NonKeyAttributes: ['expiresAt', 'shadowRun'] }],
      ['byUser', { ProjectionType: 'INCLUDE', NonKeyAttributes: ['expiresAt'] }],
    ]);

    await client.send(
      new PutItemCommand({ TableName: names.risk, Item: { pk: { S: 'USER#a' }, sk: { S: 'PROFILE' }, n: { N: '7' } } }),
    );
    const got = await client.send(
      new GetItemCommand({
        TableName: names.risk,
        Key: { pk: { S: 'USER#a' }, sk: { S: 'PROFILE' } },
        ConsistentRead: true,
      }),
    );
    expect(got.Item?.n?.N).toBe('7');
  });
});
