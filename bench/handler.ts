import {
  BatchGetItemCommand,
  DynamoDBClient,
  TransactWriteItemsCommand,
  UpdateItemCommand,
  type BatchGetItemCommandInput,
  type TransactWriteItem,
  type TransactWriteItemsCommandInput,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import type {
  InitializeHandler,
  InitializeHandlerArguments,
  HandlerExecutionContext,
  MetadataBearer,
} from '@smithy/types';
import { composeDecide } from '../lambdas/composition/decide';
import { localClientConfig } from '../lambdas/local/dynamodb-local';
import type { HttpResult } from '../lambdas/handlers/http/http-handler';
import type { BenchConfig } from './config';
import { requestFor, type BenchRequest, type Population } from './fixtures';
import { formatProfile, profile, summarizeProfile, type ProfileSummary } from './profile';
import { createBenchTables, decisionEvent, lambdaContext, seedStore } from './seed';
import { now, nsToMs, Rng, runQueueWaitPct, SchedProbe, summarize, type Summary } from './stats';
import type { DeviceParser } from '../lambdas/ports/device-parser';
import type { GeoLocator } from '../lambdas/ports/geo-locator';
import type { NetworkLocator } from '../lambdas/ports/network-locator';

/**
 * Section 2: the decide handler in-process (middy, validation, geo + UA, BatchGet and counting, evaluate, learn,
 * transaction) against DynamoDB Local, next to a floor measured in the same run with the same client: the previous
 * decision's own requests replayed bare, its read round trip (one BatchGetItem of exactly the keys it read, beside
 * the velocity UpdateItems that count the request) and then its write round trip (the TransactWriteItems of exactly
 * its items, beside the population UpdateItems it sent). Hot counters stay out of the transaction by design. Also
 * measured: the BatchGet and the transaction alone, without counters. The three alternate one by one, rotating
 * their order, so the shared machine's noise falls on all alike.
 */
export interface HandlerResult {
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly meanMs: number;
  /** The decision's own requests, replayed bare: BatchGet ∥ velocity counters, then TransactWrite ∥ population. */
  readonly floorP50Ms: number;
  readonly floorP99Ms: number;
  /** BatchGet, then the TransactWrite alone: the part of the floor that is not counters. */
  readonly readTransactP50Ms: number;
  readonly readTransactP99Ms: number;
  /** handler p50 / floor p50: the budget (≤ 1.3). */
  readonly ratioToFloor: number;
  readonly ratioToFloorP99: number;
  /** handler p50 / read-and-transaction p50: the counters' share shows as the difference to `ratioToFloor`. */
  readonly ratioToReadTransact: number;
  readonly samples: number;
  readonly non200: number;
  readonly floorErrors: number;
  /** Decisions that left a DynamoDB request in flight, or started one, after the handler returned (must be 0). */
  readonly workAfterResponse: number;
  readonly allow: number;
  readonly stepUp: number;
  readonly deny: number;
  readonly readKeysMean: number;
  readonly transactItemsMean: number;
  readonly counterUpdatesMean: number;
  readonly runQueueWaitPct: number;
  readonly summaries: Readonly<Record<'handler' | 'floor' | 'readTransact', Summary>>;
  readonly profile?: ProfileSummary;
}

/** The DynamoDB requests of the last recorded decision, as the store sent them. */
interface Captured {
  batchGet?: BatchGetItemCommandInput;
  transact?: TransactWriteItemsCommandInput;
  /** Counter updates sent beside the BatchGet (velocity: count and read in one step) … */
  readUpdates: UpdateItemCommandInput[];
  /** … and beside the transaction (population counts of a decision that teaches). */
  writeUpdates: UpdateItemCommandInput[];
}

/**
 * Records the inputs of the commands the handler sends, through the client's middleware stack (so nothing in the
 * decision path is changed for the benchmark).
 */
export class CommandRecorder {
  active = false;
  current: Captured = { readUpdates: [], writeUpdates: [] };
  /** Requests sent and not yet answered, and requests ever sent: evidence for "no work after the response". */
  inFlight = 0;
  started = 0;

  attach(client: DynamoDBClient): void {
    client.middlewareStack.add(
      <Output extends MetadataBearer>(next: InitializeHandler<object, Output>, context: HandlerExecutionContext) =>
        async (args: InitializeHandlerArguments<object>) => {
          if (this.active) this.record(context.commandName ?? '', args.input);
          this.started++;
          this.inFlight++;
          try {
            return await next(args);
          } finally {
            this.inFlight--;
          }
        },
      { step: 'initialize', name: 'stepgateBenchRecorder' },
    );
  }

  start(): void {
    this.current = { readUpdates: [], writeUpdates: [] };
    this.active = true;
  }

  stop(): Captured {
    this.active = false;
    return this.current;
  }

  private record(command: string, input: object): void {
    if (command === 'BatchGetItemCommand') this.current.batchGet ??= input as BatchGetItemCommandInput;
    else if (command === 'TransactWriteItemsCommand') this.current.transact = input as TransactWriteItemsCommandInput;
    else if (command === 'UpdateItemCommand') {
      const into = this.current.transact ? this.current.writeUpdates : this.current.readUpdates;
      into.push(input as UpdateItemCommandInput);
    }
  }
}

/**
 * The decision's transaction, moved to fresh keys so that its conditions (`attribute_not_exists(pk)`, the profile
 * revision) are evaluated and pass: same item count, sizes, tables and condition work, no interference with the
 * handler's own items.
 */
function floorTransaction(input: TransactWriteItemsCommandInput, seq: number): TransactWriteItemsCommandInput {
  const items: TransactWriteItem[] = (input.TransactItems ?? []).map((item) => {
    if (item.Put) {
      const pk = item.Put.Item?.pk?.S ?? 'missing';
      return { Put: { ...item.Put, Item: { ...item.Put.Item, pk: { S: `${pk}#floor${seq}` } } } };
    }
    // Grant consumption (an Update with a revision condition) cannot be replayed on a fresh key; the handler
    // section sends no grants, so this never happens (section 5 covers grants).
    throw new Error('floor replay supports Put items only');
  });
  return { TransactItems: items };
}

function floorUpdate(input: UpdateItemCommandInput): UpdateItemCommandInput {
  const pk = input.Key?.pk?.S ?? 'missing';
  return { ...input, Key: { ...input.Key, pk: { S: `${pk}#floor` } } };
}

function keyCount(input: BatchGetItemCommandInput | undefined): number {
  let n = 0;
  for (const table of Object.values(input?.RequestItems ?? {})) n += table.Keys?.length ?? 0;
  return n;
}

export async function runHandler(
  config: BenchConfig,
  pop: Population,
  endpoint: string,
  deps: { locator: GeoLocator; parser: DeviceParser; network?: NetworkLocator },
  log: (line: string) => void,
): Promise<HandlerResult> {
  // Same client settings as lambdas/wiring/decide.ts where they matter here (retries), pointed at DynamoDB Local.
  const client = new DynamoDBClient({ ...localClientConfig(endpoint), maxAttempts: 2 });
  try {
    const tables = await createBenchTables(client, 'handler');
    await seedStore(client, tables, pop, deps, Date.now());
    const recorder = new CommandRecorder();
    recorder.attach(client);
    const { handler } = composeDecide({
      dynamo: client,
      tables,
      clock: Date.now,
      ...(deps.network ? { network: deps.network } : {}),
    });

    const rng = new Rng(config.seed ^ 0x4a9d);
    let serial = 0;
    const nextRequest = (): BenchRequest => requestFor(rng, rng.pick(pop.users), pop, serial++);
    let last: Captured | undefined;
    let floorSeq = 0;
    let non200 = 0;
    let floorErrors = 0;
    let workAfterResponse = 0;
    const decisions = { allow: 0, step_up: 0, deny: 0 };
    let readKeys = 0;
    let transactItems = 0;
    let counterUpdates = 0;

    const runHandlerOnce = async (record: boolean): Promise<number> => {
      const req = nextRequest();
      const event = decisionEvent(req.body);
      recorder.start();
      const t0 = now();
      const res: HttpResult = await handler(event, lambdaContext);
      const t1 = now();
      const captured = recorder.stop();
      // The response is out: nothing of this decision may still be running or start later (Lambda would freeze it).
      const startedAtReturn = recorder.started;
      if (recorder.inFlight > 0) workAfterResponse++;
      await new Promise((r) => setImmediate(r));
      if (recorder.started !== startedAtReturn) workAfterResponse++;
      if (captured.batchGet && captured.transact) last = captured;
      if (res.statusCode !== 200) non200++;
      else if (record) {
        const decision = (JSON.parse(res.body ?? '{}') as { decision?: keyof typeof decisions }).decision;
        if (decision && decision in decisions) decisions[decision]++;
        readKeys += keyCount(captured.batchGet);
        transactItems += captured.transact?.TransactItems?.length ?? 0;
        counterUpdates += captured.readUpdates.length + captured.writeUpdates.length;
      }
      return nsToMs(t1 - t0);
    };

    const runFloorOnce = async (withCounters: boolean): Promise<number> => {
      const c = last;
      if (!c?.batchGet || !c.transact) throw new Error('floor: no decision recorded yet');
      const seq = floorSeq++;
      const get = new BatchGetItemCommand(c.batchGet);
      const write = new TransactWriteItemsCommand(floorTransaction(c.transact, seq));
      const counters = (list: UpdateItemCommandInput[]) =>
        withCounters ? list.map((u) => new UpdateItemCommand(floorUpdate(u))) : [];
      const readUpdates = counters(c.readUpdates);
      const writeUpdates = counters(c.writeUpdates);
      const t0 = now();
      try {
        await Promise.all([client.send(get), ...readUpdates.map((u) => client.send(u))]);
        await Promise.all([client.send(write), ...writeUpdates.map((u) => client.send(u))]);
      } catch (error) {
        floorErrors++;
        if (floorErrors === 1) log(`  floor request failed: ${(error as Error).message}`);
      }
      return nsToMs(now() - t0);
    };

    for (let i = 0; i < config.handler.warmup; i++) {
      await runHandlerOnce(false);
      await runFloorOnce(true);
      await runFloorOnce(false);
    }

    const probe = new SchedProbe();
    const schedBefore = probe.read();
    const h: number[] = [];
    const f: number[] = [];
    const rt: number[] = [];
    const orders = [
      ['h', 'f', 'r'],
      ['f', 'r', 'h'],
      ['r', 'h', 'f'],
    ] as const;
    for (let i = 0; i < config.handler.samples; i++) {
      for (const step of orders[i % orders.length] ?? orders[0]) {
        if (step === 'h') h.push(await runHandlerOnce(true));
        else if (step === 'f') f.push(await runFloorOnce(true));
        else rt.push(await runFloorOnce(false));
      }
    }
    const schedAfter = probe.read();
    probe.close();

    let profileSummary: ProfileSummary | undefined;
    if (config.profileHandler) {
      const runs = Math.max(200, Math.floor(config.handler.samples / 2));
      const { profile: p } = await profile(async () => {
        for (let i = 0; i < runs; i++) await runHandlerOnce(false);
      });
      profileSummary = summarizeProfile(p, 25);
      log(formatProfile(profileSummary, `  CPU profile of ${runs} handler calls`));
    }

    const hs = summarize(h);
    const fs = summarize(f);
    const rts = summarize(rt);
    const n = Math.max(1, h.length - non200);
    return {
      p50Ms: hs.p50,
      p90Ms: hs.p90,
      p99Ms: hs.p99,
      meanMs: hs.mean,
      floorP50Ms: fs.p50,
      floorP99Ms: fs.p99,
      readTransactP50Ms: rts.p50,
      readTransactP99Ms: rts.p99,
      ratioToFloor: hs.p50 / fs.p50,
      ratioToFloorP99: hs.p99 / fs.p99,
      ratioToReadTransact: hs.p50 / rts.p50,
      samples: h.length,
      non200,
      floorErrors,
      workAfterResponse,
      allow: decisions.allow,
      stepUp: decisions.step_up,
      deny: decisions.deny,
      readKeysMean: readKeys / n,
      transactItemsMean: transactItems / n,
      counterUpdatesMean: counterUpdates / n,
      runQueueWaitPct: runQueueWaitPct(schedBefore, schedAfter),
      summaries: { handler: hs, floor: fs, readTransact: rts },
      ...(profileSummary ? { profile: profileSummary } : {}),
    };
  } finally {
    client.destroy();
  }
}
