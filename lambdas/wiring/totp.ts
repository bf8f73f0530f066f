import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ENV } from '../../lib/lambda-entries';
import { DynamoDbAuditLog } from '../adapters/dynamodb/dynamodb-audit-log';
import { SecretsManagerAppSecrets } from '../adapters/secrets-manager-app-secrets';
import { composeTotpEnrollment } from '../composition/totp';
import { requiredEnv } from '../config/env';

// POST /v1/step-up/totp/enroll and /confirm. Secrets: the OTP pepper seals TOTP seeds at rest.
const dynamo = new DynamoDBClient({});
const { handler: totp } = composeTotpEnrollment({
  dynamo,
  tables: { risk: requiredEnv(ENV.riskTable) },
  clock: Date.now,
  secrets: new SecretsManagerAppSecrets(new SecretsManagerClient({}), requiredEnv(ENV.secretsArn)),
  audit: new DynamoDbAuditLog({ client: dynamo, tableName: requiredEnv(ENV.auditTable), writer: 'totp' }),
});

export const handler = totp;
