import { Aws, Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { AnyPrincipal, Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Key, KeySpec, KeyUsage } from 'aws-cdk-lib/aws-kms';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectLockRetention, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { ENV, type EnvVarName } from '../../lambdas/contracts/environment';
import { StepgateFunction } from './stepgate-function';
import type { StepgateTables } from './stepgate-tables';
import { tableNamesFor } from '../../lambdas/contracts/tables';

export interface AuditAnchoringProps {
  readonly prefix: string;
  readonly tables: StepgateTables;
  /** Days every checkpoint is locked in compliance mode; at least the audit retention (policy, 400 by default). */
  readonly retentionDays: number;
  /** Minutes between checkpoints. */
  readonly everyMinutes: number;
  /** Values of variables the stack knows (STAGE, ...). */
  readonly environment?: Partial<Record<EnvVarName, string>>;
  readonly logRetention: RetentionDays;
  readonly logRemovalPolicy?: RemovalPolicy;
}

/**
 * Anchors the audit trail outside its table: every `everyMinutes` a scheduled function reads every chain head,
 * signs a checkpoint with an asymmetric KMS key (ECC_NIST_P256, ECDSA_SHA_256; the private key never leaves KMS)
 * and writes it to a bucket with Object Lock in compliance mode, so no one, the account root included, can delete
 * or overwrite a checkpoint before its retention ends. Verification (the audit function, the CLI) only reads.
 *
 * Bucket and key are always retained: they are evidence, and a locked bucket cannot be emptied anyway.
 */
export class AuditAnchoring extends Construct {
  readonly bucket: Bucket;
  readonly accessLogs: Bucket;
  readonly key: Key;
  readonly writer: StepgateFunction;
  readonly schedule: Rule;
  readonly failures: Alarm;
  /** Key prefix of this trail's checkpoints: `<audit table>/`. */
  readonly objectPrefix: string;
  /** `<prefix>-checkpoints-<account>-<region>`: fixed, so grants in other stacks need no cross-stack export. */
  readonly bucketName: string;
  /** ARN of this trail's checkpoint objects (`…/<audit table>/*`). */
  private readonly objectsArn: string;
  /** cdk-nag's id for the wildcard on those objects, acknowledged where it is granted. */
  private readonly objectsFinding: string;

  constructor(scope: Construct, id: string, props: AuditAnchoringProps) {
    super(scope, id);
    if (!Number.isInteger(props.retentionDays) || props.retentionDays < 1) {
      throw new Error(`checkpoint retention must be a whole number of days, got ${props.retentionDays}`);
    }
    // Literal names (not tokens), so the bucket's ARN is the same string in every stack that grants on it.
    this.objectPrefix = `${tableNamesFor(props.prefix).audit}/`;
    this.bucketName = `${props.prefix}-checkpoints-${Aws.ACCOUNT_ID}-${Aws.REGION}`;
    this.objectsArn = `arn:${Aws.PARTITION}:s3:::${this.bucketName}/${this.objectPrefix}*`;
    this.objectsFinding = `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::${props.prefix}-checkpoints-<AWS::AccountId>-<AWS::Region>/${this.objectPrefix}*]`;

    this.key = new Key(this, 'SigningKey', {
      description: `${props.prefix}: signs audit checkpoints (ECDSA P-256)`,
      keySpec: KeySpec.ECC_NIST_P256,
      keyUsage: KeyUsage.SIGN_VERIFY,
      removalPolicy: RemovalPolicy.RETAIN,
      pendingWindow: Duration.days(30),
    });

    this.accessLogs = new Bucket(this, 'AccessLogs', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      lifecycleRules: [{ expiration: Duration.days(props.retentionDays) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This is the access-log bucket of the checkpoint bucket; logging it too would recurse.',
    });

    this.bucket = new Bucket(this, 'Checkpoints', {
      bucketName: this.bucketName,
      objectLockEnabled: true,
      objectLockDefaultRetention: ObjectLockRetention.compliance(Duration.days(props.retentionDays)),
      versioned: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'checkpoints/',
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // Object Lock keeps every version; a delete without a version id would still hide the newest checkpoint
    // behind a delete marker. Nobody needs to delete here, so nobody may.
    this.bucket.addToResourcePolicy(
      new PolicyStatement({
        effect: Effect.DENY,
        principals: [new AnyPrincipal()],
        actions: ['s3:DeleteObject', 's3:DeleteObjectVersion', 's3:PutLifecycleConfiguration'],
        resources: [this.bucket.bucketArn, this.bucket.arnForObjects('*')],
      }),
    );

    this.writer = new StepgateFunction(this, 'Writer', {
      name: 'audit-checkpoint',
      tables: props.tables,
      environment: {
        ...props.environment,
        [ENV.checkpointBucket]: this.bucketName,
        [ENV.checkpointKeyArn]: this.key.keyArn,
        [ENV.checkpointRetentionDays]: String(props.retentionDays),
      },
      logRetention: props.logRetention,
      ...(props.logRemovalPolicy ? { logRemovalPolicy: props.logRemovalPolicy } : {}),
      noDeadLetterReason:
        'Scheduled: a failed run is retried by Lambda and superseded by the next one, which anchors the heads of that moment; there is no event worth replaying. Errors raise the CheckpointFailures alarm.',
    });
    this.writer.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['kms:Sign', 'kms:GetPublicKey'], resources: [this.key.keyArn] }),
    );
    this.grantListing(this.writer);
    // Each checkpoint is a new object under the trail's prefix: the wildcard covers those names and no others.
    this.writer.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['s3:GetObject', 's3:PutObject', 's3:PutObjectRetention'],
        resources: [this.objectsArn],
      }),
    );
    this.acknowledgeObjects(this.writer);

    this.schedule = new Rule(this, 'Schedule', {
      description: `${props.prefix}: sign a checkpoint of the audit trail every ${props.everyMinutes} minutes`,
      schedule: Schedule.rate(Duration.minutes(props.everyMinutes)),
      targets: [
        new LambdaFunction(this.writer.fn, {
          retryAttempts: 2,
          maxEventAge: Duration.minutes(props.everyMinutes),
        }),
      ],
    });
    Validations.of(this.schedule).acknowledge({
      id: 'Serverless-EventBusDLQ',
      reason:
        'A scheduled tick carries no data: a missed one has nothing to replay, and the next tick anchors the heads of that moment. Failed runs raise the CheckpointFailures alarm.',
    });

    this.failures = new Alarm(this, 'CheckpointFailures', {
      alarmDescription: 'The audit checkpoint writer failed: the trail is not being anchored.',
      metric: this.writer.fn.metricErrors({ period: Duration.minutes(props.everyMinutes) }),
      threshold: 1,
      evaluationPeriods: 2,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
  }

  private grantListing(fn: StepgateFunction): void {
    fn.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [`arn:${Aws.PARTITION}:s3:::${this.bucketName}`],
        conditions: { StringLike: { 's3:prefix': [`${this.objectPrefix}*`] } },
      }),
    );
  }

  private acknowledgeObjects(fn: StepgateFunction): void {
    Validations.of(fn.role).acknowledge({
      id: this.objectsFinding,
      reason: `Checkpoints are one new object per run under ${this.objectPrefix}: the grant covers that prefix of the checkpoint bucket only.`,
    });
  }

  /** What verification needs: list and read this trail's checkpoints, and the key's public half. */
  grantVerify(fn: StepgateFunction): void {
    this.grantListing(fn);
    fn.role.addToPrincipalPolicy(new PolicyStatement({ actions: ['s3:GetObject'], resources: [this.objectsArn] }));
    fn.role.addToPrincipalPolicy(new PolicyStatement({ actions: ['kms:GetPublicKey'], resources: [this.key.keyArn] }));
    this.acknowledgeObjects(fn);
  }
}
