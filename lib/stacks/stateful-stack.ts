import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { AppSecrets } from '../constructs/app-secrets';
import { AuditAnchoring } from '../constructs/audit-anchoring';
import { ENV } from '../../lambdas/contracts/environment';
import { StepUpAuth } from '../constructs/step-up-auth';
import { StepgateTables } from '../constructs/stepgate-tables';
import type { StageConfig } from '../stage-config';

export interface StatefulStackProps extends StackProps {
  readonly config: StageConfig;
}

/**
 * What must survive a redeploy: the tables and their key, the application secret, the audit trail's anchoring
 * (checkpoint bucket, signing key, and the scheduled writer beside them), and the user pool (it holds the
 * users, their passwords and TOTP enrolments; replacing it signs everyone out for good). The Cognito triggers live
 * here too because the pool names them in its LambdaConfig: in another stack the pool would depend on that stack
 * while the triggers depend on the tables here, a cycle. The stateless stack depends on this one, never the reverse.
 */
export class StatefulStack extends Stack {
  readonly tables: StepgateTables;
  readonly secrets: AppSecrets;
  readonly auth: StepUpAuth;
  readonly anchoring: AuditAnchoring;

  constructor(scope: Construct, id: string, props: StatefulStackProps) {
    super(scope, id, { terminationProtection: props.config.terminationProtection, ...props });
    const c = props.config;

    this.tables = new StepgateTables(this, 'Tables', {
      prefix: c.prefix,
      removalPolicy: c.removalPolicy,
      deletionProtection: c.deletionProtection,
      contributorInsights: c.contributorInsights,
    });
    this.secrets = new AppSecrets(this, 'Secrets', {
      prefix: c.prefix,
      key: this.tables.key,
      removalPolicy: c.removalPolicy,
      logRetention: c.logRetention,
    });
    this.anchoring = new AuditAnchoring(this, 'AuditAnchoring', {
      prefix: c.prefix,
      tables: this.tables,
      retentionDays: c.checkpointRetentionDays,
      everyMinutes: c.checkpointEveryMinutes,
      environment: { [ENV.stage]: c.stage },
      logRetention: c.logRetention,
      logRemovalPolicy: c.removalPolicy,
    });
    this.auth = new StepUpAuth(this, 'Auth', {
      prefix: c.prefix,
      stage: c.stage,
      tables: this.tables,
      secret: this.secrets.secret,
      sesFromAddress: c.sesFromAddress,
      ...(c.sesIdentityArn ? { sesIdentityArn: c.sesIdentityArn } : {}),
      ...(c.authDomainPrefix ? { domainPrefix: c.authDomainPrefix } : {}),
      removalPolicy: c.removalPolicy,
      deletionProtection: c.deletionProtection,
      logRetention: c.logRetention,
      logRemovalPolicy: c.removalPolicy,
    });

    new CfnOutput(this, 'UserPoolId', { value: this.auth.userPool.userPoolId });
    new CfnOutput(this, 'AppClientId', {
      value: this.auth.appClient.userPoolClientId,
      description: 'Client-credentials client of app backends; its secret is in the Cognito console/API, never output',
    });
    new CfnOutput(this, 'WebClientId', { value: this.auth.webClient.userPoolClientId });
    new CfnOutput(this, 'TokenEndpoint', { value: `${this.auth.domain.baseUrl()}/oauth2/token` });
    new CfnOutput(this, 'TokenIssuer', { value: this.auth.tokenIssuer });
    new CfnOutput(this, 'SecretArn', { value: this.secrets.secret.secretArn });
    new CfnOutput(this, 'CheckpointBucket', {
      value: this.anchoring.bucket.bucketName,
      description: 'Signed audit checkpoints (Object Lock, compliance mode): STEPGATE_CHECKPOINT_BUCKET for the CLI',
    });
    new CfnOutput(this, 'CheckpointKeyArn', {
      value: this.anchoring.key.keyArn,
      description: 'KMS key that signs audit checkpoints: STEPGATE_CHECKPOINT_KEY_ID for the CLI',
    });
  }
}
