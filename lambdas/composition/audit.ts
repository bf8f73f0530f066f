import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDbAuditLog } from '../adapters/dynamodb/dynamodb-audit-log';
import { DynamoDbAuditReader } from '../adapters/dynamodb/dynamodb-audit-reader';
import type { TableNames } from '../adapters/dynamodb/table-definitions';
import { buildAuditApiHandler, type AuditApiDependencies } from '../handlers/audit-api';
import type { Clock } from '../ports/clock';

export interface AuditComposition {
  readonly dynamo: DynamoDBClient;
  readonly tables: Pick<TableNames, 'audit'>;
  readonly clock: Clock;
  /** Stored in the chain registry: which function (or the local runtime) wrote a chain. */
  readonly writer: string;
  readonly logError?: AuditApiDependencies['logError'];
}

/** Builds the audit API handler (export, verify): shared by the Lambda wiring and the local runtime. */
export function composeAudit(c: AuditComposition) {
  const auditLog = new DynamoDbAuditLog({
    client: c.dynamo,
    tableName: c.tables.audit,
    now: c.clock,
    writer: c.writer,
  });
  const auditReader = new DynamoDbAuditReader({ client: c.dynamo, tableName: c.tables.audit, now: c.clock });
  const handler = buildAuditApiHandler({
    auditReader,
    auditLog,
    now: c.clock,
    ...(c.logError ? { logError: c.logError } : {}),
  });
  return { handler, auditLog, auditReader };
}
