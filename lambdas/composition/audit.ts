import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDbAuditLog } from '../adapters/dynamodb/dynamodb-audit-log';
import { DynamoDbAuditReader } from '../adapters/dynamodb/dynamodb-audit-reader';
import type { TableNames } from '../contracts/tables';
import { SignedCursorCodec } from '../core/paging/signed-cursor';
import { AuditCheckpoints } from '../application/audit-checkpoints/audit-checkpoints';
import { buildAuditApiHandler, type AuditApiDependencies } from '../handlers/audit/audit-routes';
import type { AppSecretsSource } from '../ports/app-secrets';
import type { CheckpointSigner, CheckpointStore } from '../ports/checkpoint';
import type { Clock } from '../ports/clock';

/** Where checkpoints are kept and what signs them (S3 + KMS in AWS, files + a local key locally). */
export interface CheckpointAnchoring {
  readonly store: CheckpointStore;
  readonly signer: CheckpointSigner;
  /** Days each checkpoint stays locked; at least the audit retention. */
  readonly retentionDays: number;
}

export interface AuditComposition {
  readonly dynamo: DynamoDBClient;
  readonly tables: Pick<TableNames, 'audit'>;
  readonly clock: Clock;
  /** Stored in the chain registry: which function (or the local runtime) wrote a chain. */
  readonly writer: string;
  /** The application secrets; their cursorKey signs export cursors, so every instance must share them. */
  readonly secrets: AppSecretsSource;
  /** Verify checks against the latest signed checkpoint when given. */
  readonly anchoring?: CheckpointAnchoring;
  readonly logError?: AuditApiDependencies['logError'];
}

/** The checkpoint writer/checker of one audit table. */
export function composeCheckpoints(
  c: Pick<AuditComposition, 'tables' | 'clock'> & { readonly reader: DynamoDbAuditReader },
  anchoring: CheckpointAnchoring,
): AuditCheckpoints {
  return new AuditCheckpoints({
    chains: c.reader,
    store: anchoring.store,
    signer: anchoring.signer,
    trail: c.tables.audit,
    retentionDays: anchoring.retentionDays,
  });
}

/** Builds the audit API handler (export, verify): shared by the Lambda wiring and the local runtime. */
export function composeAudit(c: AuditComposition) {
  const auditLog = new DynamoDbAuditLog({
    client: c.dynamo,
    tableName: c.tables.audit,
    now: c.clock,
    writer: c.writer,
  });
  const cursors = new SignedCursorCodec(async () => (await c.secrets.get()).cursorKey);
  const auditReader = new DynamoDbAuditReader({ client: c.dynamo, tableName: c.tables.audit, now: c.clock, cursors });
  const checkpoints = c.anchoring ? composeCheckpoints({ ...c, reader: auditReader }, c.anchoring) : undefined;
  const handler = buildAuditApiHandler({
    auditReader,
    auditLog,
    now: c.clock,
    ...(checkpoints ? { checkpoints } : {}),
    ...(c.logError ? { logError: c.logError } : {}),
  });
  return { handler, auditLog, auditReader, checkpoints };
}
