import { CustomResource, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { APP_SECRET_KEYS } from '../../lambdas/contracts/app-secrets';
import { StepgateFunction } from './stepgate-function';

export interface AppSecretsProps {
  /** Used in the secret's description. The name is generated: a deleted secret keeps its name for up to 30 days. */
  readonly prefix: string;
  /** Customer-managed key the secret is encrypted with (the functions already hold kms:Decrypt on it). */
  readonly key: IKey;
  /**
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /** Retention of the seeding function's log group. */
  readonly logRetention: RetentionDays;
}

/**
 * The application secret (SECRETS_ARN): JSON `{ decisionTokenKey, otpPepper, pseudonymKey, cursorKey }`, every value random and
 * generated in AWS (never in the template), by a one-shot custom resource that only adds missing keys.
 */
export class AppSecrets extends Construct {
  readonly secret: Secret;

  constructor(scope: Construct, id: string, props: AppSecretsProps) {
    super(scope, id);
    const [firstKey] = APP_SECRET_KEYS;
    this.secret = new Secret(this, 'Secret', {
      description: `${props.prefix} application keys: ${APP_SECRET_KEYS.join(', ')}`,
      encryptionKey: props.key,
      // Secrets Manager generates one key; the seeder adds the others.
      generateSecretString: {
        secretStringTemplate: '{}',
        generateStringKey: firstKey,
        passwordLength: 64,
        excludePunctuation: true,
      },
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    Validations.of(this.secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Static application keys: rotating decisionTokenKey voids in-flight decision tokens, otpPepper voids pending codes and pseudonymKey changes every identifier pseudonym. Rotation is a planned, versioned operation (runbook), not a schedule.',
    });

    const seeder = new StepgateFunction(this, 'Seeder', {
      name: 'seed-app-secrets',
      spec: {
        entry: 'lib/handlers/seed-app-secrets.ts',
        description: 'Deploy-time: adds missing random keys to the stepgate application secret.',
        env: [],
        tables: {},
        readsSecret: false,
        geoip: false,
        memoryMb: 256,
        timeoutSeconds: 30,
      },
      logRetention: props.logRetention,
      noDeadLetterReason:
        'CloudFormation custom resource: failures are reported to CloudFormation through the response URL and fail the deployment; there is nothing to replay from a queue.',
    });
    seeder.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue'],
        resources: [this.secret.secretArn],
      }),
    );
    seeder.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'],
        resources: [props.key.keyArn],
      }),
    );

    const seed = new CustomResource(this, 'Seed', {
      serviceToken: seeder.fn.functionArn,
      resourceType: 'Custom::StepgateAppSecretSeed',
      properties: { SecretArn: this.secret.secretArn, Keys: [...APP_SECRET_KEYS] },
    });
    seed.node.addDependency(seeder.role);
  }
}
