import { randomUUID } from 'node:crypto';
import {
  BatchWriteItemCommand,
  type AttributeValue,
  type BatchWriteItemCommandOutput,
  type DynamoDBClient,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, Context } from 'aws-lambda';
import { defaultPolicy } from '../lambdas/core/policy/default-policy';
import { globalKeys, populationKeys } from '../lambdas/adapters/dynamodb/items/population';
import { profileKey } from '../lambdas/adapters/dynamodb/items/profile';
import { DynamoDbPolicyStore } from '../lambdas/adapters/dynamodb/dynamodb-policy-store';
import { tableNamesFor, type TableNames } from '../lambdas/contracts/tables';
import { bootstrapTables } from '../lambdas/local/bootstrap-tables';
import type { DeviceParser } from '../lambdas/ports/device-parser';
import type { GeoLocator } from '../lambdas/ports/geo-locator';
import type { DecisionBody, Population } from './fixtures';

/** Fresh tables per section: sections never see each other's counters, and a rerun never sees the last one's. */
export async function createBenchTables(client: DynamoDBClient, label: string): Promise<TableNames> {
  const names = tableNamesFor(`bench-${label}-${randomUUID().slice(0, 8)}`);
  await bootstrapTables(client, names);
  return names;
}

async function batchWrite(
  client: DynamoDBClient,
  table: string,
  items: Record<string, AttributeValue>[],
): Promise<void> {
  const chunks: WriteRequest[][] = [];
  for (let i = 0; i < items.length; i += 25)
    chunks.push(items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })));
  // A few chunks in flight: seeding is set-up, not measured, but should not dominate the run time.
  let next = 0;
  const worker = async () => {
    while (next < chunks.length) {
      let pending: Record<string, WriteRequest[]> | undefined = { [table]: chunks[next++] ?? [] };
      for (let attempt = 0; pending && Object.keys(pending).length > 0; attempt++) {
        if (attempt > 5) throw new Error('seeding: BatchWriteItem kept returning unprocessed items');
        const out: BatchWriteItemCommandOutput = await client.send(
          new BatchWriteItemCommand({ RequestItems: pending }),
        );
        pending = out.UnprocessedItems;
      }
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
}

/**
 * The state a production table would hold for this population: the active policy, every user's profile item
 * (same layout the decision store writes) and the population counters of their trusted contexts, so the
 * decision's BatchGet returns real items of real size rather than mostly misses.
 */
export async function seedStore(
  client: DynamoDBClient,
  tables: TableNames,
  pop: Population,
  deps: { locator: GeoLocator; parser: DeviceParser },
  now: number,
): Promise<void> {
  await new DynamoDbPolicyStore(client, tables.policy).seedIfEmpty({
    version: defaultPolicy.version,
    policy: defaultPolicy,
    updatedAt: new Date(now).toISOString(),
    updatedBy: 'stepgate bench',
    reason: 'bench seed',
  });
  const profiles: Record<string, AttributeValue>[] = [];
  const counters = new Map<string, number>();
  let total = 0;
  for (const user of pop.users) {
    if (!user.profile) continue;
    const key = profileKey(user.userId);
    profiles.push({
      pk: { S: key.pk },
      sk: { S: key.sk },
      profile: { S: JSON.stringify(user.profile) },
      revision: { N: String(user.profile.trustedEvents) },
      updatedAt: { N: String(now) },
    });
    const n = user.profile.trustedEvents;
    total += n;
    // Attribute the user's trusted sessions to their home context: close enough for realistic population counts.
    for (const device of user.devices) {
      for (const ip of user.homeIps) {
        const features = {
          ip,
          deviceId: device.deviceId,
          geo: deps.locator.locate(ip),
          device: deps.parser.parse(device.ua),
        };
        for (const [level, value] of Object.entries(globalKeys(features))) {
          if (value === undefined) continue;
          const k = populationKeys.level(level, value).pk;
          counters.set(
            k,
            (counters.get(k) ?? 0) + Math.max(1, Math.round(n / (user.devices.length * user.homeIps.length))),
          );
        }
      }
    }
  }
  const counterItems: Record<string, AttributeValue>[] = [...counters.entries()].map(([pk, n]) => ({
    pk: { S: pk },
    sk: { S: 'COUNT' },
    n: { N: String(n) },
  }));
  const totalKey = populationKeys.total();
  counterItems.push({ pk: { S: totalKey.pk }, sk: { S: totalKey.sk }, n: { N: String(total) } });
  await batchWrite(client, tables.risk, [...profiles, ...counterItems]);
}

export type HttpEvent = APIGatewayProxyEventV2WithJWTAuthorizer;

/**
 * The payload-v2 event API Gateway's JWT authorizer hands the decide function (same shape as the local gateway's
 * `toEvent`): claims of a client-credentials token of `local-app` with scope stepgate/decide. A fresh object per
 * call, because middy replaces `event.body` with the parsed body.
 */
export function decisionEvent(body: DecisionBody): HttpEvent {
  const at = Date.now();
  return {
    version: '2.0',
    routeKey: 'POST /v1/decisions',
    rawPath: '/v1/decisions',
    rawQueryString: '',
    headers: { 'content-type': 'application/json', host: 'bench.local', 'user-agent': 'stepgate-bench' },
    requestContext: {
      accountId: '000000000000',
      apiId: 'bench',
      domainName: 'bench.local',
      domainPrefix: 'bench',
      http: {
        method: 'POST',
        path: '/v1/decisions',
        protocol: 'HTTP/1.1',
        sourceIp: '127.0.0.1',
        userAgent: 'stepgate-bench',
      },
      requestId: randomUUID(),
      routeKey: 'POST /v1/decisions',
      stage: '$default',
      time: new Date(at).toUTCString(),
      timeEpoch: at,
      authorizer: {
        principalId: '',
        integrationLatency: 0,
        jwt: {
          claims: { sub: 'local-app', client_id: 'local-app', scope: 'stepgate/decide', token_use: 'access' },
          scopes: ['stepgate/decide'],
        },
      },
    },
    body: JSON.stringify(body),
    isBase64Encoded: false,
  };
}

export const lambdaContext: Context = {
  callbackWaitsForEmptyEventLoop: false,
  functionName: 'stepgate-bench-decide',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:local:000000000000:function:stepgate-bench-decide',
  memoryLimitInMB: '1024',
  awsRequestId: 'bench',
  logGroupName: '/aws/lambda/stepgate-bench-decide',
  logStreamName: 'bench',
  getRemainingTimeInMillis: () => 10_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
};
