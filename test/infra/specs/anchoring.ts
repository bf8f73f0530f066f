import { Match } from 'aws-cdk-lib/assertions';
import { ENV } from '../../../lambdas/contracts/environment';
import { actionsOf, logicalId, statementsOfRole, synthStage } from '../support/synth';

describe.each(['dev', 'prod'] as const)('audit anchoring (%s)', (stage) => {
  const s = synthStage(stage);
  const t = s.statefulTemplate;
  const anchoring = s.stateful.anchoring;
  const bucketId = logicalId(anchoring.bucket);
  const keyId = logicalId(anchoring.key);
  const bucket = () =>
    t.toJSON().Resources[bucketId] as { Properties: Record<string, unknown>; DeletionPolicy: string };

  it('keeps checkpoints in a versioned bucket with Object Lock in compliance mode for the audit retention', () => {
    expect(bucket().Properties).toMatchObject({
      ObjectLockEnabled: true,
      ObjectLockConfiguration: {
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 400 } },
      },
      VersioningConfiguration: { Status: 'Enabled' },
    });
    expect(s.stateful.anchoring.objectPrefix).toBe(`stepgate-${stage}-audit/`);
    // Evidence outlives the stack, in dev too.
    expect(bucket().DeletionPolicy).toBe('Retain');
  });

  it('blocks public access, encrypts, requires TLS, logs access, and lets nobody delete or expire objects', () => {
    expect(bucket().Properties).toMatchObject({
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      LoggingConfiguration: { DestinationBucketName: { Ref: logicalId(anchoring.accessLogs) } },
    });
    const policy = Object.values(t.findResources('AWS::S3::BucketPolicy')).find(
      (p) => JSON.stringify(p.Properties.Bucket) === JSON.stringify({ Ref: bucketId }),
    ) as { Properties: { PolicyDocument: { Statement: { Effect: string; Action: unknown; Condition?: unknown }[] } } };
    const statements = policy.Properties.PolicyDocument.Statement;
    expect(statements).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
    const denied = statements.filter((st) => st.Effect === 'Deny' && !st.Condition).flatMap((st) => [st.Action].flat());
    expect(denied).toEqual(expect.arrayContaining(['s3:DeleteObject', 's3:DeleteObjectVersion']));
  });

  it('signs with an asymmetric ECC_NIST_P256 SIGN_VERIFY key that is retained', () => {
    t.hasResource('AWS::KMS::Key', {
      Properties: Match.objectLike({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' }),
      DeletionPolicy: 'Retain',
    });
    expect(t.toJSON().Resources[keyId].Properties.KeySpec).toBe('ECC_NIST_P256');
  });

  it('runs the writer every 15 minutes from an EventBridge schedule, with retries', () => {
    t.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(15 minutes)',
      State: 'ENABLED',
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [logicalId(anchoring.writer.fn), 'Arn'] },
          RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 900 },
        }),
      ],
    });
    const vars = (
      t.toJSON().Resources[logicalId(anchoring.writer.fn)] as {
        Properties: { Environment: { Variables: Record<string, unknown> } };
      }
    ).Properties.Environment.Variables;
    expect(vars[ENV.checkpointRetentionDays]).toBe('400');
    expect(JSON.stringify(vars[ENV.checkpointKeyArn])).toContain(keyId);
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalId(anchoring.writer.fn) } }],
    });
  });

  it('lets the writer sign with the key and write new objects under its trail prefix, nothing more', () => {
    const statements = statementsOfRole(t, logicalId(anchoring.writer.role));
    const all = statements.flatMap(actionsOf);
    const onSigningKey = statements.filter((st) => JSON.stringify(st.Resource).includes(keyId));
    expect(onSigningKey.flatMap(actionsOf).sort()).toEqual(['kms:GetPublicKey', 'kms:Sign']);
    expect(all.filter((a) => a.startsWith('s3:')).sort()).toEqual([
      's3:GetObject',
      's3:ListBucket',
      's3:PutObject',
      's3:PutObjectRetention',
    ]);
    expect(all.filter((a) => /Delete|BypassGovernance|PutBucket|s3:\*|kms:\*/.test(a))).toEqual([]);
    const objects = statements.find((st) => actionsOf(st).includes('s3:PutObject'))!;
    expect(JSON.stringify(objects.Resource)).toContain(`-checkpoints-`);
    expect(JSON.stringify(objects.Resource)).toContain(`/stepgate-${stage}-audit/*`);
    const listing = statements.find((st) => actionsOf(st).includes('s3:ListBucket'))!;
    expect(listing.Condition).toEqual({ StringLike: { 's3:prefix': [`stepgate-${stage}-audit/*`] } });
    // It reads the audit table (Query only) and writes nothing there.
    const dynamo = all.filter((a) => a.startsWith('dynamodb:'));
    expect([...new Set(dynamo)]).toEqual(['dynamodb:Query']);
  });

  it('gives the audit API function read-only access to the checkpoints and the public key', () => {
    const statements = statementsOfRole(s.statelessTemplate, logicalId(s.stateless.admin.audit.role));
    const all = statements.flatMap(actionsOf);
    expect(all.filter((a) => a.startsWith('s3:')).sort()).toEqual(['s3:GetObject', 's3:ListBucket']);
    expect(all).toContain('kms:GetPublicKey');
    expect(all).not.toContain('kms:Sign');
    expect(all.filter((a) => /s3:Put|s3:Delete/.test(a))).toEqual([]);
    const vars = (
      s.statelessTemplate.toJSON().Resources[logicalId(s.stateless.admin.audit.fn)] as {
        Properties: { Environment: { Variables: Record<string, unknown> } };
      }
    ).Properties.Environment.Variables;
    expect(JSON.stringify(vars[ENV.checkpointBucket])).toContain(`stepgate-${stage}-checkpoints-`);
  });

  it('outputs the bucket and key for the CLI', () => {
    const outputs = Object.keys(t.toJSON().Outputs as object);
    expect(outputs).toEqual(expect.arrayContaining(['CheckpointBucket', 'CheckpointKeyArn']));
  });
});
