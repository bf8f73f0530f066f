import {
  ConditionalCheckFailedException,
  GetItemCommand,
  TransactWriteItemsCommand,
  TransactionCanceledException,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
  type KeysAndAttributes,
  type TransactWriteItem,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { formatIp, parseIp } from '../../core/net/ip';
import type { FailureOrigin } from '../../core/risk/learning';
import type { GlobalStats, RequestFeatures } from '../../core/risk/types';
import type {
  DecisionReadRequest,
  DecisionRecord,
  DecisionState,
  DecisionStore,
  FailureSource,
  DecisionWrite,
  DecisionWriteResult,
  Outcome,
  OutcomeStore,
  StoredDecision,
  StoredStepUp,
  VelocityKeys,
} from '../../ports/decision-store';
import { batchGetAll, itemKey, type Item } from './batch-get';
import type { TableNames } from './table-definitions';
import {
  ACTIVE_SK,
  activePolicyKey,
  policyRecordFromItem,
  shadowCandidateFromItem,
  shadowPolicyKey,
  SHADOW_SK,
} from './dynamodb-policy-store';
import { bucketOf, HOUR, keys, memberId, minuteSlot, MINUTE, slidingCount, TEN_MINUTES } from './risk-keys';
import { populationIncrements, type GlobalKeys, type GlobalLevel } from './population-counts';
import { failedKeyOf, withNotedFailures } from './profile-item';

export type { GlobalKeys, GlobalLevel };

/** Extension point for writes that must join the decision's transaction (the audit record). */
export interface TransactionParticipant {
  readonly transactItems: TransactWriteItem[];
  committed(): void;
  /** Settles the participant after a failed transaction (DynamoDbAuditLog's PreparedAppend classifies the error). */
  failedWith(error: unknown): string;
}

const DAY_SECONDS = 86_400;
const IDEMPOTENCY_TTL_SECONDS = DAY_SECONDS;
/** Pending step-ups live this long past their own expiry so late verifications still find (and reject) them. */
const STEP_UP_GRACE_SECONDS = 3600;

const k = (key: { pk: string; sk: string }): Record<string, AttributeValue> => ({
  pk: { S: key.pk },
  sk: { S: key.sk },
});
const num = (item: Record<string, AttributeValue> | undefined, name: string) => Number(item?.[name]?.N ?? 0);

/** TTL deletes lazily (up to days later), so every read drops items whose expiry has passed. */
function live(item: Record<string, AttributeValue> | undefined, nowSeconds: number) {
  const expiresAt = item?.expiresAt?.N;
  return item && (expiresAt === undefined || Number(expiresAt) > nowSeconds) ? item : undefined;
}

export function stepUpToItem(stepUp: StoredStepUp): Record<string, AttributeValue> {
  const { features, ...rest } = stepUp;
  return {
    ...k(keys.stepUp(stepUp.stepUpId)),
    ...marshall({ ...rest, features: JSON.stringify(features) }, { removeUndefinedValues: true }),
    expiresAt: { N: String(Math.floor(stepUp.expiresAt / 1000) + STEP_UP_GRACE_SECONDS) },
    validUntil: { N: String(stepUp.expiresAt) },
  };
}

export function stepUpFromItem(item: Record<string, AttributeValue>): StoredStepUp {
  const raw = unmarshall(item) as Record<string, unknown>;
  return {
    stepUpId: String(raw.stepUpId),
    userId: String(raw.userId),
    action: String(raw.action),
    decisionId: String(raw.decisionId),
    acr: String(raw.acr),
    methods: Array.isArray(raw.methods) ? raw.methods.map(String) : [],
    maxAgeSeconds: Number(raw.maxAgeSeconds),
    status: raw.status as StoredStepUp['status'],
    createdAt: Number(raw.createdAt),
    expiresAt: Number(raw.validUntil ?? raw.expiresAt),
    ...(raw.grantedAt !== undefined ? { grantedAt: Number(raw.grantedAt) } : {}),
    consumed: raw.consumed === true,
    ...(typeof raw.deviceId === 'string' ? { deviceId: raw.deviceId } : {}),
    ...(typeof raw.sessionId === 'string' ? { sessionId: raw.sessionId } : {}),
    features: JSON.parse(String(raw.features)) as RequestFeatures,
    revision: Number(raw.revision ?? 0),
  };
}

/**
 * The stored form of a decision (item `DECISION#<id>`), indexed by time (byTime) and by user (byUser). Exported
 * so that the layout is defined once: the admin store reads it, and tests seed recorded history with it.
 */
export function decisionItem(record: DecisionRecord, retentionDays: number): Record<string, AttributeValue> {
  const historyTtl = Math.floor(record.at / 1000) + retentionDays * DAY_SECONDS;
  const iso = new Date(record.at).toISOString();
  return {
    ...k(keys.decision(record.decisionId)),
    ...marshall(
      {
        decisionId: record.decisionId,
        userId: record.userId,
        action: record.action,
        at: record.at,
        clientId: record.clientId,
        sessionId: record.sessionId,
        requestId: record.requestId,
        decision: record.evaluation.decision,
        score: record.evaluation.score,
        policyVersion: record.policyVersion,
        stepUpId: record.stepUpId,
        redeemedStepUpId: record.redeemedStepUpId,
        // Kept as JSON so a replay (simulate) sees exactly what the engine saw.
        features: JSON.stringify(record.features),
        evaluation: JSON.stringify(record.evaluation),
        shadow: record.shadow ? JSON.stringify(record.shadow) : undefined,
        // Top-level so a shadow report can filter a run's decisions, and find disagreements, by index.
        shadowRun: record.shadow?.runId,
        shadowDisagree: record.shadow && record.shadow.decision !== record.evaluation.decision ? true : undefined,
        replay: record.replay ? JSON.stringify(record.replay) : undefined,
      },
      { removeUndefinedValues: true },
    ),
    gsi1pk: { S: `EVENTS#${iso.slice(0, 10)}` },
    gsi1sk: { S: `${iso}#${record.decisionId}` },
    gsi2pk: { S: `USER#${record.userId}` },
    gsi2sk: { S: `${iso}#${record.decisionId}` },
    expiresAt: { N: String(historyTtl) },
  };
}

export interface DynamoDbDecisionStoreOptions {
  readonly globalKeys: (features: RequestFeatures) => GlobalKeys;
  /** Builds the audit record's transaction items for a decision (same write round trip). */
  readonly audit?: (write: DecisionWrite) => Promise<TransactionParticipant | undefined>;
  readonly onRoundTrip?: (kind: 'read' | 'write') => void;
}

/**
 * The decision's state in DynamoDB, in two round trips. Read: one BatchGetItem (across the risk and policy tables)
 * and, in parallel, one atomic ADD per velocity item (user, IP) that returns the counts as they stood before it
 * (`ReturnValues: UPDATED_OLD`), so concurrent requests count each other. Write: a TransactWriteItems for the items
 * that must change together (decision, idempotency record, profile, pending step-up, grant consumption, audit
 * record) sent in parallel with atomic ADDs on the population counters when the decision teaches. Counters stay out
 * of the transaction on purpose: hot counters (one IP during credential stuffing, the global totals) would
 * otherwise make concurrent transactions cancel each other.
 */
export class DynamoDbDecisionStore implements DecisionStore, OutcomeStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tables: TableNames,
    private readonly options: DynamoDbDecisionStoreOptions,
  ) {}

  async load(request: DecisionReadRequest): Promise<DecisionState> {
    const { userId, features, now, velocityKeys } = request;
    const { network } = velocityKeys;
    const tenMinutes = bucketOf(now, TEN_MINUTES);
    const hour = bucketOf(now, HOUR);
    const riskKeys: Record<string, Record<string, AttributeValue>> = {
      profile: k(keys.profile(userId)),
      userCur: k(keys.userVelocity(userId, hour)),
      userPrev: k(keys.userVelocity(userId, hour - 1)),
      ipCur: k(keys.ipVelocity(velocityKeys.ip, tenMinutes)),
      ipPrev: k(keys.ipVelocity(velocityKeys.ip, tenMinutes - 1)),
      globalTotal: k(keys.globalTotal()),
    };
    if (network !== undefined) {
      riskKeys.networkCur = k(keys.networkVelocity(network, tenMinutes));
      riskKeys.networkPrev = k(keys.networkVelocity(network, tenMinutes - 1));
    }
    const addGlobals = (form: string, of: RequestFeatures) => {
      for (const [level, value] of Object.entries(this.options.globalKeys(of))) {
        if (value !== undefined) riskKeys[`${form}:${level}`] = k(keys.global(level, value));
      }
    };
    addGlobals('global', features);
    if (request.alternativeFeatures) addGlobals('alternative', request.alternativeFeatures);
    if (request.stepUpId) riskKeys.stepUp = k(keys.stepUp(request.stepUpId));
    if (request.idempotencyKey) riskKeys.replay = k(keys.request(request.idempotencyKey));

    // The request's AS number, remembered as the user's last network: the next request sees it as `previous`. Not
    // the address prefix: it is an identifier whose stored form (raw or pseudonym) may differ between two requests.
    const lastNetwork = this.options.globalKeys(features).asn;
    // Started before the BatchGet and awaited after it: one round trip. A failed count (a throttled hot IP item)
    // must not fail the decision; its counts then come from the BatchGet's copy of the same item.
    const counting = request.count
      ? Promise.allSettled(this.countRequest(userId, velocityKeys, now, lastNetwork))
      : undefined;
    // Both forms of a request share their coarse levels (country, browser...): BatchGetItem refuses a key twice.
    const distinct = new Map(Object.values(riskKeys).map((key) => [itemKey(key), key]));
    const requestItems: Record<string, KeysAndAttributes> = {
      [this.tables.risk]: { Keys: [...distinct.values()], ConsistentRead: true },
      ...(request.includePolicy
        ? { [this.tables.policy]: { Keys: [activePolicyKey, shadowPolicyKey], ConsistentRead: true } }
        : {}),
    };
    let responses: Map<string, Item[]>;
    try {
      responses = await batchGetAll(this.client, requestItems, () => this.options.onRoundTrip?.('read'));
    } finally {
      // Never leave a counting update running past the answer (a Lambda would freeze it mid-flight).
      await counting;
    }
    const found = new Map<string, Item>();
    for (const item of responses.get(this.tables.risk) ?? []) found.set(itemKey(item), item);
    let policyItem: Item | undefined;
    let shadowItem: Item | undefined;
    for (const item of responses.get(this.tables.policy) ?? []) {
      if (item.sk?.S === ACTIVE_SK) policyItem = item;
      else if (item.sk?.S === SHADOW_SK) shadowItem = item;
    }
    const [userCount, ipCount, networkCount] = (await counting) ?? [];
    const nowSeconds = Math.floor(now / 1000);
    const get = (name: string) => {
      const key = riskKeys[name];
      return key ? live(found.get(itemKey(key)), nowSeconds) : undefined;
    };
    // What this request's own counting update saw before it changed the current bucket (the minute's count, the
    // IP's user set); the BatchGet's copy of the item when the update failed or this read does not count.
    const current = {
      user: userCount?.status === 'fulfilled' ? userCount.value : get('userCur'),
      ip: ipCount?.status === 'fulfilled' ? ipCount.value : get('ipCur'),
      network: networkCount?.status === 'fulfilled' ? networkCount.value : get('networkCur'),
    };
    const profileItem = get('profile');
    const stepUpItem = get('stepUp');
    const replayItem = get('replay');
    const globalStats = (form: string): GlobalStats => {
      const count = (level: GlobalLevel) => num(get(`${form}:${level}`), 'n');
      return {
        total: num(get('globalTotal'), 'n'),
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
    // This minute's count comes from the current bucket as counted; the previous minute (in the current or the
    // previous bucket) is no longer written, so the BatchGet's copy is exact.
    const minuteCount = (subject: 'user' | 'ip' | 'network', at: number) => {
      const width = subject === 'user' ? HOUR : TEN_MINUTES;
      const slot = minuteSlot(at, width);
      if (slot.bucket !== bucketOf(now, width)) return num(get(`${subject}Prev`), slot.attribute);
      return num(at === now ? current[subject] : get(`${subject}Cur`), slot.attribute);
    };
    const users = (item: Record<string, AttributeValue> | undefined) => item?.users?.SS ?? [];
    // The user's previous request: what this request's counting update replaced (or, when this read does not count,
    // the current hour's copy), else the previous hour's; never older than an hour.
    const lastRequest = (item: Record<string, AttributeValue> | undefined) => {
      const at = Number(item?.lastAt?.N);
      const net = item?.lastNet?.S;
      return Number.isFinite(at) && net !== undefined && at >= now - HOUR ? { at, network: net } : undefined;
    };
    const previous = lastRequest(current.user) ?? lastRequest(get('userPrev'));
    const member = memberId(velocityKeys.ip);
    const failedFromIp = [get('userCur'), get('userPrev')].some((item) => item?.failIps?.SS?.includes(member));
    const ipFailed = slidingCount(num(get('ipCur'), 'fails'), num(get('ipPrev'), 'fails'), now, TEN_MINUTES);
    const profile = profileItem?.profile?.S ? withNotedFailures(profileItem) : undefined;
    return {
      ...(profile ? { profile } : {}),
      profileRevision: num(profileItem, 'revision'),
      velocity: {
        userRequests: slidingCount(minuteCount('user', now), minuteCount('user', now - MINUTE), now, MINUTE),
        ipRequests: slidingCount(minuteCount('ip', now), minuteCount('ip', now - MINUTE), now, MINUTE),
        ipDistinctUsers: new Set([...users(current.ip), ...users(get('ipPrev'))]).size,
        // Failures are not among the counting update's returned attributes: the BatchGet's copy has them.
        userFailedStepUps: slidingCount(num(get('userCur'), 'stepUps'), num(get('userPrev'), 'stepUps'), now, HOUR),
        userFailedSignIns: slidingCount(num(get('userCur'), 'signIns'), num(get('userPrev'), 'signIns'), now, HOUR),
        ...(ipFailed > 0 ? { ipFailedSignIns: ipFailed } : {}),
        ...(failedFromIp ? { failedSignInFromIp: true } : {}),
        ...(previous ? { previous } : {}),
        ...(network !== undefined
          ? {
              networkRequests: slidingCount(
                minuteCount('network', now),
                minuteCount('network', now - MINUTE),
                now,
                MINUTE,
              ),
              networkDistinctUsers: new Set([...users(current.network), ...users(get('networkPrev'))]).size,
            }
          : {}),
      },
      global: globalStats('global'),
      ...(request.alternativeFeatures ? { globalAlternative: globalStats('alternative') } : {}),
      ...(stepUpItem ? { stepUp: stepUpFromItem(stepUpItem) } : {}),
      ...(replayItem?.response?.S
        ? {
            replay: {
              decisionId: replayItem.decisionId?.S ?? '',
              response: JSON.parse(replayItem.response.S) as unknown,
              bodyHash: replayItem.bodyHash?.S ?? '',
            },
          }
        : {}),
      ...(policyItem ? { policy: policyRecordFromItem(policyItem) } : {}),
      ...(request.includePolicy ? { shadow: shadowCandidateFromItem(shadowItem) } : {}),
    };
  }

  async commit(write: DecisionWrite): Promise<DecisionWriteResult> {
    const { record } = write;
    const nowSeconds = Math.floor(record.at / 1000);
    const items: TransactWriteItem[] = [
      {
        Put: {
          TableName: this.tables.risk,
          Item: decisionItem(record, write.retentionDays),
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
    ];
    if (write.idempotencyKey) {
      items.push({
        Put: {
          TableName: this.tables.risk,
          Item: {
            ...k(keys.request(write.idempotencyKey)),
            decisionId: { S: record.decisionId },
            response: { S: JSON.stringify(write.response) },
            bodyHash: { S: write.bodyHash ?? '' },
            expiresAt: { N: String(nowSeconds + IDEMPOTENCY_TTL_SECONDS) },
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      });
    }
    if (write.profile) {
      items.push({
        Put: {
          TableName: this.tables.risk,
          Item: {
            ...k(keys.profile(record.userId)),
            profile: { S: JSON.stringify(write.profile.next) },
            revision: { N: String(write.profile.expectedRevision + 1) },
            updatedAt: { N: String(record.at) },
          },
          ConditionExpression: 'attribute_not_exists(pk) OR revision = :rev',
          ExpressionAttributeValues: { ':rev': { N: String(write.profile.expectedRevision) } },
        },
      });
    }
    if (write.newStepUp) {
      items.push({
        Put: {
          TableName: this.tables.risk,
          Item: stepUpToItem(write.newStepUp),
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      });
    }
    if (write.consumeGrant) {
      items.push({
        Update: {
          TableName: this.tables.risk,
          Key: k(keys.stepUp(write.consumeGrant.stepUpId)),
          // `consumed` is a DynamoDB reserved word: it must go through a name placeholder.
          UpdateExpression: 'SET #consumed = :true, revision = revision + :one',
          ConditionExpression: '#consumed = :false AND revision = :rev',
          ExpressionAttributeNames: { '#consumed': 'consumed' },
          ExpressionAttributeValues: {
            ':true': { BOOL: true },
            ':false': { BOOL: false },
            ':one': { N: '1' },
            ':rev': { N: String(write.consumeGrant.expectedRevision) },
          },
        },
      });
    }
    const audit = await this.options.audit?.(write);
    const auditFrom = items.length;
    if (audit) items.push(...audit.transactItems);

    this.options.onRoundTrip?.('write');
    const [transaction] = await Promise.allSettled([
      this.client.send(new TransactWriteItemsCommand({ TransactItems: items })),
      this.bumpCounters(write),
    ]);
    if (transaction.status === 'fulfilled') {
      audit?.committed();
      return 'written';
    }
    const error: unknown = transaction.reason;
    audit?.failedWith(error);
    if (error instanceof TransactionCanceledException) {
      const reasons = error.CancellationReasons ?? [];
      const failedAt = (i: number) => reasons[i]?.Code === 'ConditionalCheckFailed';
      let i = 1;
      if (write.idempotencyKey && failedAt(i++)) return 'duplicate_request';
      if (write.profile && failedAt(i++)) return 'profile_changed';
      if (write.newStepUp) i++;
      if (write.consumeGrant && failedAt(i)) return 'grant_already_used';
      const auditCodes = reasons.slice(auditFrom).map((r) => r.Code ?? 'None');
      if (audit && auditCodes.some((code) => code === 'ConditionalCheckFailed' || code === 'TransactionConflict')) {
        return 'audit_rejected';
      }
      throw error;
    }
    throw error;
  }

  async getDecision(decisionId: string): Promise<StoredDecision | undefined> {
    const out = await this.client.send(
      new GetItemCommand({ TableName: this.tables.risk, Key: k(keys.decision(decisionId)), ConsistentRead: true }),
    );
    if (!out.Item) return undefined;
    const raw = unmarshall(out.Item) as Record<string, unknown>;
    return {
      decisionId,
      userId: String(raw.userId),
      action: String(raw.action),
      clientId: String(raw.clientId),
      decision: String(raw.decision),
      at: Number(raw.at),
      ...(typeof raw.outcome === 'string' ? { outcome: raw.outcome as Outcome } : {}),
      ...(typeof raw.features === 'string' ? originOf(raw.features, this.options.globalKeys) : {}),
    };
  }

  async recordOutcome(decisionId: string, outcome: Outcome, now: number): Promise<'recorded' | 'same' | 'conflict'> {
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tables.risk,
          Key: k(keys.decision(decisionId)),
          UpdateExpression: 'SET outcome = :o, outcomeAt = :t',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(outcome)',
          ExpressionAttributeValues: { ':o': { S: outcome }, ':t': { N: String(now) } },
        }),
      );
      return 'recorded';
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const existing = await this.getDecision(decisionId);
      return existing?.outcome === outcome ? 'same' : 'conflict';
    }
  }

  /**
   * Counts a failed sign-in (reported outcome) or a failed step-up verification against the user's hourly budget.
   * With the request's IP, a failed sign-in is also counted for that IP (any user: credential stuffing) and noted
   * in the user's hour as coming from it (a success from the same unfamiliar address soon after weighs more). The
   * failure (time, and the hashed address and network it came from) goes on the profile item: the next decision
   * folds it into the document (`withNotedFailures`), so a pending address or network a failure came from is
   * never confirmed by repetition. The profile's revision moves with it: a decision that read the profile before
   * has to read it again, and its write cannot drop the note.
   */
  async recordFailure(userId: string, kind: 'signIns' | 'stepUps', now: number, origin?: FailureSource): Promise<void> {
    const nowSeconds = Math.floor(now / 1000);
    const address = origin?.ip === undefined ? undefined : canonicalIp(origin.ip);
    const counterIp = origin?.counterIp;
    const failedKeys = [
      ...(address ? [failedKeyOf('ip', address)] : []),
      ...(origin?.network ? [failedKeyOf('net', origin.network)] : []),
    ];
    const updates: Promise<unknown>[] = [
      this.client.send(
        new UpdateItemCommand({
          TableName: this.tables.risk,
          Key: k(keys.userVelocity(userId, bucketOf(now, HOUR))),
          UpdateExpression: `ADD #kind :one${counterIp ? ', failIps :member' : ''} SET expiresAt = :ttl`,
          ExpressionAttributeNames: { '#kind': kind },
          ExpressionAttributeValues: {
            ':one': { N: '1' },
            ':ttl': { N: String(nowSeconds + 3 * 3600) },
            ...(counterIp ? { ':member': { SS: [memberId(counterIp)] } } : {}),
          },
        }),
      ),
      this.client
        .send(
          new UpdateItemCommand({
            TableName: this.tables.risk,
            Key: k(keys.profile(userId)),
            UpdateExpression: `SET lastFailureAt = :now ADD revision :one${failedKeys.length > 0 ? ', failedKeys :keys' : ''}`,
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeValues: {
              ':now': { N: String(now) },
              ':one': { N: '1' },
              ...(failedKeys.length > 0 ? { ':keys': { SS: failedKeys } } : {}),
            },
          }),
        )
        .catch((error: unknown) => {
          // No profile yet: nothing learned that a failure could hold back.
          if (!(error instanceof ConditionalCheckFailedException)) throw error;
        }),
    ];
    if (counterIp && kind === 'signIns') {
      updates.push(
        this.client.send(
          new UpdateItemCommand({
            TableName: this.tables.risk,
            Key: k(keys.ipVelocity(counterIp, bucketOf(now, TEN_MINUTES))),
            UpdateExpression: 'ADD fails :one SET expiresAt = :ttl',
            ExpressionAttributeValues: { ':one': { N: '1' }, ':ttl': { N: String(nowSeconds + 30 * 60) } },
          }),
        ),
      );
    }
    await Promise.all(updates);
  }

  /**
   * Counts one request in its user's hour item and its IP's ten-minute item (and its IPv6 /64's: the one extra
   * update an IPv6 request costs). Each update returns the attributes it changed as they were before
   * (`UPDATED_OLD`): this minute's count, and the address's user set. Counters live on the server clock: a client's
   * back-dated context.timestamp must not put its requests in buckets nobody reads.
   */
  private countRequest(
    userId: string,
    subjects: VelocityKeys,
    now: number,
    lastNetwork: string | undefined,
  ): Promise<Record<string, AttributeValue> | undefined>[] {
    const nowSeconds = Math.floor(now / 1000);
    const user = minuteSlot(now, HOUR);
    const address = minuteSlot(now, TEN_MINUTES);
    const countAddress = (key: { pk: string; sk: string }) =>
      this.client
        .send(
          new UpdateItemCommand({
            TableName: this.tables.risk,
            Key: k(key),
            UpdateExpression: 'ADD #minute :one, #users :member SET expiresAt = :ttl',
            ExpressionAttributeNames: { '#minute': address.attribute, '#users': 'users' },
            ExpressionAttributeValues: {
              ':one': { N: '1' },
              ':member': { SS: [memberId(userId)] },
              ':ttl': { N: String(nowSeconds + 30 * 60) },
            },
            ReturnValues: 'UPDATED_OLD',
          }),
        )
        .then((out) => out.Attributes);
    return [
      this.client
        .send(
          new UpdateItemCommand({
            TableName: this.tables.risk,
            Key: k(keys.userVelocity(userId, user.bucket)),
            // The user's last request (time and network) is replaced here; UPDATED_OLD hands back the one before.
            UpdateExpression: `ADD #minute :one SET expiresAt = :ttl${lastNetwork ? ', lastAt = :now, lastNet = :net' : ''}`,
            ExpressionAttributeNames: { '#minute': user.attribute },
            // Read as the previous hour for another hour, then gone.
            ExpressionAttributeValues: {
              ':one': { N: '1' },
              ':ttl': { N: String(nowSeconds + 3 * 3600) },
              ...(lastNetwork ? { ':now': { N: String(now) }, ':net': { S: lastNetwork } } : {}),
            },
            ReturnValues: 'UPDATED_OLD',
          }),
        )
        .then((out) => out.Attributes),
      countAddress(keys.ipVelocity(subjects.ip, address.bucket)),
      ...(subjects.network !== undefined ? [countAddress(keys.networkVelocity(subjects.network, address.bucket))] : []),
    ];
  }

  /** Atomic ADDs on the population counts when the decision teaches new values: see the class comment. */
  private async bumpCounters(write: DecisionWrite): Promise<void> {
    if (!write.profile?.learned) return;
    const { record } = write;
    const nowSeconds = Math.floor((write.receivedAt ?? record.at) / 1000);
    const levels = this.options.globalKeys(record.features);
    const updates = populationIncrements(write.profile.next, levels, write.profile.previous ?? null).map((key) =>
      this.client.send(
        new UpdateItemCommand({
          TableName: this.tables.risk,
          Key: k(key),
          UpdateExpression: 'ADD n :one SET expiresAt = :ttl',
          ExpressionAttributeValues: { ':one': { N: '1' }, ':ttl': { N: String(nowSeconds + 400 * DAY_SECONDS) } },
        }),
      ),
    );
    await Promise.all(updates);
  }
}

/** An address in the canonical text the profile keys use; anything else (a pseudonym) as it is. */
function canonicalIp(text: string): string {
  const parsed = parseIp(text);
  return parsed ? formatIp(parsed) : text;
}

/** The client IP and network of a stored decision's features, if they can be read. */
function originOf(featuresJson: string, globalKeys: (f: RequestFeatures) => GlobalKeys): { origin?: FailureOrigin } {
  try {
    const features = JSON.parse(featuresJson) as RequestFeatures;
    if (typeof features.ip !== 'string') return {};
    const levels = globalKeys(features);
    const network = levels.asn ?? levels.prefix;
    return { origin: { ip: features.ip, ...(network !== undefined ? { network } : {}) } };
  } catch {
    return {};
  }
}

export function globalStatsZero(): GlobalStats {
  return { total: 0, ip: 0, prefix: 0, asn: 0, country: 0, ua: 0, browser: 0, os: 0, deviceType: 0 };
}
