import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { DynamoDbAuditReader } from '../adapters/dynamodb/dynamodb-audit-reader';
import { KmsCheckpointSigner } from '../adapters/kms-checkpoint-signer';
import { correlationIds, PowertoolsLog } from '../adapters/powertools-log';
import { S3CheckpointStore } from '../adapters/s3-checkpoint-store';
import { composeCheckpoints } from '../composition/audit';
import { requiredEnv } from '../config/env';
import { ENV } from '../contracts/environment';
import { buildCheckpointHandler } from '../handlers/audit-checkpoint-handler';
import { checkpointRetentionDays } from './audit-checkpoint-config';

// Created once per cold start; a checkpoint reads every chain head, so generous timeouts and default retries.
const log = new PowertoolsLog();
const dynamo = new DynamoDBClient({
  requestHandler: new NodeHttpHandler({ connectionTimeout: 1000, requestTimeout: 5000 }),
});
const auditTable = requiredEnv(ENV.auditTable);
const reader = new DynamoDbAuditReader({ client: dynamo, tableName: auditTable });

const checkpoints = composeCheckpoints(
  { tables: { audit: auditTable }, clock: Date.now, reader },
  {
    store: new S3CheckpointStore(new S3Client({}), requiredEnv(ENV.checkpointBucket), `${auditTable}/`),
    signer: new KmsCheckpointSigner(new KMSClient({}), requiredEnv(ENV.checkpointKeyArn)),
    retentionDays: checkpointRetentionDays(),
  },
);

export const handler = log.handler(
  buildCheckpointHandler({ checkpoints, now: Date.now, log }),
  correlationIds.scheduled,
);
