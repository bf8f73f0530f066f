import { randomUUID } from 'node:crypto';
import { ScanCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { defaultPolicy } from '../../lambdas/core/policy/default-policy';
import type { Policy } from '../../lambdas/core/policy/policy-schema';
import { DynamoDbPolicyStore } from '../../lambdas/adapters/dynamodb/dynamodb-policy-store';
import type { TableNames } from '../../lambdas/contracts/tables';
import type { HttpEvent } from '../../lambdas/handlers/http/http-handler';
import type { LocalRuntime } from '../../lambdas/local/runtime';

/** Real addresses geoip-lite places in known cities (the same ones the e2e suite uses). */
export const NEW_YORK = '12.45.10.20';
export const BERLIN = '2.204.10.20';
export const CHROME_MAC =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
export const FIREFOX_WIN = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0';

export const DECIDE_ROUTE = 'POST /v1/decisions';
export const OUTCOME_ROUTE = 'POST /v1/decisions/{decisionId}/outcome';

/**
 * A payload v2 event as API Gateway hands it to the decide Lambda after its JWT authorizer passed: used to call
 * the composed handler in-process (faults, BOLA) with claims the gateway would never let through from outside.
 */
export function apiEvent(options: {
  routeKey: string;
  body?: string;
  claims?: Record<string, string | number | boolean>;
  pathParameters?: Record<string, string>;
  headers?: Record<string, string>;
  isBase64Encoded?: boolean;
}): HttpEvent {
  const [method = 'POST', path = '/'] = options.routeKey.split(' ');
  const rawPath = Object.entries(options.pathParameters ?? {}).reduce((p, [k, v]) => p.replace(`{${k}}`, v), path);
  const now = Date.now();
  const claims = options.claims ?? {
    sub: 'local-app',
    client_id: 'local-app',
    token_use: 'access',
    scope: 'stepgate/decide',
  };
  return {
    version: '2.0',
    routeKey: options.routeKey,
    rawPath,
    rawQueryString: '',
    headers: { 'content-type': 'application/json', ...(options.headers ?? {}) },
    ...(options.pathParameters ? { pathParameters: options.pathParameters } : {}),
    requestContext: {
      accountId: '000000000000',
      apiId: 'test',
      domainName: 'test.local',
      domainPrefix: 'test',
      http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'jest' },
      requestId: randomUUID(),
      routeKey: options.routeKey,
      stage: '$default',
      time: new Date(now).toUTCString(),
      timeEpoch: now,
      authorizer: {
        principalId: '',
        integrationLatency: 0,
        jwt: {
          claims,
          scopes: String(claims.scope ?? '')
            .split(' ')
            .filter(Boolean),
        },
      },
    },
    ...(options.body !== undefined ? { body: options.body } : {}),
    isBase64Encoded: options.isBase64Encoded ?? false,
  };
}

export function lambdaContext(): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'stepgate-test-decide',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:local:000000000000:function:stepgate-test-decide',
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: '/aws/lambda/stepgate-test-decide',
    logStreamName: 'test',
    getRemainingTimeInMillis: () => 10_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

export async function seedPolicy(dynamo: DynamoDBClient, tables: TableNames, policy: Policy = defaultPolicy) {
  await new DynamoDbPolicyStore(dynamo, tables.policy).seedIfEmpty({
    version: policy.version,
    policy,
    updatedAt: new Date().toISOString(),
    updatedBy: 'reliability test',
  });
}

async function scanAll(dynamo: DynamoDBClient, tableName: string): Promise<string[]> {
  const rows: string[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const out = await dynamo.send(
      new ScanCommand({ TableName: tableName, ConsistentRead: true, ExclusiveStartKey: start }),
    );
    for (const item of out.Items ?? []) rows.push(canonical(item));
    start = out.LastEvaluatedKey;
  } while (start);
  return rows.sort();
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Every item of the risk, audit and policy tables, canonicalised: two equal snapshots mean nothing was written. */
export async function snapshotTables(dynamo: DynamoDBClient, tables: TableNames) {
  const [risk, audit, policy] = await Promise.all([
    scanAll(dynamo, tables.risk),
    scanAll(dynamo, tables.audit),
    scanAll(dynamo, tables.policy),
  ]);
  return { risk, audit, policy };
}

export interface HttpAnswer {
  readonly status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON answers
  readonly body: any;
  readonly text: string;
  readonly headers: Headers;
}

/** What this test file sent through `send` (each Jest test file has its own copy): for the figures in the README. */
export const traffic = { requests: 0, byStatus: {} as Record<string, number> };

/** One line with the file's request count and status classes, printed by each suite's afterAll. */
export function trafficSummary(label: string): string {
  const classes: Record<string, number> = {};
  for (const [status, n] of Object.entries(traffic.byStatus))
    classes[`${status[0]}xx`] = (classes[`${status[0]}xx`] ?? 0) + n;
  return `${label}: ${traffic.requests} HTTP requests, by status class ${JSON.stringify(classes)}`;
}

/** A raw request: method, headers and body exactly as given (fetch adds nothing but Host and Content-Length). */
export async function send(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string | Buffer },
): Promise<HttpAnswer> {
  const res = await fetch(url, {
    method: init.method ?? 'POST',
    headers: init.headers ?? {},
    ...(init.body !== undefined ? { body: init.body } : {}),
  });
  traffic.requests++;
  traffic.byStatus[res.status] = (traffic.byStatus[res.status] ?? 0) + 1;
  const text = await res.text();
  let body: unknown = undefined;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: the assertions look at `text`
  }
  return { status: res.status, body, text, headers: res.headers };
}

/** The two error shapes a client may see: the API's own `{"error":{code,message}}`, or API Gateway's `{"message"}`. */
export function isApiError(answer: HttpAnswer): boolean {
  const e = answer.body?.error;
  return typeof e?.code === 'string' && typeof e?.message === 'string' && e.code.length > 0;
}

export function isGatewayError(answer: HttpAnswer): boolean {
  return typeof answer.body?.message === 'string' && Object.keys(answer.body as object).length === 1;
}

export function reasonCodes(body: { reasons?: { code: string }[] }): string[] {
  return (body.reasons ?? []).map((r) => r.code);
}

/** An app token minted at `ms` on the runtime's clock (tests that move the clock by hours outlive a real one). */
export function tokenAt(runtime: LocalRuntime, ms: number): Promise<string> {
  const { issuer, identities } = runtime.context;
  return issuer.clientCredentials(identities.appClient, identities.appClient.allowedScopes, Math.floor(ms / 1000));
}
