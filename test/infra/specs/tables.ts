import { Match } from 'aws-cdk-lib/assertions';
import {
  TABLE_DEFINITIONS,
  tableNamesFor,
  type IndexDefinition,
  type TableRole,
} from '../../../lambdas/contracts/tables';
import { logicalId, synthStage } from '../support/synth';

const ROLES = Object.keys(TABLE_DEFINITIONS) as TableRole[];

describe.each(['dev', 'prod'] as const)('tables (%s)', (stage) => {
  const s = synthStage(stage);
  const resources = s.statefulTemplate.toJSON().Resources as Record<
    string,
    { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string; UpdateReplacePolicy?: string }
  >;
  const table = (role: TableRole) => {
    const r = resources[logicalId(s.stateful.tables.table(role))];
    if (!r) throw new Error(`no ${role} table`);
    return r;
  };

  it('builds exactly the three tables', () => {
    expect(Object.values(resources).filter((r) => r.Type === 'AWS::DynamoDB::Table')).toHaveLength(3);
  });

  it.each(ROLES)('builds %s from TABLE_DEFINITIONS: name, keys, indexes, TTL', (role) => {
    const def = TABLE_DEFINITIONS[role];
    const p = table(role).Properties;
    expect(p.TableName).toBe(tableNamesFor(`stepgate-${stage}`)[role]);
    expect(p.KeySchema).toEqual([
      { AttributeName: def.partitionKey, KeyType: 'HASH' },
      { AttributeName: def.sortKey, KeyType: 'RANGE' },
    ]);
    const indexes = (p.GlobalSecondaryIndexes ?? []) as {
      IndexName: string;
      KeySchema: unknown;
      Projection: unknown;
    }[];
    expect(indexes.map((i) => ({ name: i.IndexName, keys: i.KeySchema, projection: i.Projection }))).toEqual(
      def.indexes.map((i: IndexDefinition) => ({
        name: i.indexName,
        keys: [
          { AttributeName: i.partitionKey, KeyType: 'HASH' },
          { AttributeName: i.sortKey, KeyType: 'RANGE' },
        ],
        projection:
          i.projectedAttributes === undefined
            ? { ProjectionType: 'ALL' }
            : { ProjectionType: 'INCLUDE', NonKeyAttributes: [...i.projectedAttributes] },
      })),
    );
    const ttl = 'ttlAttribute' in def ? def.ttlAttribute : undefined;
    expect(p.TimeToLiveSpecification).toEqual(ttl ? { AttributeName: ttl, Enabled: true } : undefined);
  });

  it.each(ROLES)('%s is on demand, has PITR and is encrypted with the customer-managed key', (role) => {
    const p = table(role).Properties;
    expect(p.BillingMode).toBe('PAY_PER_REQUEST');
    expect(p.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    expect(p.SSESpecification).toEqual({
      SSEEnabled: true,
      SSEType: 'KMS',
      KMSMasterKeyId: { 'Fn::GetAtt': [logicalId(s.stateful.tables.key), 'Arn'] },
    });
  });

  it('projects only keys, expiry and the shadow run into the risk indexes: decisions are written far more than read', () => {
    const indexes = table('risk').Properties.GlobalSecondaryIndexes as { IndexName: string; Projection: unknown }[];
    expect(indexes.map((i) => [i.IndexName, i.Projection])).toEqual([
      ['byTime', { ProjectionType: 'INCLUDE', NonKeyAttributes: ['expiresAt', 'shadowRun'] }],
      ['byUser', { ProjectionType: 'INCLUDE', NonKeyAttributes: ['expiresAt'] }],
    ]);
  });

  it('always retains and deletion-protects the audit table', () => {
    const audit = table('audit');
    expect(audit.DeletionPolicy).toBe('Retain');
    expect(audit.UpdateReplacePolicy).toBe('Retain');
    expect(audit.Properties.DeletionProtectionEnabled).toBe(true);
  });

  it('protects risk and policy in prod only; dev can be torn down', () => {
    for (const role of ['risk', 'policy'] as const) {
      const t = table(role);
      expect(t.Properties.DeletionProtectionEnabled).toBe(stage === 'prod');
      expect(t.DeletionPolicy).toBe(stage === 'prod' ? 'Retain' : 'Delete');
    }
  });

  it('retains a rotating KMS key in every stage (a deleted key would make the retained audit table unreadable)', () => {
    s.statefulTemplate.hasResource('AWS::KMS::Key', {
      Properties: Match.objectLike({ EnableKeyRotation: true }),
      DeletionPolicy: 'Retain',
    });
  });

  it('turns contributor insights on in prod only', () => {
    for (const role of ROLES) {
      const spec = table(role).Properties.ContributorInsightsSpecification;
      expect(spec).toEqual(stage === 'prod' ? { Enabled: true } : undefined);
    }
  });
});
