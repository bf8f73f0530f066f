import { randomBytes } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { AuditPreparer } from '../adapters/dynamodb/audited-transaction';
import { AesGcmSealer, DynamoDbChallengeStore } from '../adapters/dynamodb/dynamodb-challenge-store';
import type { TableNames } from '../adapters/dynamodb/table-definitions';
import type { HttpLambda } from '../handlers/http/http-handler';
import { buildTotpEnrollmentHandler } from '../handlers/totp-enrollment';
import type { AppSecretsSource } from '../ports/app-secrets';
import type { Clock } from '../ports/clock';

export interface TotpEnrollmentComposition {
  readonly dynamo: DynamoDBClient;
  readonly tables: Pick<TableNames, 'risk'>;
  readonly clock: Clock;
  readonly secrets: AppSecretsSource;
  /** Shown in authenticator apps. */
  readonly issuerName?: string;
  /** The audit log (DynamoDbAuditLog): an activated enrolment is recorded in the same transaction. */
  readonly audit: AuditPreparer;
}

/** POST /v1/step-up/totp/enroll and /confirm, on the same store (and sealing key) the triggers read. */
export function composeTotpEnrollment(c: TotpEnrollmentComposition): { handler: HttpLambda } {
  const store = new DynamoDbChallengeStore(c.dynamo, c.tables, {
    sealer: new AesGcmSealer(async () => (await c.secrets.get()).otpPepper),
    audit: c.audit,
  });
  return {
    handler: buildTotpEnrollmentHandler({
      store,
      clock: c.clock,
      randomBytes: (size) => randomBytes(size),
      issuerName: c.issuerName ?? 'stepgate',
    }),
  };
}
