import { BatchWriteItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Prng } from '../../../tools/evaluation/prng';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, Context } from 'aws-lambda';
import { decisionItem } from '../../../lambdas/adapters/dynamodb/items/decision';
import { HmacPseudonymizer } from '../../../lambdas/adapters/hmac-pseudonymizer';
import { globalKeys } from '../../../lambdas/adapters/dynamodb/items/population';
import { decideHandlerFrom } from '../../../lambdas/composition/decide';
import type { Device, EvaluationInput, Geo, GlobalStats, UserProfile } from '../../../lambdas/core/risk/types';
import { PolicyCache } from '../../../lambdas/application/decide/policy-cache';
import { CachedShadowScorer } from '../../../lambdas/application/decide/shadow-scorer';
import type {
  DecisionReadRequest,
  DecisionRecord,
  DecisionState,
  DecisionStore,
  DecisionWrite,
} from '../../../lambdas/ports/decision-store';
import type { ShadowCandidate } from '../../../lambdas/ports/policy-admin-store';
import type { PolicyRecord } from '../../../lambdas/ports/policy-store';

/**
 * Recorded history for replay tests: the REAL decide handler (validation, engine, learning, replay input, shadow
 * scoring) over an in-memory store, so that 10,000 decisions take seconds instead of the minutes DynamoDB Local
 * needs for 10,000 transactions; the records are then written to DynamoDB Local in their real stored form
 * (`decisionItem`). The in-memory store keeps profiles, velocity windows and population counts like the real one,
 * so the inputs are varied and realistic.
 */
const MINUTE = 60_000;

export const PLACES: Geo[] = [
  { kind: 'public', country: 'NO', region: 'Vestland', city: 'Bergen', lat: 60.39, lon: 5.32, asn: 'AS29695' },
  { kind: 'public', country: 'NO', region: 'Oslo', city: 'Oslo', lat: 59.91, lon: 10.75, asn: 'AS2119' },
  { kind: 'public', country: 'SE', region: 'Stockholm', city: 'Stockholm', lat: 59.33, lon: 18.07, asn: 'AS3301' },
  { kind: 'public', country: 'DE', region: 'Berlin', city: 'Berlin', lat: 52.52, lon: 13.4, asn: 'AS3320' },
  { kind: 'public', country: 'US', region: 'New York', city: 'New York', lat: 40.71, lon: -74.0, asn: 'AS7018' },
  { kind: 'public', country: 'JP', region: 'Tokyo', city: 'Tokyo', lat: 35.68, lon: 139.69, asn: 'AS2516' },
  { kind: 'public', country: 'BR', region: 'Sao Paulo', city: 'Sao Paulo', lat: -23.55, lon: -46.63, asn: 'AS28573' },
  { kind: 'public', country: 'RU', region: 'Moscow', city: 'Moscow', lat: 55.75, lon: 37.62, asn: 'AS8359' },
];

const DEVICES: Device[] = [
  {
    uaFamily: 'Chrome',
    browserMajor: '120',
    os: 'Windows',
    deviceType: 'desktop',
    isBot: false,
    isHeadless: false,
    isCli: false,
  },
  {
    uaFamily: 'Chrome',
    browserMajor: '121',
    os: 'Mac OS',
    deviceType: 'desktop',
    isBot: false,
    isHeadless: false,
    isCli: false,
  },
  {
    uaFamily: 'Firefox',
    browserMajor: '121',
    os: 'Linux',
    deviceType: 'desktop',
    isBot: false,
    isHeadless: false,
    isCli: false,
  },
  {
    uaFamily: 'Mobile Safari',
    browserMajor: '17',
    os: 'iOS',
    deviceType: 'mobile',
    isBot: false,
    isHeadless: false,
    isCli: false,
  },
  {
    uaFamily: 'Chrome Mobile',
    browserMajor: '120',
    os: 'Android',
    deviceType: 'mobile',
    isBot: false,
    isHeadless: false,
    isCli: false,
  },
  {
    uaFamily: 'Edge',
    browserMajor: '120',
    os: 'Windows',
    deviceType: 'desktop',
    isBot: false,
    isHeadless: false,
    isCli: false,
  },
  {
    uaFamily: 'HeadlessChrome',
    browserMajor: '120',
    os: 'Linux',
    deviceType: 'desktop',
    isBot: false,
    isHeadless: true,
    isCli: false,
  },
  { uaFamily: 'curl', deviceType: 'desktop', isBot: false, isHeadless: false, isCli: true },
];

