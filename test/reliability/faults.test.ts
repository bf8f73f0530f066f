import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import {
  CognitoIdentityProviderClient,
  InitiateAuthCommand,
  RespondToAuthChallengeCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import fc from 'fast-check';
import { DynamoDbAuditLog } from '../../lambdas/adapters/dynamodb/dynamodb-audit-log';
import { failFastDynamoDbSettings } from '../../lambdas/adapters/dynamodb/dynamodb-client-settings';
import { ACTIVE_SK, policyItem } from '../../lambdas/adapters/dynamodb/items/policy';
import { tableNamesFor } from '../../lambdas/contracts/tables';
import { composeDecide } from '../../lambdas/composition/decide';
import { defaultPolicy } from '../../lambdas/core/policy/default-policy';
import type { Policy } from '../../lambdas/core/policy/policy-schema';
import {
  findFreePort,
  localClientConfig,
  startDynamoDbLocal,
  type DynamoDbLocalHandle,
} from '../../lambdas/local/dynamodb-local';
import { startLocalRuntime, type LocalRuntime } from '../../lambdas/local/runtime';
import { createTestTables, testDynamoClient, testDynamoEndpoint } from '../support/dynamodb';
import { hostPort, startFaultProxy, type FaultProxy } from '../support/fault-injection';
import { appToken, startTestRuntime, userTokens } from '../support/local-runtime';
import {
  apiEvent,
  BERLIN,
  CHROME_MAC,
  DECIDE_ROUTE,
  lambdaContext,
  NEW_YORK,
  OUTCOME_ROUTE,
  reasonCodes,
  seedPolicy,
  send,
  trafficSummary,
  tokenAt,
} from './helpers';

/**
 * What happens when the store misbehaves: gone, slow, silent, restarted, or holding a damaged policy; and what
 * the clock accepts. The rule under test (DESIGN §8): a decision for `medium` and above is never `allow` when the
 * store could not be used, it comes from the policy's failMode, and it comes back quickly instead of hanging.
 */

const CLOCK = Date.parse('2026-11-29T10:00:00Z');
/** Answer-time bound for a fail-closed decision with the fast test client below (2 attempts × 800 ms + backoff). */
const FAIL_FAST_MS = 3000;
/** The same bound for clients with the SDK's default settings against a refused connection. */
const FAIL_CLOSED_MS = 3000;

type Level = keyof Policy['levels'];
const levelOf = (action: string): Level => defaultPolicy.actions[action]!.level;
const ACTIONS = Object.keys(defaultPolicy.actions);
const AT_LEAST_MEDIUM = ACTIONS.filter((a) => ['medium', 'high', 'critical'].includes(levelOf(a)));

/** A client that gives up fast: requestTimeout only throws with throwOnRequestTimeout (otherwise it just warns). */
function fastClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({
    ...localClientConfig(endpoint),
    maxAttempts: 2,
    requestHandler: new NodeHttpHandler({ connectionTimeout: 800, requestTimeout: 800, throwOnRequestTimeout: true }),
  });
}

type Handler = ReturnType<typeof composeDecide>['handler'];

async function decideWith(handler: Handler, body: unknown) {
  const started = Date.now();
  const r = await handler(apiEvent({ routeKey: DECIDE_ROUTE, body: JSON.stringify(body) }), lambdaContext());
  return { status: r.statusCode, body: JSON.parse(r.body ?? 'null'), ms: Date.now() - started, text: r.body ?? '' };
}

const body = (action: string, userId = 'faults@example.com') => ({
  userId,
  action,
  context: { ip: NEW_YORK, userAgent: CHROME_MAC, deviceId: 'dev-faults' },
});

/**
 * Silences and records the error log so lines can be checked: console.error (a handler built without a logger) and
 * the JSON lines the local runtime's Powertools logger writes to stderr.
 */
function captureErrorLog(): { lines: string[]; restore: () => void } {
  const lines: string[] = [];
  const spy = jest.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
    lines.push(args.map(String).join(' '));
  });
  const stderr = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: unknown) => {
    lines.push(
      ...String(chunk)
        .split('\n')
        .filter((line) => line.trim() !== ''),
    );
    return true;
  });
  return {
    lines,
    restore: () => {
      spy.mockRestore();
      stderr.mockRestore();
    },
  };
}

