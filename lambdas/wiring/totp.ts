import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ENV } from '../../lib/lambda-entries';
import { CognitoAccountContacts } from '../adapters/cognito-account-contacts';
import { DynamoDbAuditLog } from '../adapters/dynamodb/dynamodb-audit-log';
import { SecretsManagerAppSecrets } from '../adapters/secrets-manager-app-secrets';
import { composePasskeys, withPasskeyRoutes } from '../composition/passkeys';
import { composeTotpEnrollment } from '../composition/totp';
import { requiredEnv } from '../config/env';

// POST /v1/step-up/totp/enroll, /confirm and /remove, and the passkey routes. Secrets: the OTP pepper seals TOTP
// seeds at rest.
const dynamo = new DynamoDBClient({});
const tables = { risk: requiredEnv(ENV.riskTable), policy: requiredEnv(ENV.policyTable) };
const secrets = new SecretsManagerAppSecrets(new SecretsManagerClient({}), requiredEnv(ENV.secretsArn));
// GetUser is authorised by the caller's own access token: no IAM permission, only their own attributes.
const contacts = new CognitoAccountContacts(new CognitoIdentityProviderClient({}));
const { handler: totp } = composeTotpEnrollment({
  dynamo,
  tables,
  clock: Date.now,
  secrets,
  audit: new DynamoDbAuditLog({ client: dynamo, tableName: requiredEnv(ENV.auditTable), writer: 'totp' }),
  contacts,
});
// The stacks do not pass a relying party (RP ID and origins) yet, so the passkey routes answer 503 "not
// configured" and the triggers never pass a webauthn answer until they do.
const { handler: passkeys } = composePasskeys({
  dynamo,
  tables,
  clock: Date.now,
  secrets,
  audit: new DynamoDbAuditLog({ client: dynamo, tableName: requiredEnv(ENV.auditTable), writer: 'passkeys' }),
  relyingParty: undefined,
  contacts,
});

export const handler = withPasskeyRoutes(passkeys, totp);
