import { randomBytes } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { AesGcmSealer } from '../adapters/aes-gcm-sealer';
import { DynamoDbAuthenticatorStore } from '../adapters/dynamodb/dynamodb-authenticator-store';
import type { AuditPreparer } from '../adapters/dynamodb/transaction';
import { DynamoDbPolicyStore } from '../adapters/dynamodb/dynamodb-policy-store';
import type { TableNames } from '../contracts/tables';
import { defaultPolicy } from '../core/policy/default-policy';
import type { HttpLambda } from '../handlers/http/http-handler';
import { buildTotpEnrollmentHandler } from '../handlers/totp/totp-routes';
import type { AccountContacts } from '../ports/account-contacts';
import type { AppSecretsSource } from '../ports/app-secrets';
import type { Clock } from '../ports/clock';
import type { PolicyRecord } from '../ports/policy-store';

export interface TotpEnrollmentComposition {
  readonly dynamo: DynamoDBClient;
  readonly tables: Pick<TableNames, 'risk' | 'policy'>;
  readonly clock: Clock;
  readonly secrets: AppSecretsSource;
  /** Shown in authenticator apps. */
  readonly issuerName?: string;
  /** The audit log (DynamoDbAuditLog): every change of authenticators is recorded in its own transaction. */
  readonly audit: AuditPreparer;
  /** The user pool's view of the caller's verified contacts (CognitoAccountContacts); see the handler. */
  readonly contacts?: AccountContacts;
  readonly logError?: (summary: Record<string, unknown>) => void;
}

/** In force while the table holds no policy, as in the decide path. */
const FALLBACK_POLICY: PolicyRecord = {
  version: 0,
  policy: defaultPolicy,
  updatedAt: '',
  updatedBy: 'built-in default',
};

/**
 * POST /v1/step-up/totp/enroll, /confirm and /remove, on the same store (and sealing key) the triggers read. The
 * policy is read on every change: changes of authenticators are rare, and a stale policy must not decide one.
 */
export function composeTotpEnrollment(c: TotpEnrollmentComposition): { handler: HttpLambda } {
  const store = new DynamoDbAuthenticatorStore(c.dynamo, c.tables, {
    sealer: new AesGcmSealer(async () => (await c.secrets.get()).otpPepper),
    audit: c.audit,
  });
  const policies = new DynamoDbPolicyStore(c.dynamo, c.tables.policy);
  return {
    handler: buildTotpEnrollmentHandler({
      store,
      policy: { active: async () => (await policies.getActive()) ?? FALLBACK_POLICY },
      ...(c.contacts ? { contacts: c.contacts } : {}),
      clock: c.clock,
      randomBytes: (size) => randomBytes(size),
      issuerName: c.issuerName ?? 'stepgate',
      ...(c.logError ? { logError: c.logError } : {}),
    }),
  };
}