/** Geo encoded in the address: 100.<place>.x.y is public at PLACES[place]; 10.x.y.z is private. */
export const fakeGeo = {
  locate(ip: string): Geo {
    const parts = ip.split('.');
    if (parts[0] === '10') return { kind: 'private' };
    const place = PLACES[Number(parts[1])];
    return place ? { ...place, prefix: `${parts.slice(0, 3).join('.')}.0/24` } : { kind: 'unknown' };
  },
};

/** User agents are `UA-<n>`; `UA-<n>-<v>` varies the UA key (same parsed device). */
export const fakeDevices = {
  parse(userAgent: string | undefined): Device {
    const [, n, v] = /^UA-(\d+)(?:-(\d+))?$/.exec(userAgent ?? '') ?? [];
    const device = DEVICES[Number(n ?? 0)] ?? DEVICES[0]!;
    return { ...device, uaKey: `ua-${n ?? 0}-${v ?? 0}` };
  },
};

export class InMemoryDecisionStore implements DecisionStore {
  readonly records: DecisionRecord[] = [];
  /** The exact engine input of each committed decision, by decision id. */
  readonly inputs = new Map<string, EvaluationInput>();
  shadow: ShadowCandidate | null = null;
  private readonly profiles = new Map<string, { profile: UserProfile; revision: number }>();
  private readonly userTimes = new Map<string, number[]>();
  private readonly ipTimes = new Map<string, number[]>();
  private readonly ipUsers = new Map<string, { at: number; userId: string }[]>();
  private readonly global = new Map<string, number>();
  private total = 0;

  constructor(
    private readonly policy: PolicyRecord,
    private readonly scorer: { lastInput?: EvaluationInput },
  ) {}

  load(request: DecisionReadRequest): Promise<DecisionState> {
    const { userId, features, now } = request;
    // This traffic is recorded with the privacy setting off: velocity is kept by the raw address the records carry.
    const ip = (request.alternativeFeatures ?? features).ip;
    const recent = (times: number[] | undefined, window: number) =>
      (times ?? []).filter((t) => t > now - window && t <= now).length;
    const users = new Set((this.ipUsers.get(ip) ?? []).filter((e) => e.at > now - 10 * MINUTE).map((e) => e.userId));
    const globalOf = (form: typeof features): GlobalStats => {
      const keys = globalKeys(form);
      const count = (level: keyof typeof keys) => {
        const value = keys[level];
        return value === undefined ? 0 : (this.global.get(`${level}#${value}`) ?? 0);
      };
      return {
        total: this.total,
        ip: count('ip'),
        prefix: count('prefix'),
        asn: count('asn'),
        country: count('country'),
        ua: count('ua'),
        browser: count('browser'),
        os: count('os'),
        deviceType: count('deviceType'),
      };
    };
    const stored = this.profiles.get(userId);
    return Promise.resolve({
      ...(stored ? { profile: structuredClone(stored.profile) } : {}),
      profileRevision: stored?.revision ?? 0,
      velocity: {
        userRequests: recent(this.userTimes.get(userId), MINUTE),
        ipRequests: recent(this.ipTimes.get(ip), MINUTE),
        ipDistinctUsers: users.size,
        userFailedStepUps: 0,
        userFailedSignIns: 0,
      },
      global: globalOf(features),
      ...(request.alternativeFeatures ? { globalAlternative: globalOf(request.alternativeFeatures) } : {}),
      ...(request.includePolicy ? { policy: this.policy, shadow: this.shadow } : {}),
    });
  }

  commit(write: DecisionWrite): Promise<'written'> {
    const { record } = write;
    this.records.push(record);
    this.inputs.set(record.decisionId, this.scorer.lastInput!);
    const push = <T>(map: Map<string, T[]>, key: string, value: T) => {
      const list = map.get(key) ?? [];
      list.push(value);
      if (list.length > 200) list.splice(0, 100);
      map.set(key, list);
    };
    push(this.userTimes, record.userId, record.at);
    push(this.ipTimes, record.features.ip, record.at);
    push(this.ipUsers, record.features.ip, { at: record.at, userId: record.userId });
    if (write.profile) {
      const revision = (this.profiles.get(record.userId)?.revision ?? 0) + 1;
      this.profiles.set(record.userId, { profile: write.profile.next, revision });
    }
    if (write.profile?.learned) {
      this.total++;
      for (const [level, value] of Object.entries(globalKeys(record.features))) {
        if (value !== undefined) this.global.set(`${level}#${value}`, (this.global.get(`${level}#${value}`) ?? 0) + 1);
      }
    }
    return Promise.resolve('written');
  }
}