describe('store unreachable: nothing listens on its port', () => {
  let handler: Handler;
  let dynamo: DynamoDBClient;
  let log: ReturnType<typeof captureErrorLog>;

  beforeAll(async () => {
    const deadPort = await findFreePort();
    dynamo = fastClient(`http://127.0.0.1:${deadPort}`);
    // Cold start during the outage: no policy was ever read, so the built-in default's failMode applies.
    handler = composeDecide({ dynamo, tables: tableNamesFor('unreachable'), clock: () => CLOCK }).handler;
    log = captureErrorLog();
  });

  afterAll(() => {
    log.restore();
    dynamo.destroy();
  });

  it.each(ACTIONS)('%s: answers its failMode quickly, never allow from medium up', async (action) => {
    const level = levelOf(action);
    const answer = await decideWith(handler, body(action));
    expect(answer.status).toBe(200);
    expect(answer.body.decision).toBe(defaultPolicy.failMode[level]);
    if (AT_LEAST_MEDIUM.includes(action)) expect(answer.body.decision).not.toBe('allow');
    expect(reasonCodes(answer.body)).toContain('store.unavailable');
    if (answer.body.decision === 'step_up') expect(answer.body.wwwAuthenticate).toMatch(/^Bearer error=/);
    expect(answer.ms).toBeLessThan(FAIL_FAST_MS);
  });

  it('still refuses an unknown action with 400 rather than guessing a level', async () => {
    const answer = await decideWith(handler, body('no.such_action'));
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('unknown_action');
  });

  it('answers an outcome report with a generic server error that leaks nothing about the store', async () => {
    const r = await handler(
      apiEvent({ routeKey: OUTCOME_ROUTE, body: '{"outcome":"failed"}', pathParameters: { decisionId: 'abc' } }),
      lambdaContext(),
    );
    expect(r.statusCode).toBeGreaterThanOrEqual(500);
    expect(JSON.parse(r.body ?? 'null')).toEqual({ error: { code: 'internal', message: 'Internal error' } });
    expect(r.body).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|DynamoDB|at /);
  });

  it('logs one summary line per failure, without the request (no user id, IP or user agent)', () => {
    const failures = log.lines.filter((l) => l.includes('decision_failed_closed'));
    expect(failures.length).toBeGreaterThanOrEqual(AT_LEAST_MEDIUM.length);
    for (const line of failures) {
      expect(line).not.toContain('faults@example.com');
      expect(line).not.toContain(NEW_YORK);
      expect(line).not.toContain('dev-faults');
    }
  });
});

