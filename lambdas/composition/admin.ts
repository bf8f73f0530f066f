import { randomBytes, randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { defaultPolicy } from '../core/policy/default-policy';
import type { AuditPreparer } from '../adapters/dynamodb/transaction';
import { DynamoDbAdminStore } from '../adapters/dynamodb/dynamodb-admin-store';
import { DynamoDbPolicyStore } from '../adapters/dynamodb/dynamodb-policy-store';
import type { TableNames } from '../contracts/tables';
import { buildAdminHandler, type AdminDependencies } from '../handlers/admin/admin-routes';
import { SignedCursorCodec } from '../core/paging/signed-cursor';
import type { AppSecretsSource } from '../ports/app-secrets';
import type { AuditLog } from '../ports/audit-log';
import type { Clock } from '../ports/clock';

export interface AdminComposition {
  readonly dynamo: DynamoDBClient;
  readonly tables: TableNames;
  readonly clock: Clock;
  /** The audit log (DynamoDbAuditLog): appends reads, and joins every change's transaction. */
  readonly audit: Pick<AuditLog, 'append'> & AuditPreparer;
  readonly newId?: () => string;
  /**
   * The application secrets; their cursorKey signs every page cursor, so every instance must share them. Omitted:
   * a random key for this process (tests, a single local process).
   */
  readonly secrets?: AppSecretsSource;
  readonly replayChunkEvents?: AdminDependencies['replayChunkEvents'];
  readonly replayBudgetMs?: AdminDependencies['replayBudgetMs'];
  readonly backtestMaxEvents?: AdminDependencies['backtestMaxEvents'];
  readonly logError?: AdminDependencies['logError'];
}

/** Builds the admin handler from clients and configuration: shared by the Lambda wiring and the local runtime. */
export function composeAdmin(c: AdminComposition) {
  const secrets = c.secrets;
  // One codec for the store's cursors and the handler's wrapped ones.
  const cursors = new SignedCursorCodec(secrets ? async () => (await secrets.get()).cursorKey : randomBytes(32));
  const policies = new DynamoDbPolicyStore(c.dynamo, c.tables.policy, { audit: c.audit });
  const events = new DynamoDbAdminStore(c.dynamo, c.tables, { audit: c.audit, clock: c.clock, cursors });
  const handler = buildAdminHandler({
    policies,
    events,
    audit: c.audit,
    clock: c.clock,
    newId: c.newId ?? (() => randomUUID()),
    cursors,
    // The same built-in default the decide path falls back to while the table holds no policy.
    fallbackPolicy: { version: 0, policy: defaultPolicy, updatedAt: '', updatedBy: 'built-in default' },
    ...(c.replayChunkEvents !== undefined ? { replayChunkEvents: c.replayChunkEvents } : {}),
    ...(c.replayBudgetMs !== undefined ? { replayBudgetMs: c.replayBudgetMs } : {}),
    ...(c.backtestMaxEvents !== undefined ? { backtestMaxEvents: c.backtestMaxEvents } : {}),
    ...(c.logError ? { logError: c.logError } : {}),
  });
  return { handler, policies, events };
}
