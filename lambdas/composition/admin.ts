import { randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { defaultPolicy } from '../core/policy/default-policy';
import type { AuditPreparer } from '../adapters/dynamodb/audited-transaction';
import { DynamoDbAdminStore } from '../adapters/dynamodb/dynamodb-admin-store';
import { DynamoDbPolicyStore } from '../adapters/dynamodb/dynamodb-policy-store';
import type { TableNames } from '../adapters/dynamodb/table-definitions';
import { buildAdminHandler, type AdminDependencies } from '../handlers/admin-api';
import type { AuditLog } from '../ports/audit-log';
import type { Clock } from '../ports/clock';

export interface AdminComposition {
  readonly dynamo: DynamoDBClient;
  readonly tables: TableNames;
  readonly clock: Clock;
  /** The audit log (DynamoDbAuditLog): appends reads, and joins every change's transaction. */
  readonly audit: Pick<AuditLog, 'append'> & AuditPreparer;
  readonly newId?: () => string;
  readonly replayChunkEvents?: AdminDependencies['replayChunkEvents'];
  readonly replayBudgetMs?: AdminDependencies['replayBudgetMs'];
  readonly backtestMaxEvents?: AdminDependencies['backtestMaxEvents'];
  readonly logError?: AdminDependencies['logError'];
}

/** Builds the admin handler from clients and configuration: shared by the Lambda wiring and the local runtime. */
export function composeAdmin(c: AdminComposition) {
  const policies = new DynamoDbPolicyStore(c.dynamo, c.tables.policy, { audit: c.audit });
  const events = new DynamoDbAdminStore(c.dynamo, c.tables, { audit: c.audit, clock: c.clock });
  const handler = buildAdminHandler({
    policies,
    events,
    audit: c.audit,
    clock: c.clock,
    newId: c.newId ?? (() => randomUUID()),
    // The same built-in default the decide path falls back to while the table holds no policy.
    fallbackPolicy: { version: 0, policy: defaultPolicy, updatedAt: '', updatedBy: 'built-in default' },
    ...(c.replayChunkEvents !== undefined ? { replayChunkEvents: c.replayChunkEvents } : {}),
    ...(c.replayBudgetMs !== undefined ? { replayBudgetMs: c.replayBudgetMs } : {}),
    ...(c.backtestMaxEvents !== undefined ? { backtestMaxEvents: c.backtestMaxEvents } : {}),
    ...(c.logError ? { logError: c.logError } : {}),
  });
  return { handler, policies, events };
}
