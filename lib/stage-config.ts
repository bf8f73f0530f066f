import { RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';

export const STAGES = ['dev', 'prod'] as const;
export type StageName = (typeof STAGES)[number];

/** Alarm thresholds. Rates are percentages over 5-minute periods. */
export interface AlarmThresholds {
  /** Decide Lambda errors / invocations. */
  readonly decideErrorRatePercent: number;
  /** Decide Lambda p99 duration. */
  readonly decideP99LatencyMs: number;
  /** deny / all decisions. */
  readonly denyRatePercent: number;
  /** step_up / all decisions. */
  readonly stepUpRatePercent: number;
  /** Below this many decisions in a period the rate alarms stay quiet (three denies out of five are not news). */
  readonly minDecisionsForRate: number;
  /** Failed step-up verifications (wrong codes) in 5 minutes: guessing or a broken sender. */
  readonly verificationFailuresPer5Min: number;
  /** API 5xx responses in 5 minutes. */
  readonly api5xxPer5Min: number;
  /** p99 duration of any Cognito trigger; Cognito gives up at 5 s. */
  readonly triggerP99LatencyMs: number;
}

/**
 * Everything that differs between stages. Built by bin/stepgate.ts (the only reader of CDK context) and passed down
 * as props; constructs never read context themselves.
 */
export interface StageConfig {
  readonly stage: StageName;
  /** Prefix of stack, table and domain names. */
  readonly prefix: string;
  /** Removal policy of replaceable state (risk and policy tables, user pool, secret, log groups). Audit is always RETAIN. */
  readonly removalPolicy: RemovalPolicy;
  /** Deletion protection on the risk and policy tables and the user pool (the audit table always has it). */
  readonly deletionProtection: boolean;
  /** CloudFormation termination protection on both stacks. */
  readonly terminationProtection: boolean;
  readonly logRetention: RetentionDays;
  readonly contributorInsights: boolean;
  readonly alarms: AlarmThresholds;
  /** Optional SNS topic ARN that alarms notify. */
  readonly alarmTopicArn?: string;
  /** API throttling (default stage, all routes). */
  /** Days each audit checkpoint is locked (Object Lock, compliance mode): at least the audit retention. */
  readonly checkpointRetentionDays: number;
  /** Minutes between audit checkpoints. */
  readonly checkpointEveryMinutes: number;
  readonly apiRateLimit: number;
  readonly apiBurstLimit: number;
  /** Sender of one-time codes; must be verified in SES (identity below). */
  readonly sesFromAddress: string;
  /** SES identity ARN the code sender may use; default: the domain identity of sesFromAddress in this account/region. */
  readonly sesIdentityArn?: string;
  /** Cognito hosted domain prefix for the token endpoint (client-credentials); default `<prefix>-<account id>`. */
  readonly authDomainPrefix?: string;
  /** The ASN table decide scores with; default: built from the installed `@ip-location-db/asn`, shipped in the bundle. */
  readonly networkData?: NetworkDataConfig;
}

/** Operator-supplied ASN data (docs/network.md: refreshing the data). */
export interface NetworkDataConfig {
  /** A table file (`stepgate network build --out FILE`) to ship in the decide bundle instead of the default. */
  readonly file?: string;
  /**
   * A zip in S3 holding `network/asn.bin`, published as a Lambda layer that decide reads instead of its bundled
   * copy. Use a new key (or objectVersion) per refresh: CloudFormation only makes a new layer version when these
   * change.
   */
  readonly s3?: { readonly bucket: string; readonly key: string; readonly objectVersion?: string };
}

/** Overrides bin/stepgate.ts may take from context. */
export type StageOverrides = Partial<
  Pick<StageConfig, 'sesFromAddress' | 'sesIdentityArn' | 'alarmTopicArn' | 'authDomainPrefix' | 'networkData'>
>;

/** Placeholder sender: synth works without configuration, deploys that send mail need `-c sesFromAddress=...`. */
export const PLACEHOLDER_SES_FROM_ADDRESS = 'no-reply@example.com';

export function isStageName(value: unknown): value is StageName {
  return typeof value === 'string' && (STAGES as readonly string[]).includes(value);
}

export function stageConfig(stage: StageName, overrides: StageOverrides = {}): StageConfig {
  const prod = stage === 'prod';
  return {
    stage,
    prefix: `stepgate-${stage}`,
    removalPolicy: prod ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    deletionProtection: prod,
    terminationProtection: prod,
    // SOC 2 evidence lives in the audit table; logs are for operations, a year is plenty in prod.
    logRetention: prod ? RetentionDays.ONE_YEAR : RetentionDays.TWO_WEEKS,
    contributorInsights: prod,
    alarms: prod
      ? {
          decideErrorRatePercent: 1,
          decideP99LatencyMs: 500,
          denyRatePercent: 10,
          stepUpRatePercent: 30,
          minDecisionsForRate: 50,
          verificationFailuresPer5Min: 50,
          api5xxPer5Min: 10,
          triggerP99LatencyMs: 3000,
        }
      : {
          decideErrorRatePercent: 5,
          decideP99LatencyMs: 1500,
          denyRatePercent: 25,
          stepUpRatePercent: 50,
          minDecisionsForRate: 20,
          verificationFailuresPer5Min: 100,
          api5xxPer5Min: 25,
          triggerP99LatencyMs: 3500,
        },
    // The policy's default audit retention (retention.auditDays); raise both together.
    checkpointRetentionDays: 400,
    checkpointEveryMinutes: 15,
    apiRateLimit: prod ? 500 : 50,
    apiBurstLimit: prod ? 1000 : 100,
    sesFromAddress: overrides.sesFromAddress ?? PLACEHOLDER_SES_FROM_ADDRESS,
    ...(overrides.sesIdentityArn ? { sesIdentityArn: overrides.sesIdentityArn } : {}),
    ...(overrides.alarmTopicArn ? { alarmTopicArn: overrides.alarmTopicArn } : {}),
    ...(overrides.authDomainPrefix ? { authDomainPrefix: overrides.authDomainPrefix } : {}),
    ...(overrides.networkData ? { networkData: overrides.networkData } : {}),
  };
}
