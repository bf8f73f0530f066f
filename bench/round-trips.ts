import { randomUUID } from 'node:crypto';
import {
  BatchWriteItemCommand,
  DynamoDBClient,
  type AttributeValue,
  type BatchGetItemCommandInput,
  type BatchGetItemCommandOutput,
  type ConsumedCapacity,
  type TransactWriteItemsCommandInput,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import type {
  InitializeHandler,
  InitializeHandlerArguments,
  HandlerExecutionContext,
  MetadataBearer,
} from '@smithy/types';
import { defaultPolicy } from '../lambdas/core/policy/default-policy';
import { composeDecide } from '../lambdas/composition/decide';
import { stepUpToItem } from '../lambdas/adapters/dynamodb/items/step-up';
import { TABLE_DEFINITIONS, type IndexDefinition } from '../lambdas/contracts/tables';
import { localClientConfig } from '../lambdas/local/dynamodb-local';
import type { StoredStepUp } from '../lambdas/ports/decision-store';
import type { DeviceParser } from '../lambdas/ports/device-parser';
import type { GeoLocator } from '../lambdas/ports/geo-locator';
import type { NetworkLocator } from '../lambdas/ports/network-locator';
import type { BenchConfig } from './config';
import type { BenchUser, DecisionBody, Population } from './fixtures';
import { createBenchTables, decisionEvent, lambdaContext, seedStore } from './seed';
import { Rng } from './stats';

/**
 * Section 5: what one decision costs DynamoDB. Counted on the client (a middleware sees every command; the store's
 * `onRoundTrip` hook marks the sequential read and write phases) with `ReturnConsumedCapacity: 'TOTAL'` added to
 * each request. DynamoDB Local returns consumed capacity, but it charges nothing for keys that are not found, where
 * DynamoDB in AWS charges a strongly consistent read of a missing item 1 RCU; so capacity is also computed from the
 * item sizes with AWS's rules: reads 1 RCU per 4 KB per key (minimum 1, found or not), transactional writes 2 WCU
 * per 1 KB per item and per GSI the item lands in (by the size of what the index projects), other writes 1 WCU per
 * 1 KB.
 */
export interface ScenarioCost {
  readonly decisions: number;
  readonly decision: string;
  readonly reads: number;
  readonly writes: number;
  readonly batchGets: number;
  readonly transactions: number;
  readonly updateItems: number;
  /** All DynamoDB requests of one decision (BatchGet + transaction + counter UpdateItems). */
  readonly requests: number;
  readonly readKeys: number;
  readonly transactItems: number;
  readonly rcuReturned: number;
  readonly wcuReturned: number;
  readonly rcuComputed: number;
  readonly wcuComputed: number;
}

export interface RoundTripResult {
  /** Worst scenario's mean per decision: the budget is one read and one write round trip. */
  readonly reads: number;
  readonly writes: number;
  readonly requestsMax: number;
  readonly scenarios: Readonly<Record<ScenarioName, ScenarioCost>>;
}

type ScenarioName = 'allowTeaches' | 'stepUp' | 'grant' | 'grantSingleUse' | 'newUser';

/** DynamoDB's item size: attribute names plus values (numbers ~1 byte per two digits + 1). */
export function attributeSize(value: AttributeValue): number {
  if (value.S !== undefined) return Buffer.byteLength(value.S);
  if (value.N !== undefined) return Math.ceil(value.N.replace(/^-|\.|e.*$/gi, '').length / 2) + 1;
  if (value.B !== undefined) return value.B.length;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.SS !== undefined) return value.SS.reduce((n, s) => n + Buffer.byteLength(s), 0);
  if (value.NS !== undefined) return value.NS.reduce((n, s) => n + Math.ceil(s.length / 2) + 1, 0);
  if (value.L !== undefined) return 3 + value.L.reduce((n, v) => n + 1 + attributeSize(v), 0);
  if (value.M !== undefined) return 3 + itemSize(value.M) + Object.keys(value.M).length;
  return 0;
}

