/**
 * The runtime contract between the CDK app and the Lambda wiring files (lambdas/wiring/*.ts): which file each
 * function is built from, which environment variables it receives, which DynamoDB actions its role allows and
 * whether it ships geoip-lite's data. The constructs build functions and IAM policies FROM this file, so a wiring
 * author who needs another table action or variable changes it here (and the infra tests pin the change).
 *
 * The wiring files import ENV and METRICS from here, so this module is bundled into Lambdas: it must import
 * nothing at run time (type imports only; no aws-cdk-lib).
 */
import type { TableRole } from '../lambdas/adapters/dynamodb/table-definitions';
import type { FunctionName } from '../lambdas/contracts/routes';

/** Environment variable names. Values are set by the stacks; the wiring reads them, nothing else does. */
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
  /** Secrets Manager secret whose SecretString is JSON with the keys in {@link APP_SECRET_KEYS}. */
  secretsArn: 'SECRETS_ARN',
  /** Verified SES sender for one-time codes. */
  sesFromAddress: 'SES_FROM_ADDRESS',
  /** S3 bucket (Object Lock, compliance mode) holding the audit trail's signed checkpoints. */
  checkpointBucket: 'CHECKPOINT_BUCKET',
  /** ARN of the KMS key (ECC_NIST_P256, SIGN_VERIFY) that signs checkpoints. */
  checkpointKeyArn: 'CHECKPOINT_KEY_ARN',
  /** Days each checkpoint object stays locked (at least the audit retention). */
  checkpointRetentionDays: 'CHECKPOINT_RETENTION_DAYS',
  powertoolsServiceName: 'POWERTOOLS_SERVICE_NAME',
  powertoolsMetricsNamespace: 'POWERTOOLS_METRICS_NAMESPACE',
  /** `dev` | `prod`. */
  stage: 'STAGE',
  /**
   * The ASN table decide scores with: a path relative to the function's code (the copy shipped in the bundle,
   * {@link NETWORK_DATA_BUNDLE_PATH}), an absolute one (`/opt/...` from a data layer), or `off`.
   */
  networkDataFile: 'NETWORK_DATA_FILE',
} as const;

/** Where bundling puts the ASN table, relative to the bundle's index.js (and inside a data layer, under /opt). */
export const NETWORK_DATA_BUNDLE_PATH = 'network/asn.bin';

export type EnvVarName = (typeof ENV)[keyof typeof ENV];

/**
 * The JSON keys of the application secret. Each is 32 random bytes, base64url, generated in AWS at first deploy and
 * never rotated by the stack: rotating decisionTokenKey voids outstanding decision tokens, otpPepper voids pending
 * codes, pseudonymKey changes every identifier pseudonym (profiles keyed by pseudonyms then look new), and cursorKey
 * (which signs page cursors of the admin and audit APIs) voids the cursors of listings in progress. A key added to
 * this list is added to an existing secret on the next deploy; the keys already there are kept.
 */
export const APP_SECRET_KEYS = ['decisionTokenKey', 'otpPepper', 'pseudonymKey', 'cursorKey'] as const;
export type AppSecretKey = (typeof APP_SECRET_KEYS)[number];

/**
 * Metrics the handlers emit with Powertools (EMF) and the alarms read. Powertools adds the default dimension
 * `service` = POWERTOOLS_SERVICE_NAME to every metric; the alarms match exactly `{service}` or `{service, Decision}`,
 * so handlers must not add other dimensions to these metrics (use metadata for extra context).
 */
export const METRICS = {
  namespace: 'Stepgate',
  serviceName: 'stepgate',
  serviceDimension: 'service',
  /** Count, dimension {@link METRICS.decisionDimension} = allow | step_up | deny. Emitted by decide. */
  decisions: 'Decisions',
  decisionDimension: 'Decision',
  /** Count of decisions made without the store (fail closed: step_up or deny). Emitted by decide. */
  decisionsFailedClosed: 'DecisionsFailedClosed',
  /** Count of wrong or unverifiable step-up answers. Emitted by the verify trigger. */
  verificationFailed: 'VerificationFailed',
  /** Count of audit records that could not be appended. Emitted by any function that audits. */
  auditWriteFailed: 'AuditWriteFailed',
  /** Days since the date of the ASN data a cold-started decide loaded (one data point per cold start). */
  networkDataAgeDays: 'NetworkDataAgeDays',
} as const;

