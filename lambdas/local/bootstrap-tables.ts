import {
  CreateTableCommand,
  DescribeTimeToLiveCommand,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
  type DynamoDBClient,
  type Projection,
} from '@aws-sdk/client-dynamodb';
import { TABLE_DEFINITIONS, type IndexDefinition, type TableDefinition, type TableNames } from '../contracts/tables';

function projectionOf(index: IndexDefinition): Projection {
  const attributes = index.projectedAttributes;
  if (attributes === undefined) return { ProjectionType: 'ALL' };
  if (attributes.length === 0) return { ProjectionType: 'KEYS_ONLY' };
  return { ProjectionType: 'INCLUDE', NonKeyAttributes: [...attributes] };
}

function createTableInput(name: string, def: TableDefinition) {
  const attributes = new Set<string>([def.partitionKey, def.sortKey]);
  for (const index of def.indexes) {
    attributes.add(index.partitionKey);
    attributes.add(index.sortKey);
  }
  return {
    TableName: name,
    BillingMode: 'PAY_PER_REQUEST' as const,
    AttributeDefinitions: [...attributes].map((AttributeName) => ({ AttributeName, AttributeType: 'S' as const })),
    KeySchema: [
      { AttributeName: def.partitionKey, KeyType: 'HASH' as const },
      { AttributeName: def.sortKey, KeyType: 'RANGE' as const },
    ],
    ...(def.indexes.length > 0
      ? {
          GlobalSecondaryIndexes: def.indexes.map((index) => ({
            IndexName: index.indexName,
            KeySchema: [
              { AttributeName: index.partitionKey, KeyType: 'HASH' as const },
              { AttributeName: index.sortKey, KeyType: 'RANGE' as const },
            ],
            Projection: projectionOf(index),
          })),
        }
      : {}),
  };
}

/** Creates the tables (idempotent: existing tables, e.g. from STEPGATE_DATA_DIR, are kept as they are). */
export async function bootstrapTables(client: DynamoDBClient, names: TableNames): Promise<void> {
  await Promise.all(
    (Object.keys(TABLE_DEFINITIONS) as (keyof TableNames)[]).map(async (role) => {
      const def: TableDefinition = TABLE_DEFINITIONS[role];
      const name = names[role];
      try {
        await client.send(new CreateTableCommand(createTableInput(name, def)));
      } catch (error) {
        if (!(error instanceof ResourceInUseException)) throw error;
      }
      if (def.ttlAttribute) {
        const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: name }));
        if (ttl.TimeToLiveDescription?.TimeToLiveStatus !== 'ENABLED') {
          await client.send(
            new UpdateTimeToLiveCommand({
              TableName: name,
              TimeToLiveSpecification: { AttributeName: def.ttlAttribute, Enabled: true },
            }),
          );
        }
      }
    }),
  );
}