export function itemSize(item: Record<string, AttributeValue> | undefined): number {
  let n = 0;
  for (const [name, value] of Object.entries(item ?? {})) n += Buffer.byteLength(name) + attributeSize(value);
  return n;
}

const units = (bytes: number, per: number) => Math.max(1, Math.ceil(bytes / per));

function capacityOf(out: { ConsumedCapacity?: ConsumedCapacity | ConsumedCapacity[] } | undefined): number {
  const c = out?.ConsumedCapacity;
  if (!c) return 0;
  return (Array.isArray(c) ? c : [c]).reduce((n, x) => n + (x.CapacityUnits ?? 0), 0);
}

class CostMeter {
  batchGets = 0;
  transactions = 0;
  updateItems = 0;
  readKeys = 0;
  transactItems = 0;
  rcuReturned = 0;
  wcuReturned = 0;
  rcuComputed = 0;
  wcuComputed = 0;
  /** Sizes of items the scenario seeded, for updates whose old image decides the cost. */
  readonly knownSizes = new Map<string, number>();

  /** Table name → its GSIs (keys and projection, from TABLE_DEFINITIONS). */
  constructor(private readonly indexes: ReadonlyMap<string, readonly IndexDefinition[]>) {}

  /**
   * The 1 KB units written to the table's indexes for a put of `item`: an index holds the item when it carries both
   * of the index's key attributes, as large as the projection makes it (the whole item, or the table and index keys
   * plus the projected attributes).
   */
  private indexUnits(table: string | undefined, item: Record<string, AttributeValue> | undefined): number {
    let n = 0;
    for (const index of this.indexes.get(table ?? '') ?? []) {
      if (!item?.[index.partitionKey] || !item[index.sortKey]) continue;
      const projected =
        index.projectedAttributes === undefined
          ? item
          : Object.fromEntries(
              ['pk', 'sk', index.partitionKey, index.sortKey, ...index.projectedAttributes]
                .filter((name) => item[name] !== undefined)
                .map((name) => [name, item[name]!]),
            );
      n += units(itemSize(projected), 1024);
    }
    return n;
  }

  reset(): void {
    this.batchGets = this.transactions = this.updateItems = this.readKeys = this.transactItems = 0;
    this.rcuReturned = this.wcuReturned = this.rcuComputed = this.wcuComputed = 0;
  }

  attach(client: DynamoDBClient): void {
    client.middlewareStack.add(
      <Output extends MetadataBearer>(next: InitializeHandler<object, Output>, context: HandlerExecutionContext) =>
        async (args: InitializeHandlerArguments<object>) => {
          const input = args.input as Record<string, unknown>;
          input.ReturnConsumedCapacity = 'TOTAL';
          const result = await next(args);
          this.observe(context.commandName ?? '', args.input, result.output);
          return result;
        },
      { step: 'initialize', name: 'stepgateBenchCostMeter' },
    );
  }

  private observe(command: string, input: object, output: MetadataBearer): void {
    const returned = capacityOf(output as { ConsumedCapacity?: ConsumedCapacity[] });
    if (command === 'BatchGetItemCommand') {
      const get = input as BatchGetItemCommandInput;
      const out = output as BatchGetItemCommandOutput;
      this.batchGets++;
      this.rcuReturned += returned;
      for (const [table, request] of Object.entries(get.RequestItems ?? {})) {
        const keys = request.Keys?.length ?? 0;
        const found = out.Responses?.[table] ?? [];
        this.readKeys += keys;
        // Found items by size, every missing key at the 1 RCU minimum of a strongly consistent read.
        for (const item of found) this.rcuComputed += units(itemSize(item), 4096);
        this.rcuComputed += Math.max(0, keys - found.length);
      }
    } else if (command === 'TransactWriteItemsCommand') {
      const tx = input as TransactWriteItemsCommandInput;
      this.transactions++;
      this.wcuReturned += returned;
      for (const item of tx.TransactItems ?? []) {
        this.transactItems++;
        let bytes = 0;
        let indexUnits = 0;
        if (item.Put) {
          bytes = itemSize(item.Put.Item);
          indexUnits = this.indexUnits(item.Put.TableName, item.Put.Item);
        } else if (item.Update) bytes = this.knownSizes.get(item.Update.Key?.pk?.S ?? '') ?? itemSize(item.Update.Key);
        else if (item.Delete) bytes = itemSize(item.Delete.Key);
        else if (item.ConditionCheck) bytes = itemSize(item.ConditionCheck.Key);
        // 2 WCU per KB per item in a transaction; each GSI the item lands in is written too, at the same rate (as
        // DynamoDB Local reports it with ReturnConsumedCapacity INDEXES).
        this.wcuComputed += 2 * (units(bytes, 1024) + indexUnits);
      }
    } else if (command === 'UpdateItemCommand') {
      const u = input as UpdateItemCommandInput;
      this.updateItems++;
      this.wcuReturned += returned;
      // Counter items: key + counter + TTL (+ a few set members): the new image bounds the cost.
      let bytes = itemSize(u.Key) + 'expiresAt'.length + 6;
      for (const v of Object.values(u.ExpressionAttributeValues ?? {})) bytes += attributeSize(v);
      this.wcuComputed += units(bytes, 1024);
    }
  }
}

