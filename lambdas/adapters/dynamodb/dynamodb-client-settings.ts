import { NodeHttpHandler } from '@smithy/node-http-handler';

/**
 * DynamoDB client settings for request paths that must fail closed quickly: half a second to connect, 1.5 s per
 * request, one retry. `throwOnRequestTimeout` matters: without it the SDK only logs a warning when the request
 * timeout passes, and a store that accepts the connection but never answers hangs the decision.
 */
export function failFastDynamoDbSettings() {
  return {
    maxAttempts: 2,
    requestHandler: new NodeHttpHandler({ connectionTimeout: 500, requestTimeout: 1500, throwOnRequestTimeout: true }),
  };
}