describe('slow, silent and resetting store behind a TCP fault proxy', () => {
  const admin = testDynamoClient();
  let proxy: FaultProxy;
  let dynamo: DynamoDBClient;
  let handler: Handler;
  let log: ReturnType<typeof captureErrorLog>;
  // A live policy whose failMode differs from the default: the answer must follow the policy that was in force.
  const strict: Policy = {
    ...structuredClone(defaultPolicy),
    failMode: { ...defaultPolicy.failMode, medium: 'deny', high: 'deny' },
  };

  beforeAll(async () => {
    const tables = await createTestTables(admin, 'proxy');
    await seedPolicy(admin, tables, strict);
    proxy = await startFaultProxy(hostPort(testDynamoEndpoint()));
    dynamo = fastClient(proxy.endpoint);
    handler = composeDecide({ dynamo, tables, clock: () => CLOCK }).handler;
    log = captureErrorLog();
    // Warm the client's connection and the store's first-request costs, so the baseline below measures steady state.
    await decideWith(handler, body('profile.view', 'warm-up@example.com'));
  });

  afterAll(async () => {
    log.restore();
    dynamo.destroy();
    admin.destroy();
    await proxy.close();
  });

  it('decides normally through the proxy while it passes traffic (and caches the strict policy)', async () => {
    const answer = await decideWith(handler, body('profile.update'));
    expect(answer.status).toBe(200);
    expect(reasonCodes(answer.body)).not.toContain('store.unavailable');
    expect(proxy.connections).toBeGreaterThan(0);
  });

  it.each([
    ['delayed 2 s per chunk', { kind: 'delay', delayMs: 2000 }],
    ['blackholed', { kind: 'blackhole' }],
    ['reset', { kind: 'reset' }],
  ] as const)('fails closed per the live policy, without hanging, when the store is %s', async (_, mode) => {
    proxy.setMode(mode);
    // medium is where the strict policy differs from the default; critical is the strictest level.
    for (const action of ['profile.update', 'admin.production_access']) {
      const answer = await decideWith(handler, body(action));
      expect({ action, status: answer.status, decision: answer.body.decision }).toEqual({
        action,
        status: 200,
        decision: strict.failMode[levelOf(action)],
      });
      expect(reasonCodes(answer.body)).toContain('store.unavailable');
      expect(answer.ms).toBeLessThan(FAIL_FAST_MS);
    }
    proxy.setMode({ kind: 'pass' });
  });

  it('recovers by itself once the store answers again: same handler, same client', async () => {
    proxy.setMode({ kind: 'pass' });
    const answer = await decideWith(handler, body('profile.update'));
    expect(answer.status).toBe(200);
    expect(reasonCodes(answer.body)).not.toContain('store.unavailable');
  });

  // The deployed client's settings (failFastDynamoDbSettings): without throwOnRequestTimeout the SDK only warns when
  // the request timeout passes, and a store that accepts the connection but never answers hangs the decision.
  it('with the Lambda wiring client settings a blackholed store fails closed in time', async () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    const wiringLike = new DynamoDBClient({
      ...localClientConfig(proxy.endpoint),
      ...failFastDynamoDbSettings(),
    });
    try {
      const tables = await createTestTables(admin, 'wiring');
      await seedPolicy(admin, tables);
      const wired = composeDecide({ dynamo: wiringLike, tables, clock: () => CLOCK }).handler;
      proxy.setMode({ kind: 'blackhole' });
      const answer = await Promise.race([
        decideWith(wired, body('payment.transfer')),
        // 2 attempts × 1.5 s is what the wiring means to allow; 4 s leaves room for backoff and a loaded machine.
        new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 4000).unref()),
      ]);
      expect(answer).not.toBe('hung');
    } finally {
      proxy.setMode({ kind: 'pass' });
      wiringLike.destroy();
      warn.mockRestore();
    }
  });
});