/**
 * DynamoDB IAM actions. There is no IAM action for TransactWriteItems / TransactGetItems: a transaction is allowed
 * item by item through PutItem, UpdateItem, DeleteItem and ConditionCheckItem on each table it touches.
 */
export type TableAction =
  'GetItem' | 'BatchGetItem' | 'Query' | 'Scan' | 'PutItem' | 'UpdateItem' | 'DeleteItem' | 'ConditionCheckItem';

export interface TableAccess {
  readonly actions: readonly TableAction[];
  /** Index names (from TABLE_DEFINITIONS) the function may Query. Requires `Query` in `actions`. */
  readonly indexes?: readonly string[];
}

export type LambdaName =
  | 'decide'
  | 'admin'
  | 'audit'
  | 'audit-checkpoint'
  | 'totp'
  | 'define-auth-challenge'
  | 'create-auth-challenge'
  | 'verify-auth-challenge'
  | 'pre-token-generation'
  | 'post-authentication';

export interface LambdaEntry {
  /** Wiring file, relative to the repository root; it exports `handler`. */
  readonly entry: string;
  readonly description: string;
  /** Variables the function receives (values come from the stacks). */
  readonly env: readonly EnvVarName[];
  readonly tables: Partial<Record<TableRole, TableAccess>>;
  /** Read access to the application secret (SECRETS_ARN). */
  readonly readsSecret: boolean;
  /**
   * Ships geoip-lite with its data files next to the bundle (it cannot be bundled), and the ASN table
   * ({@link NETWORK_DATA_BUNDLE_PATH}): the two halves of the geo locator.
   */
  readonly geoip: boolean;
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
}

const COMMON_ENV: readonly EnvVarName[] = [ENV.stage, ENV.powertoolsServiceName, ENV.powertoolsMetricsNamespace];

/**
 * Appending to a hash chain is one TransactWriteItems of conditional Puts (record, head, event id, registry); the
 * head lives in the writer's memory, so an append reads nothing. No UpdateItem, no DeleteItem: append-only.
 */
const AUDIT_APPEND: TableAccess = { actions: ['PutItem'] };

/**
 * Cognito triggers: they cannot receive USER_POOL_ID, WEB_CLIENT_ID, APP_CLIENT_IDS or TOKEN_ISSUER as variables,
 * because the pool references the functions (a variable pointing back at the pool or its clients is a
 * CloudFormation cycle). Read them from the event instead: `event.userPoolId`, `event.region` (issuer =
 * `https://cognito-idp.${event.region}.amazonaws.com/${event.userPoolId}`) and `event.callerContext.clientId`.
 * Cognito waits 5 s for a trigger (then retries up to 3 times): the timeout stays below that.
 * Table access follows what each trigger's handler calls on DynamoDbChallengeStore and the audit log.
 */
const TRIGGER_ENV: readonly EnvVarName[] = [...COMMON_ENV, ENV.secretsArn, ENV.riskTable, ENV.auditTable];
const TRIGGER_DEFAULTS = { readsSecret: true, geoip: false, memoryMb: 512, timeoutSeconds: 4 } as const;

const API_IDENTITY_ENV: readonly EnvVarName[] = [ENV.userPoolId, ENV.appClientIds, ENV.webClientId, ENV.tokenIssuer];

