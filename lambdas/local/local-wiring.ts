import type { IncomingMessage, ServerResponse } from 'node:http';
import { defaultPolicy } from '../core/policy/default-policy';
import { DynamoDbPolicyStore } from '../adapters/dynamodb/dynamodb-policy-store';
import { composeDecide } from '../composition/decide';
import { composeAdmin } from '../composition/admin';
import { composeAudit } from '../composition/audit';
import { DynamoDbAuditLog } from '../adapters/dynamodb/dynamodb-audit-log';
import { correlationIds, PowertoolsLog } from '../adapters/powertools-log';
import { errorSummaries } from '../handlers/http/error-log';
import { CachedShadowScorer } from '../application/decide/shadow-scorer';
import type { FunctionName } from '../contracts/routes';
import type { HttpLambda } from '../handlers/http/http-handler';
import { createLocalCognito } from './cognito-emulator';
import { LocalCheckpointWriter, localAnchoring } from './local-checkpoints';
import type { LocalContext } from './runtime';

/** A non-Lambda endpoint of the local runtime (local Cognito, outbox): returns false when the path is not its own. */
export interface LocalService {
  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean>;
}

export interface LocalWiring {
  readonly handlers: Partial<Record<FunctionName, HttpLambda>>;
  readonly services: LocalService[];
  /** Writes the audit trail's signed checkpoints (timer and on demand). */
  readonly checkpoints: LocalCheckpointWriter;
}

/**
 * The local counterpart of lambdas/wiring/*: the same compositions, with local clients and adapters, and the same
 * logger (errors as JSON lines carrying the request id of the call and API Gateway's request id).
 */
export async function buildLocalHandlers(ctx: LocalContext): Promise<LocalWiring> {
  const log = new PowertoolsLog();
  const logError = errorSummaries(log);
  const policyStore = new DynamoDbPolicyStore(ctx.dynamo, ctx.tables.policy);
  await policyStore.seedIfEmpty({
    version: defaultPolicy.version,
    policy: defaultPolicy,
    updatedAt: new Date(ctx.now()).toISOString(),
    updatedBy: 'stepgate seed',
    reason: 'default policy seeded by the local runtime',
  });
  // Local Cognito (emulator running the real step-up triggers) + code outbox; it owns the decision-token key.
  const cognito = createLocalCognito(ctx, { secrets: ctx.secrets, log });
  const decide = composeDecide({
    dynamo: ctx.dynamo,
    tables: ctx.tables,
    clock: ctx.now,
    secrets: ctx.secrets,
    signDecisionToken: cognito.signDecisionToken,
    shadow: new CachedShadowScorer(),
    ...(ctx.network.locator ? { network: ctx.network.locator } : {}),
    auditLog: new DynamoDbAuditLog({
      client: ctx.dynamo,
      tableName: ctx.tables.audit,
      now: ctx.now,
      writer: 'local-decide',
    }),
    logError,
  });
  const admin = composeAdmin({
    dynamo: ctx.dynamo,
    tables: ctx.tables,
    clock: ctx.now,
    secrets: ctx.secrets,
    audit: new DynamoDbAuditLog({
      client: ctx.dynamo,
      tableName: ctx.tables.audit,
      now: ctx.now,
      writer: 'local-admin',
    }),
    logError,
  });
  const audit = composeAudit({
    dynamo: ctx.dynamo,
    tables: ctx.tables,
    clock: ctx.now,
    writer: 'local-audit',
    secrets: ctx.secrets,
    anchoring: await localAnchoring(ctx.anchorDir, ctx.tables.audit),
    logError,
  });
  const checkpoints = new LocalCheckpointWriter(audit.checkpoints!, ctx.now, log);
  return {
    handlers: {
      decide: log.handler(decide.handler, correlationIds.http),
      admin: log.handler(admin.handler, correlationIds.http),
      totp: log.handler(cognito.totpHandler, correlationIds.http),
      audit: log.handler(audit.handler, correlationIds.http),
    },
    services: [...cognito.services, checkpoints],
    checkpoints,
  };
}