/** A shadow scorer that also remembers the input it was last given (the engine input of the decision). */
export class CapturingShadowScorer extends CachedShadowScorer {
  lastInput?: EvaluationInput;
  override score(input: EvaluationInput) {
    this.lastInput = input;
    return super.score(input);
  }
}

export type TrafficLabel = 'fraud' | 'legit' | undefined;

export interface Recorded {
  readonly store: InMemoryDecisionStore;
  readonly labels: Map<string, 'fraud' | 'legit'>;
  readonly start: number;
  readonly end: number;
}

const ACTIONS: [string, number][] = [
  ['auth.sign_in', 50],
  ['profile.view', 14],
  ['profile.update', 10],
  ['payment.transfer', 14],
  ['data.export', 5],
  ['mfa.change', 4],
  ['admin.production_access', 3],
];

function weighted(rng: Prng): string {
  let r = rng.int(100);
  for (const [name, w] of ACTIONS) if ((r -= w) < 0) return name;
  return 'auth.sign_in';
}

/**
 * `count` decisions of `users` users over a few days, through the real decide handler: familiar logins, second
 * devices, trips, takeovers from abroad on new devices (labelled fraud), credential stuffing from one address
 * (fraud), bots and headless browsers; a tenth of the normal events are labelled legit.
 */
export async function recordTraffic(options: {
  count: number;
  users: number;
  seed: number;
  start: number;
  policy: PolicyRecord;
  shadow?: ShadowCandidate;
}): Promise<Recorded> {
  const rng = new Prng(options.seed);
  const scorer = new CapturingShadowScorer();
  const store = new InMemoryDecisionStore(options.policy, scorer);
  if (options.shadow) store.shadow = options.shadow;
  let clock = options.start;
  let ids = 0;
  const handler = decideHandlerFrom({
    store,
    // Recorded traffic never reports outcomes.
    outcomes: { getDecision: () => Promise.resolve(undefined), recordOutcome: () => Promise.resolve('recorded') },
    failures: { recordFailure: () => Promise.resolve() },
    policies: new PolicyCache(5000),
    fallbackPolicy: options.policy,
    geo: fakeGeo,
    device: fakeDevices,
    clock: () => clock,
    newId: () => `d-${String(++ids).padStart(6, '0')}`,
    pseudonymizer: () => Promise.resolve(new HmacPseudonymizer('recorded-traffic-key-0123456789')),
    shadow: scorer,
  });
  const homes = Array.from({ length: options.users }, (_, u) => ({
    ip: `100.${u % 3}.${u % 200}.${(u * 7) % 250}`,
    device: u % 6,
    deviceId: `dev-${u}`,
  }));
  const labels = new Map<string, 'fraud' | 'legit'>();
  let stuffingLeft = 0;
  const stuffingIp = '100.7.66.6';
  for (let i = 0; i < options.count; i++) {
    clock += 5_000 + rng.int(40_000);
    const u = rng.int(options.users);
    const home = homes[u]!;
    let ip = home.ip;
    let ua = `UA-${home.device}`;
    let deviceId: string | undefined = home.deviceId;
    let label: TrafficLabel;
    const roll = rng.int(1000);
    let userId = `user-${u}@example.com`;
    let action = weighted(rng);
    if (stuffingLeft > 0) {
      stuffingLeft--;
      userId = `user-${rng.int(options.users)}@example.com`;
      ip = stuffingIp;
      ua = 'UA-7';
      deviceId = undefined;
      action = 'auth.sign_in';
      label = 'fraud';
    } else if (roll < 40) {
      // Takeover: the right password from abroad on a new device.
      ip = `100.${4 + rng.int(4)}.${rng.int(250)}.${rng.int(250)}`;
      ua = `UA-${rng.int(6)}-${rng.int(3)}`;
      deviceId = `attacker-${rng.int(20)}`;
      label = 'fraud';
    } else if (roll < 45) {
      stuffingLeft = 25 + rng.int(20);
      label = 'fraud';
      ip = stuffingIp;
    } else if (roll < 60) {
      ua = `UA-${6 + rng.int(2)}`; // headless or CLI
      deviceId = undefined;
    } else if (roll < 120) {
      deviceId = `dev-${u}-b`;
      ua = `UA-${(home.device + 3) % 6}`;
    } else if (roll < 150) {
      ip = `100.${3 + rng.int(3)}.${rng.int(250)}.${rng.int(250)}`; // a trip
    } else if (roll < 170) {
      ip = `10.0.${rng.int(250)}.${rng.int(250)}`;
    } else if (roll < 260) {
      label = 'legit';
    }
    const res = await handler(
      httpEvent(
        'POST /v1/decisions',
        { sub: 'app-client', client_id: 'app-client' },
        {
          body: { userId, action, context: { ip, userAgent: ua, ...(deviceId ? { deviceId } : {}) } },
        },
      ),
      {} as Context,
    );
    if (res.statusCode !== 200) throw new Error(`decision failed: ${res.statusCode} ${String(res.body)}`);
    const decisionId = (JSON.parse(String(res.body)) as { decisionId: string }).decisionId;
    if (label) labels.set(decisionId, label);
  }
  return { store, labels, start: options.start, end: clock };
}