describe('DynamoDB Local stopped and restarted under a running runtime', () => {
  let dataDir: string;
  let ddbPort: number;
  let ddb: DynamoDbLocalHandle | undefined;
  let runtime: LocalRuntime;
  let clock = CLOCK;
  let log: ReturnType<typeof captureErrorLog>;

  const decide = async (action: string) => {
    const started = Date.now();
    const answer = await send(`${runtime.url}/v1/decisions`, {
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await tokenAt(runtime, clock)}` },
      body: JSON.stringify(body(action, 'steady@example.com')),
    });
    return { ...answer, ms: Date.now() - started };
  };

  beforeAll(async () => {
    // A DynamoDB Local of its own, on disk, so that stopping it hurts no other suite and its data survive.
    dataDir = await mkdtemp(join(tmpdir(), 'stepgate-faults-'));
    ddbPort = await findFreePort();
    ddb = await startDynamoDbLocal({ port: ddbPort, dataDir });
    runtime = await startLocalRuntime({
      port: await findFreePort(),
      dynamoPort: 0,
      dynamoEndpoint: ddb.endpoint,
      tablePrefix: 'faults-restart',
      now: () => clock,
    });
    log = captureErrorLog();
  }, 60_000);

  afterAll(async () => {
    log.restore();
    await runtime.stop();
    await ddb?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  /**
   * A step-up driven as an app drives Cognito (the SDK against the local emulator) up to the code round, with the
   * right code in hand: used to check that a challenge is not passed while the store cannot verify it.
   */
  async function stepUpToCodeRound() {
    const cognito = new CognitoIdentityProviderClient({
      endpoint: runtime.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    });
    const username = runtime.context.identities.users.find((u) => u.groups.length === 0)!.username;
    const user = runtime.context.identities.users.find((u) => u.username === username)!;
    const signedIn = await userTokens(runtime.url, username, user.password);
    const decision = await send(`${runtime.url}/v1/decisions`, {
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await tokenAt(runtime, clock)}` },
      body: JSON.stringify({ ...body('payment.transfer', username), context: { ip: BERLIN } }),
    });
    expect(decision.body.decision).toBe('step_up');
    const metadata = {
      stepUpId: String(decision.body.stepUp.id),
      accessToken: signedIn.accessToken,
      method: 'email_otp',
    };
    const respond = (session: string | undefined, answer: string) =>
      cognito.send(
        new RespondToAuthChallengeCommand({
          ChallengeName: 'CUSTOM_CHALLENGE',
          ClientId: 'local-web',
          Session: session,
          ChallengeResponses: { USERNAME: username, ANSWER: answer },
          ClientMetadata: metadata,
        }),
      );
    const started = await cognito.send(
      new InitiateAuthCommand({
        AuthFlow: 'CUSTOM_AUTH',
        ClientId: 'local-web',
        AuthParameters: { USERNAME: username },
      }),
    );
    const codeRound = await respond(started.Session, 'context');
    expect(codeRound.ChallengeParameters?.step).toBe('code');
    const outbox = (await (await fetch(`${runtime.url}/local/outbox?to=${encodeURIComponent(username)}`)).json()) as {
      messages: { code: string }[];
    };
    const code = outbox.messages.at(-1)!.code;
    return { cognito, answer: () => respond(codeRound.Session, code) };
  }

  it('serves, fails closed while the store is down, and recovers on restart without restarting the runtime', async () => {
    // Establish a familiar user: the same context three times, then a payment is allowed.
    for (let i = 0; i < 4; i++) {
      clock += 60_000;
      expect((await decide('auth.sign_in')).status).toBe(200);
    }
    clock += 3600_000;
    const healthy = await decide('payment.transfer');
    expect(healthy.body.decision).toBe('allow');
    const stepUp = await stepUpToCodeRound();

    await ddb!.stop();
    ddb = undefined;
    // The right code, but the Verify trigger cannot check it against the stored challenge: no tokens (DESIGN §8).
    clock += 1000;
    const verified = await stepUp.answer().then(
      (out) => ({ tokens: out.AuthenticationResult !== undefined, error: undefined }),
      (error: Error & { $metadata?: { httpStatusCode?: number } }) => ({
        tokens: false,
        error: `${error.name} ${error.$metadata?.httpStatusCode ?? ''}`.trim(),
      }),
    );
    stepUp.cognito.destroy();
    expect(verified.tokens).toBe(false);
    // As Cognito answers a failing trigger: a 4xx error (UserLambdaValidationException), not tokens, not a 5xx.
    expect(verified.error).toMatch(/ 4\d\d$/);
    for (const action of ['payment.transfer', 'profile.update', 'admin.production_access', 'auth.sign_in']) {
      clock += 1000;
      const down = await decide(action);
      expect({ action, status: down.status, decision: down.body.decision }).toEqual({
        action,
        status: 200,
        decision: defaultPolicy.failMode[levelOf(action)],
      });
      expect(reasonCodes(down.body)).toContain('store.unavailable');
      expect(down.ms).toBeLessThan(FAIL_CLOSED_MS);
    }

    ddb = await startDynamoDbLocal({ port: ddbPort, dataDir });
    clock += 60_000;
    const back = await decide('payment.transfer');
    expect(back.status).toBe(200);
    expect(reasonCodes(back.body)).not.toContain('store.unavailable');
    // The history written before the outage is still there: the user is still familiar.
    expect(back.body.decision).toBe('allow');
    expect(reasonCodes(back.body)).not.toContain('user.new');
  }, 60_000);
});

