import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { TABLE_DEFINITIONS, tableNamesFor, type TableDefinition, type TableRole } from '../../lambdas/contracts/tables';

export interface StepgateTablesProps {
  /** Table names are `<prefix>-risk`, `<prefix>-audit`, `<prefix>-policy` (tableNamesFor). */
  readonly prefix: string;
  /**
   * Removal policy of the risk and policy tables. The audit table and the KMS key are always RETAIN: the audit
   * trail outlives the stack, and a deleted key would make the retained table unreadable.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Deletion protection on the risk and policy tables (the audit table always has it).
   * @default true
   */
  readonly deletionProtection?: boolean;
  /**
   * CloudWatch Contributor Insights on every table and index (hot keys: an IP under attack, a noisy user).
   * @default false
   */
  readonly contributorInsights?: boolean;
}

/**
 * stepgate's three DynamoDB tables, built from the shared TABLE_DEFINITIONS (the same schema the local runtime
 * bootstraps): on demand, point-in-time recovery, TTL from the definition, encrypted with one customer-managed key.
 */
export class StepgateTables extends Construct {
  readonly key: Key;
  readonly risk: Table;
  readonly audit: Table;
  readonly policy: Table;

  constructor(scope: Construct, id: string, props: StepgateTablesProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const deletionProtection = props.deletionProtection ?? true;
    const names = tableNamesFor(props.prefix);

    this.key = new Key(this, 'Key', {
      description: `${props.prefix}: DynamoDB tables and application secret`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
      pendingWindow: Duration.days(30),
    });

    const build = (role: TableRole, def: TableDefinition, policy: RemovalPolicy, protect: boolean): Table => {
      const table = new Table(this, capitalize(role), {
        tableName: names[role],
        partitionKey: { name: def.partitionKey, type: AttributeType.STRING },
        sortKey: { name: def.sortKey, type: AttributeType.STRING },
        billingMode: BillingMode.PAY_PER_REQUEST,
        encryption: TableEncryption.CUSTOMER_MANAGED,
        encryptionKey: this.key,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        deletionProtection: protect,
        removalPolicy: policy,
        ...(def.ttlAttribute ? { timeToLiveAttribute: def.ttlAttribute } : {}),
        ...(props.contributorInsights ? { contributorInsightsSpecification: { enabled: true } } : {}),
      });
      for (const index of def.indexes) {
        table.addGlobalSecondaryIndex({
          indexName: index.indexName,
          partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
          sortKey: { name: index.sortKey, type: AttributeType.STRING },
          ...(index.projectedAttributes === undefined
            ? { projectionType: ProjectionType.ALL }
            : index.projectedAttributes.length === 0
              ? { projectionType: ProjectionType.KEYS_ONLY }
              : { projectionType: ProjectionType.INCLUDE, nonKeyAttributes: [...index.projectedAttributes] }),
          ...(props.contributorInsights ? { contributorInsightsSpecification: { enabled: true } } : {}),
        });
      }
      return table;
    };

    this.risk = build('risk', TABLE_DEFINITIONS.risk, removalPolicy, deletionProtection);
    this.audit = build('audit', TABLE_DEFINITIONS.audit, RemovalPolicy.RETAIN, true);
    this.policy = build('policy', TABLE_DEFINITIONS.policy, removalPolicy, deletionProtection);
  }

  table(role: TableRole): Table {
    return this[role];
  }
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
