import { findFreePort, startDynamoDbLocal, type DynamoDbLocalHandle } from '../../lambdas/local/dynamodb-local';

declare global {
  var __STEPGATE_DDB__: DynamoDbLocalHandle | undefined;
}

/** One DynamoDB Local for the whole run; suites isolate themselves by creating tables under their own prefix. */
export default async function globalSetup(): Promise<void> {
  // Lambda runs Node 24; the SDK's notice about Node 20 support ending in 2027 is noise in test output.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const port = await findFreePort();
  const handle = await startDynamoDbLocal({ port });
  globalThis.__STEPGATE_DDB__ = handle;
  process.env.STEPGATE_TEST_DYNAMODB_ENDPOINT = handle.endpoint;
}