describe('corrupt policy item in the policy table', () => {
  let runtime: LocalRuntime;
  let token: string;
  let clock = CLOCK;
  let log: ReturnType<typeof captureErrorLog>;

  const decide = (action: string) =>
    send(`${runtime.url}/v1/decisions`, {
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(body(action, 'policy-victim@example.com')),
    });
  const putActive = (document: string, version: number) =>
    runtime.context.dynamo.send(
      new PutItemCommand({
        TableName: runtime.context.tables.policy,
        Item: {
          ...policyItem(
            { version, policy: defaultPolicy, updatedAt: new Date(clock).toISOString(), updatedBy: 'corruptor' },
            ACTIVE_SK,
          ),
          document: { S: document },
        },
      }),
    );

  beforeAll(async () => {
    runtime = await startTestRuntime({ now: () => clock });
    token = await appToken(runtime.url);
    log = captureErrorLog();
  });

  afterAll(async () => {
    log.restore();
    await runtime.stop();
  });

  // An "allow everything" policy that the schema must refuse: failMode allow on high, thresholds above 100.
  const permissive = {
    ...structuredClone(defaultPolicy),
    version: 3,
    failMode: { ...defaultPolicy.failMode, high: 'allow', critical: 'allow' },
    levels: { ...defaultPolicy.levels, high: { ...defaultPolicy.levels.high, stepUpAt: 101, denyAt: 101 } },
  };

  it.each([
    ['not JSON', '{"version": 2, "levels": '],
    ['JSON but empty', '{}'],
    ['JSON of the wrong type', '[1,2,3]'],
    ['schema-invalid and permissive', JSON.stringify(permissive)],
  ])('fails closed (no 500, never allow from medium up) when the active policy is %s', async (_, document) => {
    await putActive(document, 2);
    clock += 6000; // past the policy cache
    const before = log.lines.length;
    for (const action of ['payment.transfer', 'admin.production_access', 'profile.update']) {
      const answer = await decide(action);
      expect({ action, status: answer.status, decision: answer.body?.decision }).toEqual({
        action,
        status: 200,
        decision: defaultPolicy.failMode[levelOf(action)],
      });
      expect(reasonCodes(answer.body)).toContain('store.unavailable');
    }
    // JSON lines only: the runtime's stderr may carry other output (a Node warning) meanwhile.
    const lines = log.lines.slice(before).filter((line) => line.startsWith('{'));
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      const entry = JSON.parse(line) as Record<string, unknown>;
      expect(entry).toMatchObject({ level: 'ERROR', message: 'decision_failed_closed' });
      // Says what is wrong (the stored policy), so an operator knows where to look.
      expect(String(entry.detail)).toMatch(/stored policy/);
      // And which request it was: the invocation's request id and API Gateway's request id.
      expect(entry).toEqual(
        expect.objectContaining({ function_request_id: expect.any(String), correlation_id: expect.any(String) }),
      );
      // Clear but without secrets or personal data: no token, no user, no address, no policy content.
      for (const secret of [token.split('.')[2]!.slice(0, 20), 'policy-victim', NEW_YORK, '"levels"', '{"version"']) {
        expect(line).not.toContain(secret);
      }
    }
  });

  it('returns to normal decisions once a valid policy is active again', async () => {
    await putActive(JSON.stringify({ ...defaultPolicy, version: 4 }), 4);
    clock += 6000;
    const answer = await decide('profile.update');
    expect(answer.status).toBe(200);
    expect(answer.body.policyVersion).toBe(4);
    expect(reasonCodes(answer.body)).not.toContain('store.unavailable');
  });
});

