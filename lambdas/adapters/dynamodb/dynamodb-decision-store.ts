import {
  TransactWriteItemsCommand,
  UpdateItemCommand,
  type DynamoDBClient,
  type KeysAndAttributes,
  type TransactWriteItem,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import type { RequestFeatures } from '../../core/risk/types';
import type {
  DecisionReadRequest,
  DecisionState,
  DecisionStore,
  DecisionWrite,
  DecisionWriteResult,
  VelocityKeys,
} from '../../ports/decision-store';
import { batchGetAll } from './batch-get';
import { decisionPut } from './items/decision';
import { idempotencyKey, idempotencyPut, replayFromItem } from './items/idempotency';
import { itemKey, keyAttributes, type Item, type ItemKey } from './items/item';
import {
  ACTIVE_SK,
  activePolicyKey,
  policyRecordFromItem,
  shadowCandidateFromItem,
  shadowPolicyKey,
  SHADOW_SK,
} from './items/policy';
import {
  addPopulationCounts,
  globalStats,
  populationKeys,
  populationReadKeys,
  type GlobalKeys,
} from './items/population';
import { profileFromItem, profileKey, profileWrite } from './items/profile';
import { consumeGrantUpdate, newStepUpPut, stepUpFromItem, stepUpKey } from './items/step-up';
import { live } from './items/ttl';
import { countRequestUpdates, velocityCounts, velocityReadKeys } from './items/velocity';
import { NamedTransaction, type Cancellation } from './transaction';
import type { TableNames } from '../../contracts/tables';

/** Extension point for writes that must join the decision's transaction (the audit record). */
export interface TransactionParticipant {
  readonly transactItems: TransactWriteItem[];
  committed(): void;
  /** Settles the participant after a failed transaction (DynamoDbAuditLog's PreparedAppend classifies the error). */
  failedWith(error: unknown): string;
}

/** The entries of a decision's transaction, by what they write. */
export type DecisionEntry = 'decision' | 'idempotency' | 'profile' | 'stepUp' | 'grant' | 'audit';

/**
 * The decision's transaction, assembled in one place from the item codecs: the record, and as the decision needs
 * them its request id, its profile (optimistic lock), its pending step-up and the single-use grant it consumes.
 * The audit record's items join it in `commit`.
 */
export function decisionTransaction(table: string, write: DecisionWrite): NamedTransaction<DecisionEntry> {
  const { record } = write;
  const transaction = new NamedTransaction<DecisionEntry>().add(
    'decision',
    decisionPut(table, record, write.retentionDays),
  );
  if (write.idempotencyKey) {
    transaction.add(
      'idempotency',
      idempotencyPut(table, write.idempotencyKey, {
        decisionId: record.decisionId,
        response: write.response,
        bodyHash: write.bodyHash ?? '',
        // The server's clock: a back-dated context.timestamp must not shorten how long the request id replays.
        at: write.receivedAt ?? record.at,
      }),
    );
  }
  if (write.profile) {
    const { next, expectedRevision } = write.profile;
    transaction.add('profile', profileWrite(table, record.userId, next, expectedRevision, record.at));
  }
  if (write.newStepUp) transaction.add('stepUp', newStepUpPut(table, write.newStepUp));
  if (write.consumeGrant) {
    const { stepUpId, expectedRevision } = write.consumeGrant;
    transaction.add('grant', consumeGrantUpdate(table, stepUpId, expectedRevision));
  }
  return transaction;
}

/** What a cancelled decision transaction means, in this order; undefined when it is none of these (thrown). */
function writeResultOf(cancellation: Cancellation<DecisionEntry>): DecisionWriteResult | undefined {
  const { failed, conflicted } = cancellation;
  if (failed.has('idempotency')) return 'duplicate_request';
  if (failed.has('profile')) return 'profile_changed';
  if (failed.has('grant')) return 'grant_already_used';
  if (failed.has('audit') || conflicted.has('audit')) return 'audit_rejected';
  return undefined;
}

export interface DynamoDbDecisionStoreOptions {
  readonly globalKeys: (features: RequestFeatures) => GlobalKeys;
  /** Builds the audit record's transaction items for a decision (same write round trip). */
  readonly audit?: (write: DecisionWrite) => Promise<TransactionParticipant | undefined>;
  readonly onRoundTrip?: (kind: 'read' | 'write') => void;
}

/**
 * The decision's state in DynamoDB, in two round trips. Read: one BatchGetItem (across the risk and policy tables)
 * and, in parallel, one atomic ADD per velocity item (user, address) that returns the counts as they stood before
 * it (`ReturnValues: UPDATED_OLD`), so concurrent requests count each other. Write: the decision's transaction
 * (`decisionTransaction` plus the audit record) sent in parallel with atomic ADDs on the population counters when
 * the decision teaches. Counters stay out of the transaction on purpose: hot counters (one address during
 * credential stuffing, the global totals) would otherwise make concurrent transactions cancel each other.
 */
export class DynamoDbDecisionStore implements DecisionStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tables: TableNames,
    private readonly options: DynamoDbDecisionStoreOptions,
  ) {}

  async load(request: DecisionReadRequest): Promise<DecisionState> {
    const { userId, features, now, velocityKeys } = request;
    const riskKeys: Record<string, ItemKey> = {
      profile: profileKey(userId),
      ...velocityReadKeys(userId, velocityKeys, now),
      globalTotal: populationKeys.total(),
    };
    const addPopulation = (form: string, of: RequestFeatures) => {
      for (const [level, key] of Object.entries(populationReadKeys(this.options.globalKeys(of)))) {
        riskKeys[`${form}:${level}`] = key;
      }
    };
    addPopulation('global', features);
    if (request.alternativeFeatures) addPopulation('alternative', request.alternativeFeatures);
    if (request.stepUpId) riskKeys.stepUp = stepUpKey(request.stepUpId);
    if (request.idempotencyKey) riskKeys.replay = idempotencyKey(request.idempotencyKey);

    // Started before the BatchGet and awaited after it: one round trip. A failed count (a throttled hot address
    // item) must not fail the decision; its counts then come from the BatchGet's copy of the same item.
    // The request's AS number, remembered as the user's last network: the next request sees it as `previous`. Not
    // the address prefix: it is an identifier whose stored form (raw or pseudonym) may differ between two requests.
    const lastNetwork = this.options.globalKeys(features).asn;
    const counting = request.count ? this.countRequest(userId, velocityKeys, now, lastNetwork) : undefined;
    // Both forms of a request share their coarse levels (country, browser...): BatchGetItem refuses a key twice.
    const distinct = new Map(Object.values(riskKeys).map((key) => [itemKey(key), keyAttributes(key)]));
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
    const read = (name: string) => {
      const key = riskKeys[name];
      return key ? live(found.get(itemKey(key)), now) : undefined;
    };
    const counted = await counting;
    const stored = profileFromItem(read('profile'));
    const stepUpItem = read('stepUp');
    const replay = replayFromItem(read('replay'));
    const population = (form: string) =>
      globalStats((level) => read(level === undefined ? 'globalTotal' : `${form}:${level}`));
    return {
      ...(stored.profile ? { profile: stored.profile } : {}),
      profileRevision: stored.revision,
      velocity: velocityCounts(
        {
          read,
          ...(counted ? { counted } : {}),
          hasNetwork: velocityKeys.network !== undefined,
          ip: velocityKeys.ip,
        },
        now,
      ),
      global: population('global'),
      ...(request.alternativeFeatures ? { globalAlternative: population('alternative') } : {}),
      ...(stepUpItem ? { stepUp: stepUpFromItem(stepUpItem) } : {}),
      ...(replay ? { replay } : {}),
      ...(policyItem ? { policy: policyRecordFromItem(policyItem) } : {}),
      ...(request.includePolicy ? { shadow: shadowCandidateFromItem(shadowItem) } : {}),
    };
  }

  async commit(write: DecisionWrite): Promise<DecisionWriteResult> {
    const own = decisionTransaction(this.tables.risk, write);
    const audit = await this.options.audit?.(write);
    const transaction = audit ? own.with('audit', audit.transactItems) : own;

    this.options.onRoundTrip?.('write');
    const [sent] = await Promise.allSettled([
      this.client.send(new TransactWriteItemsCommand({ TransactItems: transaction.items })),
      this.addPopulationCounts(write),
    ]);
    if (sent.status === 'fulfilled') {
      audit?.committed();
      return 'written';
    }
    const error: unknown = sent.reason;
    audit?.failedWith(error);
    const cancellation = transaction.cancellation(error);
    const result = cancellation ? writeResultOf(cancellation) : undefined;
    if (result === undefined) throw error;
    return result;
  }

  /**
   * Counts one request in its user's and its address's velocity items (velocity.ts), all sent at once; each
   * settles with the item's counted attributes as they were before.
   */
  private async countRequest(userId: string, subjects: VelocityKeys, now: number, lastNetwork: string | undefined) {
    const updates = countRequestUpdates(this.tables.risk, userId, subjects, now, lastNetwork);
    const send = (input: UpdateItemCommandInput) =>
      this.client.send(new UpdateItemCommand(input)).then((out) => out.Attributes);
    const [user, ip, network] = await Promise.allSettled([
      send(updates.user),
      send(updates.ip),
      ...(updates.network ? [send(updates.network)] : []),
    ]);
    return { user, ip, network };
  }

  /** Population counts move only with learning, on the server's clock. */
  private async addPopulationCounts(write: DecisionWrite): Promise<void> {
    if (!write.profile?.learned) return;
    const { record } = write;
    await addPopulationCounts(
      this.client,
      this.tables.risk,
      write.profile.next,
      this.options.globalKeys(record.features),
      write.receivedAt ?? record.at,
      write.profile.previous,
    );
  }
}
