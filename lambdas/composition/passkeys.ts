import { randomBytes } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { AuditPreparer } from '../adapters/dynamodb/audited-transaction';
import { AesGcmSealer, DynamoDbChallengeStore } from '../adapters/dynamodb/dynamodb-challenge-store';
import { DynamoDbPasskeyStore } from '../adapters/dynamodb/dynamodb-passkey-store';
import { DynamoDbPolicyStore } from '../adapters/dynamodb/dynamodb-policy-store';
import type { TableNames } from '../adapters/dynamodb/table-definitions';
import { SimpleWebAuthnCeremonies } from '../adapters/simplewebauthn-ceremonies';
import { PasskeyRegistration } from '../application/passkeys/passkey-registration';
import { defaultPolicy } from '../core/policy/default-policy';
import type { HttpLambda } from '../handlers/http/http-handler';
import { buildPasskeyHandler, isPasskeyRoute } from '../handlers/passkeys';
import type { AccountContacts } from '../ports/account-contacts';
import type { AppSecretsSource } from '../ports/app-secrets';
import type { Clock } from '../ports/clock';
import type { PolicyRecord } from '../ports/policy-store';
import type { RelyingParty } from '../ports/webauthn';

export interface PasskeysComposition {
  readonly dynamo: DynamoDBClient;
  readonly tables: Pick<TableNames, 'risk' | 'policy'>;
  readonly clock: Clock;
  readonly secrets: AppSecretsSource;
  readonly audit: AuditPreparer;
  /** Undefined: passkeys are not configured, and every passkey route answers 503 saying so. */
  readonly relyingParty: RelyingParty | undefined;
  readonly contacts?: AccountContacts;
  readonly logError?: (summary: Record<string, unknown>) => void;
}

const FALLBACK_POLICY: PolicyRecord = {
  version: 0,
  policy: defaultPolicy,
  updatedAt: '',
  updatedBy: 'built-in default',
};

/** The passkey routes, on the same tables (and the same grants) as TOTP enrolment and the triggers. */
export function composePasskeys(c: PasskeysComposition): { handler: HttpLambda } {
  const authenticators = new DynamoDbChallengeStore(c.dynamo, c.tables, {
    sealer: new AesGcmSealer(async () => (await c.secrets.get()).otpPepper),
    audit: c.audit,
  });
  const policies = new DynamoDbPolicyStore(c.dynamo, c.tables.policy);
  const workflow = new PasskeyRegistration({
    passkeys: new DynamoDbPasskeyStore(c.dynamo, c.tables, c.audit),
    authenticators,
    policy: { active: async () => (await policies.getActive()) ?? FALLBACK_POLICY },
    ...(c.contacts ? { contacts: c.contacts } : {}),
    ceremonies: new SimpleWebAuthnCeremonies(),
    relyingParty: c.relyingParty,
    clock: c.clock,
    randomBytes: (size) => randomBytes(size),
    ...(c.logError ? { logError: c.logError } : {}),
  });
  return { handler: buildPasskeyHandler(workflow, c.logError) };
}

/**
 * The signed-in user's authenticators are served by one function: passkey routes go to `passkeys`, the rest
 * (TOTP) to `others`.
 */
export function withPasskeyRoutes(passkeys: HttpLambda, others: HttpLambda): HttpLambda {
  return (event, context) => (isPasskeyRoute(event.routeKey) ? passkeys(event, context) : others(event, context));
}
