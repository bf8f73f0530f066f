import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { correlationIds, PowertoolsLog } from '../adapters/powertools-log';
import { SecretsManagerAppSecrets } from '../adapters/secrets-manager-app-secrets';
import { DynamoDbAuditLog } from '../adapters/dynamodb/dynamodb-audit-log';
import { composeAdmin } from '../composition/admin';
import { errorSummaries } from '../handlers/http/error-log';
import { requiredEnv } from '../config/env';
import { ENV } from '../contracts/environment';

// Created once per cold start. The admin API is not latency-critical like decide, but a replay pages through
// thousands of items: generous timeouts, the SDK's default retries.
const log = new PowertoolsLog();
const dynamo = new DynamoDBClient({
  requestHandler: new NodeHttpHandler({ connectionTimeout: 1000, requestTimeout: 5000 }),
});
const tables = {
  risk: requiredEnv(ENV.riskTable),
  audit: requiredEnv(ENV.auditTable),
  policy: requiredEnv(ENV.policyTable),
};
const audit = new DynamoDbAuditLog({ client: dynamo, tableName: tables.audit, writer: 'admin' });

const secrets = new SecretsManagerAppSecrets(new SecretsManagerClient({}), requiredEnv(ENV.secretsArn));

const { handler: admin } = composeAdmin({
  dynamo,
  tables,
  clock: Date.now,
  audit,
  secrets,
  logError: errorSummaries(log),
});

export const handler = log.handler(admin, correlationIds.http);