describe('audit write rejected inside the decision transaction', () => {
  const dynamo = testDynamoClient();
  let tables: Awaited<ReturnType<typeof createTestTables>>;
  let handler: Handler;
  let log: ReturnType<typeof captureErrorLog>;
  const answers = new Map<string, Awaited<ReturnType<typeof decideWith>>>();

  const has = async (table: string, pk: string, sk: string) =>
    (
      await dynamo.send(
        new GetItemCommand({ TableName: table, Key: { pk: { S: pk }, sk: { S: sk } }, ConsistentRead: true }),
      )
    ).Item !== undefined;

  beforeAll(async () => {
    tables = await createTestTables(dynamo, 'auditfail');
    await seedPolicy(dynamo, tables);
    // Every append of this writer starts chain "forced", whose head already exists: the audit log's
    // "new chain" condition fails, so each decision's transaction is cancelled on its audit items alone
    // (as when another writer forked the chain). The decision's own items would have been fine.
    await dynamo.send(
      new PutItemCommand({
        TableName: tables.audit,
        Item: { pk: { S: 'CHAIN#forced' }, sk: { S: 'HEAD' }, seq: { N: '7' }, hash: { S: 'f'.repeat(64) } },
      }),
    );
    const auditLog = new DynamoDbAuditLog({ client: dynamo, tableName: tables.audit, newChainId: () => 'forced' });
    handler = composeDecide({ dynamo, tables, clock: () => CLOCK, auditLog }).handler;
    log = captureErrorLog();
    for (const action of ACTIONS)
      answers.set(action, await decideWith(handler, body(action, `audit-${action}@example.com`)));
  });

  afterAll(() => {
    log.restore();
    dynamo.destroy();
  });

  it('never stores a decision without its audit record, nor an audit record without its decision', async () => {
    for (const [action, answer] of answers) {
      expect({ action, status: answer.status }).toEqual({ action, status: 200 });
      const id: string = answer.body.decisionId;
      expect({ action, decision: await has(tables.risk, `DECISION#${id}`, 'DECISION') }).toEqual({
        action,
        decision: false,
      });
      expect({ action, audit: await has(tables.audit, `EVENT#decision:${id}`, 'EVENT') }).toEqual({
        action,
        audit: false,
      });
    }
  });

  it('does not allow a medium-or-above action whose audit record could not be written', () => {
    for (const action of AT_LEAST_MEDIUM) {
      const answer = answers.get(action)!;
      expect({ action, decision: answer.body.decision }).toEqual({
        action,
        decision: defaultPolicy.failMode[levelOf(action)],
      });
      expect(answer.body.decision).not.toBe('allow');
    }
    // Failed for the reason staged above: the transaction was cancelled on the audit head's condition, every time
    // the decision was tried again on a new chain (this writer's chains all collide).
    const failures = log.lines.filter((l) => l.includes('decision_failed_closed'));
    expect(failures.length).toBe(ACTIONS.length);
    for (const line of failures) expect(line).toContain('audit_rejected');
  });

  // The store is reachable, so this is not the outage failMode was written for: a `none`/`low` action whose
  // failMode is allow is raised to step_up, because nothing recorded that it was allowed.
  it('never answers allow for a decision that left no record (sign-in, profile.view)', () => {
    const lower = ACTIONS.filter((a) => !AT_LEAST_MEDIUM.includes(a));
    expect(lower.length).toBeGreaterThan(0);
    for (const action of lower) {
      const answer = answers.get(action)!;
      expect({ action, decision: answer.body.decision }).toEqual({ action, decision: 'step_up' });
      expect(reasonCodes(answer.body)).toContain('decision.unrecorded');
      expect(answer.body.wwwAuthenticate).toMatch(/^Bearer error="insufficient_user_authentication"/);
    }
  });
});

describe('clock skew: context.timestamp is accepted only within [now - 24 h, now + 5 min]', () => {
  let runtime: LocalRuntime;
  let token: string;
  const now = CLOCK;
  const HOUR = 3600_000;

  const decideAt = (timestamp: string) =>
    send(`${runtime.url}/v1/decisions`, {
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ ...body('auth.sign_in', 'skew@example.com'), context: { ip: NEW_YORK, timestamp } }),
    });

  /** The same instant written with a UTC offset, as a client in another time zone would send it. */
  function withOffset(t: number, offsetMinutes: number): string {
    const local = new Date(t + offsetMinutes * 60_000).toISOString().replace('Z', '');
    const sign = offsetMinutes < 0 ? '-' : '+';
    const abs = Math.abs(offsetMinutes);
    return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
  }

  beforeAll(async () => {
    runtime = await startTestRuntime({ now: () => now });
    token = await appToken(runtime.url);
  });

  afterAll(async () => {
    await runtime.stop();
  });

  it('accepts the exact edges and refuses one millisecond beyond them', async () => {
    const cases: [number, number][] = [
      [now - 24 * HOUR, 200],
      [now - 24 * HOUR - 1, 400],
      [now + 5 * 60_000, 200],
      [now + 5 * 60_000 + 1, 400],
      [now, 200],
    ];
    for (const [t, status] of cases) {
      const answer = await decideAt(new Date(t).toISOString());
      expect({ t: new Date(t).toISOString(), status: answer.status }).toEqual({ t: new Date(t).toISOString(), status });
      if (status === 400) expect(answer.body.error.field).toBe('context.timestamp');
    }
  });

  it('decides by the instant, whatever UTC offset it is written in', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: -48 * HOUR, max: 48 * HOUR }),
        fc.integer({ min: -12 * 60, max: 14 * 60 }).map((m) => m - (m % 15)),
        async (delta, offset) => {
          const t = now + delta;
          const inside = t >= now - 24 * HOUR && t <= now + 5 * 60_000;
          const answer = await decideAt(withOffset(t, offset));
          expect({ delta, offset, status: answer.status }).toEqual({ delta, offset, status: inside ? 200 : 400 });
        },
      ),
      { numRuns: 25 },
    );
  });
});

afterAll(() => console.info(trafficSummary('faults')));
