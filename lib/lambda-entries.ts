/**
 * How the CDK app builds each Lambda: which wiring file it is bundled from, which environment variables it receives,
 * which DynamoDB actions its role allows and whether it ships geoip-lite's data. The constructs build functions and
 * IAM policies FROM this file, so a wiring author who needs another table action or variable changes it here (and
 * the infra tests pin the change). The names both sides share (variables, metrics, tables, secret keys) live in
 * lambdas/contracts; this file only says which function gets which. Lambda code never imports it.
 */
import { ENV, type EnvVarName } from '../lambdas/contracts/environment';
import type { FunctionName } from '../lambdas/contracts/routes';
import type { TableRole } from '../lambdas/contracts/tables';

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
