import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { SecretsManagerAppSecrets } from '../adapters/secrets-manager-app-secrets';
import { DynamoDbAuditLog } from '../adapters/dynamodb/dynamodb-audit-log';
import { composeAdmin } from '../composition/admin';
import { requiredEnv } from '../config/env';

// Created once per cold start. The admin API is not latency-critical like decide, but a replay pages through
// thousands of items: generous timeouts, the SDK's default retries.
const dynamo = new DynamoDBClient({
  requestHandler: new NodeHttpHandler({ connectionTimeout: 1000, requestTimeout: 5000 }),
});
const tables = {
  risk: requiredEnv('RISK_TABLE'),
  audit: requiredEnv('AUDIT_TABLE'),
  policy: requiredEnv('POLICY_TABLE'),
};
const audit = new DynamoDbAuditLog({ client: dynamo, tableName: tables.audit, writer: 'admin' });

const secrets = new SecretsManagerAppSecrets(new SecretsManagerClient({}), requiredEnv('SECRETS_ARN'));

const { handler: admin } = composeAdmin({ dynamo, tables, clock: Date.now, audit, secrets });

export const handler = admin;
