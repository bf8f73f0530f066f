import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { KmsCheckpointSigner } from '../adapters/kms-checkpoint-signer';
import { correlationIds, PowertoolsLog } from '../adapters/powertools-log';
import { S3CheckpointStore } from '../adapters/s3-checkpoint-store';
import { SecretsManagerAppSecrets } from '../adapters/secrets-manager-app-secrets';
import { composeAudit } from '../composition/audit';
import { errorSummaries } from '../handlers/http/error-log';
import { optionalEnv, requiredEnv } from '../config/env';
import { ENV } from '../contracts/environment';
import { checkpointRetentionDays } from './audit-checkpoint-config';

// Created once per cold start. Verify pages through every chain, so requests get generous timeouts and the SDK's
// default retries; the function's own timeout (29 s, under the HTTP API's 30 s) bounds the whole call.
const log = new PowertoolsLog();
const dynamo = new DynamoDBClient({
  requestHandler: new NodeHttpHandler({ connectionTimeout: 1000, requestTimeout: 5000 }),
});
const auditTable = requiredEnv(ENV.auditTable);

const { handler: audit } = composeAudit({
  dynamo,
  tables: { audit: auditTable },
  clock: Date.now,
  // Set by the Lambda runtime itself: the chain registry records which function wrote a chain.
  writer: optionalEnv('AWS_LAMBDA_FUNCTION_NAME') ?? 'audit',
  secrets: new SecretsManagerAppSecrets(new SecretsManagerClient({}), requiredEnv(ENV.secretsArn)),
  anchoring: {
    store: new S3CheckpointStore(new S3Client({}), requiredEnv(ENV.checkpointBucket), `${auditTable}/`),
    signer: new KmsCheckpointSigner(new KMSClient({}), requiredEnv(ENV.checkpointKeyArn)),
    retentionDays: checkpointRetentionDays(),
  },
  logError: errorSummaries(log),
});

export const handler = log.handler(audit, correlationIds.http);
