import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CognitoAccountContacts } from '../adapters/cognito-account-contacts';
import { DynamoDbAuditLog } from '../adapters/dynamodb/dynamodb-audit-log';
import { correlationIds, PowertoolsLog } from '../adapters/powertools-log';
import { SecretsManagerAppSecrets } from '../adapters/secrets-manager-app-secrets';
import { errorSummaries } from '../handlers/http/error-log';
import { composeTotpEnrollment } from '../composition/totp';
import { requiredEnv } from '../config/env';
import { ENV } from '../contracts/environment';

// POST /v1/step-up/totp/enroll, /confirm and /remove. Secrets: the OTP pepper seals TOTP seeds at rest.
const log = new PowertoolsLog();
const dynamo = new DynamoDBClient({});
const { handler: totp } = composeTotpEnrollment({
  dynamo,
  tables: { risk: requiredEnv(ENV.riskTable), policy: requiredEnv(ENV.policyTable) },
  clock: Date.now,
  secrets: new SecretsManagerAppSecrets(new SecretsManagerClient({}), requiredEnv(ENV.secretsArn)),
  audit: new DynamoDbAuditLog({ client: dynamo, tableName: requiredEnv(ENV.auditTable), writer: 'totp' }),
  // GetUser is authorised by the caller's own access token: no IAM permission, only their own attributes.
  contacts: new CognitoAccountContacts(new CognitoIdentityProviderClient({})),
  logError: errorSummaries(log),
});

export const handler = log.handler(totp, correlationIds.http);
