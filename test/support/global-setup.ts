import { findFreePort, startDynamoDbLocal, type DynamoDbLocalHandle } from '../../lambdas/local/dynamodb-local';

declare global {
  var __STEPGATE_DDB__: DynamoDbLocalHandle | undefined;
}

/** One DynamoDB Local for the whole run; suites isolate themselves by creating tables under their own prefix. */
export default async function globalSetup(): Promise<void> {
  const port = await findFreePort();
  const handle = await startDynamoDbLocal({ port });
  globalThis.__STEPGATE_DDB__ = handle;
  process.env.STEPGATE_TEST_DYNAMODB_ENDPOINT = handle.endpoint;
}