export async function runRoundTrips(
  config: BenchConfig,
  pop: Population,
  endpoint: string,
  deps: { locator: GeoLocator; parser: DeviceParser; network?: NetworkLocator },
): Promise<RoundTripResult> {
  const client = new DynamoDBClient({ ...localClientConfig(endpoint), maxAttempts: 2 });
  try {
    const tables = await createBenchTables(client, 'rt');
    await seedStore(client, tables, pop, deps, Date.now());
    const indexes = new Map<string, readonly IndexDefinition[]>();
    for (const role of ['risk', 'audit', 'policy'] as const) indexes.set(tables[role], TABLE_DEFINITIONS[role].indexes);
    const meter = new CostMeter(indexes);
    meter.attach(client);
    let reads = 0;
    let writes = 0;
    const { handler } = composeDecide({
      dynamo: client,
      tables,
      clock: Date.now,
      onRoundTrip: (kind) => (kind === 'read' ? reads++ : writes++),
      ...(deps.network ? { network: deps.network } : {}),
    });
    const rng = new Rng(config.seed ^ 0x2b7);
    const established = pop.users.filter((u) => u.profile !== undefined && u.profile.trustedEvents >= 5);
    let userCursor = 0;
    // A different user for every decision: each starts from the same kind of state (no velocity build-up).
    const nextUser = (): BenchUser => established[userCursor++ % established.length] as BenchUser;

    const grant = async (user: BenchUser, action: string, level: 'high' | 'critical'): Promise<string> => {
      const now = Date.now();
      const stepUpId = randomUUID();
      const device = user.devices[0];
      const stepUp: StoredStepUp = {
        stepUpId,
        userId: user.userId,
        action,
        decisionId: randomUUID(),
        acr: defaultPolicy.levels[level].acr,
        methods: [...defaultPolicy.levels[level].methods],
        maxAgeSeconds: defaultPolicy.levels[level].maxAgeSeconds,
        status: 'granted',
        createdAt: now - 60_000,
        expiresAt: now + 9 * 60_000,
        grantedAt: now - 30_000,
        consumed: false,
        features: {
          ip: user.homeIps[0] ?? '198.51.100.1',
          geo: deps.locator.locate(user.homeIps[0] ?? ''),
          device: deps.parser.parse(device?.ua),
        },
        revision: 0,
      };
      const item = stepUpToItem(stepUp);
      meter.knownSizes.set(item.pk?.S ?? '', itemSize(item));
      await client.send(
        new BatchWriteItemCommand({ RequestItems: { [tables.risk]: [{ PutRequest: { Item: item } }] } }),
      );
      return stepUpId;
    };

    const familiar = (user: BenchUser, action: string): DecisionBody => {
      const device = user.devices[0];
      return {
        userId: user.userId,
        action,
        context: { ip: user.homeIps[0] ?? '', userAgent: device?.ua ?? '', deviceId: device?.deviceId ?? 'none' },
      };
    };
    // A phone the user never used, at home: one new-device signal, which steps up a `high` action.
    const newDevice = (user: BenchUser, action: string, serial: number): DecisionBody => ({
      userId: user.userId,
      action,
      context: { ip: user.homeIps[0] ?? '', userAgent: rng.pick(pop.uas.mainstream), deviceId: `bench-new-${serial}` },
    });

    const scenarios: Record<ScenarioName, (i: number) => DecisionBody | Promise<DecisionBody>> = {
      allowTeaches: () => familiar(nextUser(), 'auth.sign_in'),
      stepUp: (i) => newDevice(nextUser(), 'payment.transfer', i),
      grant: async (i) => {
        const user = nextUser();
        return { ...newDevice(user, 'payment.transfer', i), stepUpId: await grant(user, 'payment.transfer', 'high') };
      },
      grantSingleUse: async () => {
        const user = nextUser();
        const body = familiar(user, 'admin.production_access');
        return { ...body, stepUpId: await grant(user, 'admin.production_access', 'critical') };
      },
      newUser: (i) => ({
        userId: `bench-new-user-${i}-${randomUUID().slice(0, 6)}@example.com`,
        action: 'auth.sign_in',
        context: {
          ip: rng.pick(pop.ips.byCountry.get(pop.ips.countries[0] ?? '') ?? ['8.8.8.8']),
          userAgent: rng.pick(pop.uas.mainstream),
        },
      }),
    };

    // One decision first, so the policy cache is warm and no measured read carries the policy items.
    await handler(decisionEvent(familiar(nextUser(), 'profile.view')), lambdaContext);

    const out = {} as Record<ScenarioName, ScenarioCost>;
    let serial = 0;
    for (const [name, make] of Object.entries(scenarios) as [
      ScenarioName,
      (i: number) => DecisionBody | Promise<DecisionBody>,
    ][]) {
      const n = config.roundTrips.perScenario;
      const seen = new Map<string, number>();
      const sum = { reads: 0, writes: 0, b: 0, t: 0, u: 0, keys: 0, items: 0, rr: 0, wr: 0, rc: 0, wc: 0 };
      for (let i = 0; i < n; i++) {
        const body = await make(serial++);
        meter.reset();
        reads = 0;
        writes = 0;
        const res = await handler(decisionEvent(body), lambdaContext);
        if (res.statusCode !== 200)
          throw new Error(`round trips (${name}): decision answered ${res.statusCode}: ${res.body}`);
        const decision = (JSON.parse(res.body ?? '{}') as { decision?: string }).decision ?? '?';
        seen.set(decision, (seen.get(decision) ?? 0) + 1);
        sum.reads += reads;
        sum.writes += writes;
        sum.b += meter.batchGets;
        sum.t += meter.transactions;
        sum.u += meter.updateItems;
        sum.keys += meter.readKeys;
        sum.items += meter.transactItems;
        sum.rr += meter.rcuReturned;
        sum.wr += meter.wcuReturned;
        sum.rc += meter.rcuComputed;
        sum.wc += meter.wcuComputed;
      }
      out[name] = {
        decisions: n,
        decision: [...seen.entries()].map(([d, c]) => `${d}×${c}`).join(' '),
        reads: sum.reads / n,
        writes: sum.writes / n,
        batchGets: sum.b / n,
        transactions: sum.t / n,
        updateItems: sum.u / n,
        requests: (sum.b + sum.t + sum.u) / n,
        readKeys: sum.keys / n,
        transactItems: sum.items / n,
        rcuReturned: sum.rr / n,
        wcuReturned: sum.wr / n,
        rcuComputed: sum.rc / n,
        wcuComputed: sum.wc / n,
      };
    }
    const all = Object.values(out);
    return {
      reads: Math.max(...all.map((s) => s.reads)),
      writes: Math.max(...all.map((s) => s.writes)),
      requestsMax: Math.max(...all.map((s) => s.requests)),
      scenarios: out,
    };
  } finally {
    client.destroy();
  }
}