/** Writes the records in their stored form (with feedback labels), 25 per BatchWriteItem, a few in parallel. */
export async function writeRecords(
  dynamo: DynamoDBClient,
  table: string,
  recorded: Recorded,
): Promise<{ maxItemBytes: number; meanItemBytes: number }> {
  const items = recorded.store.records.map((record) => {
    const item: Record<string, AttributeValue> = decisionItem(record, 90);
    const label = recorded.labels.get(record.decisionId);
    if (label) {
      item.feedbackLabel = { S: label };
      item.feedbackBy = { S: 'analyst@example.com' };
      item.feedbackAt = { S: new Date(record.at + 3600_000).toISOString() };
      item.feedbackRevision = { N: '1' };
    }
    return item;
  });
  const sizes = items.map(itemBytes);
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < items.length) {
        const batch = items.slice(next, next + 25);
        next += 25;
        let pending: Record<string, { PutRequest: { Item: Record<string, AttributeValue> } }[]> | undefined = {
          [table]: batch.map((Item) => ({ PutRequest: { Item } })),
        };
        while (pending && Object.keys(pending).length > 0) {
          const out = await dynamo.send(new BatchWriteItemCommand({ RequestItems: pending }));
          pending = out.UnprocessedItems as typeof pending;
        }
      }
    }),
  );
  return {
    maxItemBytes: Math.max(...sizes),
    meanItemBytes: Math.round(sizes.reduce((a, b) => a + b, 0) / sizes.length),
  };
}

/** DynamoDB's item size: attribute names plus values (UTF-8 strings, numbers ~ digits). */
export function itemBytes(item: Record<string, AttributeValue>): number {
  let size = 0;
  for (const [name, value] of Object.entries(item)) {
    size += Buffer.byteLength(name);
    if (value.S !== undefined) size += Buffer.byteLength(value.S);
    else if (value.N !== undefined) size += value.N.length;
    else size += Buffer.byteLength(JSON.stringify(value));
  }
  return size;
}

/** An API Gateway HTTP API (payload 2.0) event with JWT claims, as the gateway hands it to a Lambda. */
export function httpEvent(
  routeKey: string,
  claims: Record<string, string | string[]>,
  options: {
    body?: unknown;
    headers?: Record<string, string>;
    pathParameters?: Record<string, string>;
    query?: Record<string, string>;
  } = {},
): APIGatewayProxyEventV2WithJWTAuthorizer {
  const flat: Record<string, string> = {};
  for (const [k, v] of Object.entries(claims)) flat[k] = Array.isArray(v) ? `[${v.join(' ')}]` : v;
  return {
    version: '2.0',
    routeKey,
    rawPath: routeKey.split(' ')[1] ?? '/',
    rawQueryString: '',
    headers: { 'content-type': 'application/json', ...(options.headers ?? {}) },
    ...(options.query ? { queryStringParameters: options.query } : {}),
    ...(options.pathParameters ? { pathParameters: options.pathParameters } : {}),
    requestContext: {
      requestId: `req-${Math.random().toString(36).slice(2)}`,
      routeKey,
      authorizer: { jwt: { claims: flat, scopes: [] }, principalId: '', integrationLatency: 0 },
    },
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    isBase64Encoded: false,
  } as unknown as APIGatewayProxyEventV2WithJWTAuthorizer;
}
