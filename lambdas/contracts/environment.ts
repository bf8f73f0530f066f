/**
 * The environment variables the stacks set and the Lambda wiring reads, named once: the CDK builds each function's
 * environment from these names (lib/lambda-entries.ts lists which function gets which), and the wiring files read
 * them with the same constants, so a renamed variable cannot leave one side reading a name the other never sets.
 */
export const ENV = {
  /** Table names (`<prefix>-risk` etc.). */
  riskTable: 'RISK_TABLE',
  auditTable: 'AUDIT_TABLE',
  policyTable: 'POLICY_TABLE',
  /** Cognito user pool id. */
  userPoolId: 'USER_POOL_ID',
  /** Comma-separated client ids of the confidential (client-credentials) app clients allowed to call the API. */
  appClientIds: 'APP_CLIENT_IDS',
  /** Client id of the public web client users sign in and step up with. */
  webClientId: 'WEB_CLIENT_ID',
  /** `https://cognito-idp.<region>.amazonaws.com/<poolId>`: the `iss` of the pool's tokens. */
  tokenIssuer: 'TOKEN_ISSUER',
  /** Secrets Manager secret whose SecretString is JSON with the keys in APP_SECRET_KEYS (./app-secrets.ts). */
  secretsArn: 'SECRETS_ARN',
  /** Verified SES sender for one-time codes. */
  sesFromAddress: 'SES_FROM_ADDRESS',
  /** S3 bucket (Object Lock, compliance mode) holding the audit trail's signed checkpoints. */
  checkpointBucket: 'CHECKPOINT_BUCKET',
  /** ARN of the KMS key (ECC_NIST_P256, SIGN_VERIFY) that signs checkpoints. */
  checkpointKeyArn: 'CHECKPOINT_KEY_ARN',
  /** Days each checkpoint object stays locked (at least the audit retention). */
  checkpointRetentionDays: 'CHECKPOINT_RETENTION_DAYS',
  /** Read by Powertools itself: the `service` of every log line and metric (METRICS.serviceName). */
  powertoolsServiceName: 'POWERTOOLS_SERVICE_NAME',
  /** Read by Powertools itself: the CloudWatch namespace of every metric (METRICS.namespace). */
  powertoolsMetricsNamespace: 'POWERTOOLS_METRICS_NAMESPACE',
  /** `dev` | `prod`. */
  stage: 'STAGE',
  /**
   * The ASN table decide scores with: a path relative to the function's code (the copy shipped in the bundle,
   * {@link NETWORK_DATA_BUNDLE_PATH}), an absolute one (`/opt/...` from a data layer), or `off`.
   */
  networkDataFile: 'NETWORK_DATA_FILE',
} as const;

export type EnvVarName = (typeof ENV)[keyof typeof ENV];

/**
 * Where bundling puts the ASN table, relative to the bundle's index.js (and inside a data layer, under /opt): the
 * CDK copies it there and the decide wiring opens it from there.
 */
export const NETWORK_DATA_BUNDLE_PATH = 'network/asn.bin';
