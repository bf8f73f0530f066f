import { findFreePort, startDynamoDbLocal, type DynamoDbLocalHandle } from '../../lambdas/local/dynamodb-local';
import { ensureBundledAsnTable } from '../../tools/network-data/ip-location-db-asn';

declare global {
  var __STEPGATE_DDB__: DynamoDbLocalHandle | undefined;
}

/** One DynamoDB Local for the whole run; suites isolate themselves by creating tables under their own prefix. */
export default async function globalSetup(): Promise<void> {
  // Lambda runs Node 24; the SDK's notice about Node 20 support ending in 2027 is noise in test output.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const port = await findFreePort();
  const starting = startDynamoDbLocal({ port });
  // The ASN table is built from the installed package on first use; building it here, once, before the workers
  // start, keeps parallel suites from each building it. A clone's first run pays a few seconds (while the JVM of
  // DynamoDB Local boots), later runs nothing.
  try {
    ensureBundledAsnTable((line) => process.stderr.write(`\n${line}`));
  } catch (error) {
    await starting.then((h) => h.stop()).catch(() => undefined);
    throw error;
  }
  const handle = await starting;
  globalThis.__STEPGATE_DDB__ = handle;
  process.env.STEPGATE_TEST_DYNAMODB_ENDPOINT = handle.endpoint;
}
