import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { composeAudit } from '../composition/audit';
import { optionalEnv, requiredEnv } from '../config/env';

// Created once per cold start. Verify pages through every chain, so requests get generous timeouts and the SDK's
// default retries; the function's own timeout (29 s, under the HTTP API's 30 s) bounds the whole call.
const dynamo = new DynamoDBClient({
  requestHandler: new NodeHttpHandler({ connectionTimeout: 1000, requestTimeout: 5000 }),
});

export const { handler } = composeAudit({
  dynamo,
  tables: { audit: requiredEnv('AUDIT_TABLE') },
  clock: Date.now,
  writer: optionalEnv('AWS_LAMBDA_FUNCTION_NAME') ?? 'audit',
});