export const LAMBDA_ENTRIES: Readonly<Record<LambdaName, LambdaEntry>> = {
  decide: {
    entry: 'lambdas/wiring/decide.ts',
    description: 'Scores a request and answers allow, step_up or deny (POST /v1/decisions and outcomes).',
    env: [
      ...COMMON_ENV,
      ENV.secretsArn,
      ENV.riskTable,
      ENV.auditTable,
      ENV.policyTable,
      ...API_IDENTITY_ENV,
      ENV.networkDataFile,
    ],
    tables: {
      // One BatchGetItem (risk items + active and shadow policy), one TransactWriteItems (Puts, Updates) per
      // decision; GetItem + UpdateItem for reported outcomes.
      risk: { actions: ['GetItem', 'BatchGetItem', 'PutItem', 'UpdateItem'] },
      policy: { actions: ['GetItem', 'BatchGetItem'] },
      audit: AUDIT_APPEND,
    },
    // decisionTokenKey signs the sign-in decision token.
    readsSecret: true,
    geoip: true,
    // geoip-lite holds ~110 MB of lookup data in memory, the ASN table ~11 MB; CPU scales with memory too. To be
    // refined from measurements.
    memoryMb: 1024,
    timeoutSeconds: 10,
  },
  admin: {
    entry: 'lambdas/wiring/admin.ts',
    description: 'Policy versions, approvals, simulate/shadow, per-user history and feedback labels.',
    env: [...COMMON_ENV, ENV.secretsArn, ENV.riskTable, ENV.auditTable, ENV.policyTable, ...API_IDENTITY_ENV],
    tables: {
      // Versions are immutable and the active pointer moves in a conditional transaction: no DeleteItem.
      policy: { actions: ['GetItem', 'Query', 'PutItem', 'UpdateItem', 'ConditionCheckItem'] },
      // History per user (byUser), replay by time (byTime); feedback labels are conditional updates of the events.
      // The indexes carry keys only (and expiry, shadow run): the decisions found are read by BatchGetItem.
      risk: { actions: ['GetItem', 'BatchGetItem', 'Query', 'UpdateItem'], indexes: ['byUser', 'byTime'] },
      audit: AUDIT_APPEND,
    },
    // cursorKey signs the page cursors of history, events, simulate and shadow reports.
    readsSecret: true,
    // Simulate replays recorded events, which carry their resolved geo; set to true if the wiring imports the locator.
    geoip: false,
    memoryMb: 1024,
    timeoutSeconds: 29,
  },
  audit: {
    entry: 'lambdas/wiring/audit.ts',
    description: 'Audit export and chain verification (against the latest signed checkpoint) for risk-auditors.',
    env: [
      ...COMMON_ENV,
      ENV.secretsArn,
      ENV.auditTable,
      ENV.checkpointBucket,
      ENV.checkpointKeyArn,
      ENV.checkpointRetentionDays,
      ...API_IDENTITY_ENV,
    ],
    tables: {
      // Reading is by Query only (chains, registry, time or subject index); reads of personal data are audited too.
      audit: { actions: ['Query', 'PutItem'], indexes: ['byTime', 'bySubject'] },
    },
    // cursorKey signs export cursors. Checkpoints: s3:ListBucket/GetObject and kms:GetPublicKey (AuditAnchoring).
    readsSecret: true,
    geoip: false,
    memoryMb: 1024,
    // HTTP APIs cut integrations at 30 s; verify pages through the chains within that.
    timeoutSeconds: 29,
  },
  'audit-checkpoint': {
    entry: 'lambdas/wiring/audit-checkpoint.ts',
    description: 'Scheduled: signs a checkpoint of every audit chain head (KMS) into the Object Lock bucket.',
    env: [...COMMON_ENV, ENV.auditTable, ENV.checkpointBucket, ENV.checkpointKeyArn, ENV.checkpointRetentionDays],
    tables: {
      // Registry, heads and the records appended since the last checkpoint, by Query; it writes nothing here.
      audit: { actions: ['Query'] },
    },
    readsSecret: false,
    geoip: false,
    memoryMb: 512,
    timeoutSeconds: 300,
  },
  totp: {
    entry: 'lambdas/wiring/totp.ts',
    description: 'TOTP authenticator of the signed-in user (enroll, confirm, remove), each change behind a step-up.',
    env: [...COMMON_ENV, ENV.secretsArn, ENV.riskTable, ENV.auditTable, ENV.policyTable, ...API_IDENTITY_ENV],
    tables: {
      // Reads the step-up, its challenge and the authenticator items; a change is one transaction of the grant's
      // redemption (Update), the pending or active item (Put, Update, ConditionCheck) and its audit records.
      risk: { actions: ['GetItem', 'PutItem', 'UpdateItem', 'ConditionCheckItem'] },
      // The active policy: the level of mfa.change and the first-authenticator rule.
      policy: { actions: ['GetItem'] },
      audit: AUDIT_APPEND,
    },
    // otpPepper seals TOTP seeds at rest.
    readsSecret: true,
    geoip: false,
    memoryMb: 512,
    timeoutSeconds: 10,
  },
  'define-auth-challenge': {
    entry: 'lambdas/wiring/define-auth-challenge.ts',
    description: 'Cognito Define auth challenge: sequences password, context, code and result.',
    env: TRIGGER_ENV,
    // Decides from the session and the tokens in ClientMetadata; writes only the approval of a session it lets
    // through (a Put that pre token generation later requires).
    tables: { risk: { actions: ['PutItem'] } },
    ...TRIGGER_DEFAULTS,
  },
  'create-auth-challenge': {
    entry: 'lambdas/wiring/create-auth-challenge.ts',
    description: 'Cognito Create auth challenge: issues a one-time code (SES/SNS) or asks for TOTP.',
    env: [...TRIGGER_ENV, ENV.sesFromAddress],
    // Reads step-up, budget and TOTP items, claims the send (conditional update), stores the challenge.
    tables: { risk: { actions: ['GetItem', 'PutItem', 'UpdateItem'] }, audit: AUDIT_APPEND },
    ...TRIGGER_DEFAULTS,
  },
  'verify-auth-challenge': {
    entry: 'lambdas/wiring/verify-auth-challenge.ts',
    description: 'Cognito Verify auth challenge response: checks the code and the caller token.',
    env: TRIGGER_ENV,
    // Counts the try and checks the budget in one transaction (Update + ConditionCheck); grants by conditional update.
    tables: { risk: { actions: ['GetItem', 'UpdateItem', 'ConditionCheckItem'] }, audit: AUDIT_APPEND },
    ...TRIGGER_DEFAULTS,
  },
  'pre-token-generation': {
    entry: 'lambdas/wiring/pre-token-generation.ts',
    description:
      'Cognito Pre token generation (V2): adds step_up_id, step_up_acr, step_up_amr and step_up_at to tokens.',
    env: TRIGGER_ENV,
    // Turns Define's approval into tokens once, and claims the grant's token claims once (conditional updates
    // returning the item).
    tables: { risk: { actions: ['UpdateItem'] } },
    ...TRIGGER_DEFAULTS,
  },
  'post-authentication': {
    entry: 'lambdas/wiring/post-authentication.ts',
    description: 'Cognito Post authentication: records the device and context of a completed sign-in.',
    env: TRIGGER_ENV,
    // Reads the step-up and profile, commits learning (Put + Update transaction), bumps population counts.
    tables: { risk: { actions: ['GetItem', 'PutItem', 'UpdateItem'] }, audit: AUDIT_APPEND },
    ...TRIGGER_DEFAULTS,
  },
};

/** Functions run on a schedule (EventBridge), not behind the API or Cognito. */
export const SCHEDULED_LAMBDAS = ['audit-checkpoint'] as const satisfies readonly LambdaName[];

/** The functions behind the HTTP API (FunctionName in lambdas/contracts/routes.ts) and the Cognito triggers. */
export const API_LAMBDAS = ['decide', 'admin', 'audit', 'totp'] as const satisfies readonly (FunctionName &
  LambdaName)[];
export const TRIGGER_LAMBDAS = [
  'define-auth-challenge',
  'create-auth-challenge',
  'verify-auth-challenge',
  'pre-token-generation',
  'post-authentication',
] as const satisfies readonly LambdaName[];
