import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import {
  ConditionalCheckFailedException,
  GetItemCommand,
  PutItemCommand,
  TransactWriteItemsCommand,
  TransactionCanceledException,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
  type TransactWriteItem,
} from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import {
  assessAttempt,
  assessResend,
  EMPTY_USER_FAILURE_BUDGET,
  isStepUpMethod,
  MAX_RESENDS_PER_STEP_UP,
  MAX_TRIES_PER_CHALLENGE,
  RESEND_MIN_INTERVAL_MS,
  USER_FAILURE_BUDGET,
  type ResendAssessment,
  type UserFailureBudgetState,
} from '../../core/step-up/challenge-policy';
import type { RequestFeatures, UserProfile } from '../../core/risk/types';
import type {
  AttemptResult,
  AuthenticatorStore,
  ChallengeStore,
  EnrolmentAuthorisation,
  GrantInput,
  GrantRedemption,
  LearningResult,
  SessionApproval,
  SessionApprovalStore,
  PendingTotp,
  StartEnrolmentResult,
  StepUpGrantStore,
  StepUpRecord,
  StoredChallenge,
  TotpEnrollment,
} from '../../ports/challenge-store';
import type { AuditEvent } from '../../core/audit/audit-event';
import { auditedTransaction, type AuditPreparer } from './audited-transaction';
import { withNotedFailures } from './profile-item';
import { populationIncrements, type GlobalKeys } from './population-counts';
import { stepUpFromItem } from './dynamodb-decision-store';
import { bucketOf, HOUR, keys } from './risk-keys';
import { stepUpKeys } from './step-up-keys';
import type { TableNames } from './table-definitions';

type Key = { pk: string; sk: string };
type Item = Record<string, AttributeValue>;

const k = (key: Key): Item => ({ pk: { S: key.pk }, sk: { S: key.sk } });
const n = (value: number): AttributeValue => ({ N: String(value) });
const s = (value: string): AttributeValue => ({ S: value });
const seconds = (ms: number) => Math.floor(ms / 1000);

/** Used and expired challenges stay readable this long (for investigations) before TTL removes them. */
const CHALLENGE_RETENTION_SECONDS = 24 * 3600;
const VELOCITY_TTL_SECONDS = 3 * 3600;
/** A removed authenticator's item (its secret already erased) stays this long for investigations. */
const REMOVED_TOTP_RETENTION_SECONDS = 30 * 86_400;
const GLOBAL_COUNT_TTL_SECONDS = 400 * 86_400;
/** Approvals are read within seconds of being written; kept a little longer for investigations. */
const APPROVAL_RETENTION_SECONDS = 3600;
/** Rounds of the two-step budget update before giving up (each round loses only to a concurrent writer). */
const BUDGET_UPDATE_ROUNDS = 4;

/** Encrypts small secrets (TOTP seeds) before they are stored; `context` binds a sealed value to its owner. */
export interface SecretSealer {
  seal(plain: string, context: string): Promise<string>;
  /** Undefined for anything that does not open with this key and context (tampered, moved, other key). */
  open(sealed: string, context: string): Promise<string | undefined>;
}

/**
 * AES-256-GCM with a key derived (HKDF-SHA256) from the application's OTP pepper. DynamoDB already encrypts at
 * rest; this keeps TOTP seeds unreadable to anyone who can read the table (exports, backups, a console user) but
 * not the secret, and the AAD stops a sealed seed from being copied to another user's item.
 */
export class AesGcmSealer implements SecretSealer {
  constructor(
    private readonly keyMaterial: () => Promise<string | Uint8Array>,
    private readonly purpose = 'stepgate/totp-secret/v1',
  ) {}

  private async key(): Promise<Buffer> {
    const ikm = await this.keyMaterial();
    if (ikm.length < 16) throw new Error('sealing key material is shorter than 16 bytes');
    return Buffer.from(hkdfSync('sha256', ikm, 'stepgate', this.purpose, 32));
  }

  async seal(plain: string, context: string): Promise<string> {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', await this.key(), iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return ['v1', iv, body, cipher.getAuthTag()]
      .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
      .join('.');
  }

  async open(sealed: string, context: string): Promise<string | undefined> {
    const [version, iv, body, tag] = sealed.split('.');
    if (version !== 'v1' || !iv || body === undefined || !tag) return undefined;
    try {
      const decipher = createDecipheriv('aes-256-gcm', await this.key(), Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      return undefined;
    }
  }
}

export interface DynamoDbChallengeStoreOptions {
  readonly sealer: SecretSealer;
  /** Population keys bumped when a passed step-up teaches a profile (the decision store does the same on allow). */
  readonly globalKeys?: (features: RequestFeatures) => GlobalKeys;
  /** Audit records that must commit together with the change they describe (changes of authenticators). */
  readonly audit?: AuditPreparer;
}

function isConditionFailure(error: unknown): boolean {
  return error instanceof ConditionalCheckFailedException;
}

function cancellationCodes(error: unknown): (string | undefined)[] | undefined {
  if (!(error instanceof TransactionCanceledException)) return undefined;
  return (error.CancellationReasons ?? []).map((reason) => reason.Code);
}

function challengeFromItem(item: Item): StoredChallenge | undefined {
  const raw = unmarshall(item) as Record<string, unknown>;
  if (!isStepUpMethod(raw.method)) return undefined;
  const challenge: StoredChallenge = {
    challengeId: String(raw.challengeId),
    userId: String(raw.userId),
    subjectId: String(raw.subjectId),
    stepUpId: String(raw.stepUpId),
    method: raw.method,
    destination: typeof raw.destination === 'string' ? raw.destination : '***',
    createdAt: Number(raw.createdAt),
    expiresAt: Number(raw.validUntil),
    tries: Number(raw.tries),
    ...(typeof raw.codeHash === 'string' ? { codeHash: raw.codeHash } : {}),
    ...(raw.usedAt !== undefined ? { usedAt: Number(raw.usedAt) } : {}),
  };
  return challenge;
}

function stepUpRecordFromItem(item: Item): StepUpRecord {
  const base = stepUpFromItem(item);
  const raw = unmarshall(item) as Record<string, unknown>;
  const num = (name: string) => {
    const value = raw[name];
    return typeof value === 'number' ? value : undefined;
  };
  const lastSentAt = num('lastSentAt');
  const claimsIssuedAt = num('claimsIssuedAt');
  const learnedAt = num('learnedAt');
  const changeRedeemedAt = num('changeRedeemedAt');
  return {
    ...base,
    resends: num('resends') ?? 0,
    ...(lastSentAt !== undefined ? { lastSentAt } : {}),
    ...(typeof raw.lastChallengeId === 'string' ? { lastChallengeId: raw.lastChallengeId } : {}),
    ...(isStepUpMethod(raw.grantedMethod) ? { grantedMethod: raw.grantedMethod } : {}),
    ...(typeof raw.grantedChallengeId === 'string' ? { grantedChallengeId: raw.grantedChallengeId } : {}),
    ...(claimsIssuedAt !== undefined ? { claimsIssuedAt } : {}),
    ...(learnedAt !== undefined ? { learnedAt } : {}),
    ...(changeRedeemedAt !== undefined ? { changeRedeemedAt } : {}),
  };
}

/** TTL deletes lazily, so an item past its `expiresAt` (epoch seconds) is treated as gone. */
function live(item: Item | undefined, now: number): Item | undefined {
  const ttl = item?.expiresAt?.N;
  return item && (ttl === undefined || Number(ttl) > seconds(now)) ? item : undefined;
}

/**
 * The step-up ceremony's state in the risk table. Every limit of challenge-policy.ts is a DynamoDB condition here,
 * evaluated by DynamoDB at write time, so no read-then-write race can exceed it.
 */
function approvalFromItem(item: Item): SessionApproval | undefined {
  const raw = unmarshall(item) as Record<string, unknown>;
  if ((raw.kind !== 'sign_in' && raw.kind !== 'step_up') || typeof raw.id !== 'string') return undefined;
  if (typeof raw.userName !== 'string' || typeof raw.approvedAt !== 'number') return undefined;
  return {
    kind: raw.kind,
    id: raw.id,
    userName: raw.userName,
    passwordVerified: raw.passwordVerified === true,
    approvedAt: raw.approvedAt,
    ...(typeof raw.stepUpId === 'string' ? { stepUpId: raw.stepUpId } : {}),
    ...(typeof raw.tokensIssuedAt === 'number' ? { tokensIssuedAt: raw.tokensIssuedAt } : {}),
  };
}

export class DynamoDbChallengeStore
  implements ChallengeStore, StepUpGrantStore, AuthenticatorStore, SessionApprovalStore
{
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tables: Pick<TableNames, 'risk'>,
    private readonly options: DynamoDbChallengeStoreOptions,
  ) {}

  private get table(): string {
    return this.tables.risk;
  }

  private async get(key: Key): Promise<Item | undefined> {
    const out = await this.client.send(
      new GetItemCommand({ TableName: this.table, Key: k(key), ConsistentRead: true }),
    );
    return out.Item;
  }

  /** An UpdateItem whose failed condition means "no" rather than an error; ALL_NEW on success. */
  private async conditionalUpdate(input: {
    key: Key;
    update: string;
    condition: string;
    values: Item;
    names?: Record<string, string>;
  }): Promise<Item | undefined> {
    try {
      const out = await this.client.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: k(input.key),
          UpdateExpression: input.update,
          ConditionExpression: input.condition,
          ExpressionAttributeValues: input.values,
          ...(input.names ? { ExpressionAttributeNames: input.names } : {}),
          ReturnValues: 'ALL_NEW',
        }),
      );
      return out.Attributes ?? {};
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }

  // ---- challenges -------------------------------------------------------------------------------------------

  async putChallenge(challenge: StoredChallenge): Promise<void> {
    const item: Item = {
      ...k(stepUpKeys.challenge(challenge.challengeId)),
      challengeId: s(challenge.challengeId),
      userId: s(challenge.userId),
      subjectId: s(challenge.subjectId),
      stepUpId: s(challenge.stepUpId),
      method: s(challenge.method),
      destination: s(challenge.destination),
      createdAt: n(challenge.createdAt),
      validUntil: n(challenge.expiresAt),
      tries: n(challenge.tries),
      expiresAt: n(seconds(challenge.expiresAt) + CHALLENGE_RETENTION_SECONDS),
    };
    if (challenge.codeHash !== undefined) item.codeHash = s(challenge.codeHash);
    await this.client.send(
      new PutItemCommand({ TableName: this.table, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }),
    );
  }

  async getChallenge(challengeId: string): Promise<StoredChallenge | undefined> {
    const item = await this.get(stepUpKeys.challenge(challengeId));
    return item ? challengeFromItem(item) : undefined;
  }

  async beginAttempt(challengeId: string, userId: string, now: number): Promise<AttemptResult> {
    const challengeKey = k(stepUpKeys.challenge(challengeId));
    try {
      await this.client.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            {
              Update: {
                TableName: this.table,
                Key: challengeKey,
                UpdateExpression: 'SET tries = tries + :one',
                ConditionExpression:
                  'attribute_exists(pk) AND userId = :uid AND attribute_not_exists(usedAt) AND validUntil > :now AND tries < :maxTries',
                ExpressionAttributeValues: {
                  ':one': n(1),
                  ':uid': s(userId),
                  ':now': n(now),
                  ':maxTries': n(MAX_TRIES_PER_CHALLENGE),
                },
              },
            },
            {
              // A missing budget item has no windowStartedAt, so a user who never failed passes.
              ConditionCheck: {
                TableName: this.table,
                Key: k(stepUpKeys.failureBudget(userId)),
                ConditionExpression:
                  'attribute_not_exists(windowStartedAt) OR windowStartedAt <= :windowEdge OR failures < :maxFailures',
                ExpressionAttributeValues: {
                  ':windowEdge': n(now - USER_FAILURE_BUDGET.windowMs),
                  ':maxFailures': n(USER_FAILURE_BUDGET.maxFailures),
                },
              },
            },
          ],
        }),
      );
    } catch (error) {
      const codes = cancellationCodes(error);
      if (!codes) throw error;
      if (codes[0] === 'ConditionalCheckFailed') {
        const current = await this.getChallenge(challengeId);
        if (!current) return { ok: false, reason: 'not_found' };
        if (current.userId !== userId) return { ok: false, reason: 'wrong_user' };
        const assessment = assessAttempt(current, EMPTY_USER_FAILURE_BUDGET, now);
        return { ok: false, reason: assessment.allowed ? 'busy' : assessment.reason };
      }
      if (codes[1] === 'ConditionalCheckFailed') return { ok: false, reason: 'user_locked' };
      if (codes.includes('TransactionConflict')) return { ok: false, reason: 'busy' };
      throw error;
    }
    // The try is counted; now read what was counted (the hash to compare with).
    const challenge = await this.getChallenge(challengeId);
    return challenge ? { ok: true, challenge } : { ok: false, reason: 'not_found' };
  }

  async markUsed(challengeId: string, userId: string, now: number): Promise<boolean> {
    const out = await this.conditionalUpdate({
      key: stepUpKeys.challenge(challengeId),
      update: 'SET usedAt = :now',
      condition: 'attribute_exists(pk) AND userId = :uid AND attribute_not_exists(usedAt)',
      values: { ':now': n(now), ':uid': s(userId) },
    });
    return out !== undefined;
  }

  async failureBudget(userId: string): Promise<UserFailureBudgetState> {
    const item = await this.get(stepUpKeys.failureBudget(userId));
    return budgetFromItem(item);
  }

  async recordFailure(userId: string, subjectId: string, now: number): Promise<UserFailureBudgetState> {
    const [budget] = await Promise.all([this.addBudgetFailure(userId, now), this.addVelocityFailure(subjectId, now)]);
    return budget;
  }

  /**
   * The two conditional updates of challenge-policy's `recordUserFailure`: count into the active window, or start
   * a new one when there is none. Each is atomic; a concurrent writer can only make one of them fail, and then the
   * other one holds on the next round.
   */
  private async addBudgetFailure(userId: string, now: number): Promise<UserFailureBudgetState> {
    const key = stepUpKeys.failureBudget(userId);
    const windowEdge = n(now - USER_FAILURE_BUDGET.windowMs);
    for (let round = 0; round < BUDGET_UPDATE_ROUNDS; round += 1) {
      const counted = await this.conditionalUpdate({
        key,
        update: 'SET failures = failures + :one',
        condition: 'windowStartedAt > :windowEdge',
        values: { ':one': n(1), ':windowEdge': windowEdge },
      });
      if (counted) return budgetFromItem(counted);
      const restarted = await this.conditionalUpdate({
        key,
        update: 'SET failures = :one, windowStartedAt = :now, expiresAt = :ttl',
        condition: 'attribute_not_exists(windowStartedAt) OR windowStartedAt <= :windowEdge',
        values: {
          ':one': n(1),
          ':now': n(now),
          ':windowEdge': windowEdge,
          ':ttl': n(seconds(now + USER_FAILURE_BUDGET.windowMs) + 3600),
        },
      });
      if (restarted) return budgetFromItem(restarted);
    }
    throw new Error('failure budget kept changing under concurrent updates');
  }

  /** The decision API's `velocity.failed_step_ups` signal reads these hourly buckets. */
  private async addVelocityFailure(subjectId: string, now: number): Promise<void> {
    await this.client.send(
      new UpdateItemCommand({
        TableName: this.table,
        Key: k(keys.userVelocity(subjectId, bucketOf(now, HOUR))),
        UpdateExpression: 'ADD stepUps :one SET expiresAt = :ttl',
        ExpressionAttributeValues: { ':one': n(1), ':ttl': n(seconds(now) + VELOCITY_TTL_SECONDS) },
      }),
    );
  }

  // ---- step-ups and grants ----------------------------------------------------------------------------------

  async getStepUp(stepUpId: string, now: number): Promise<StepUpRecord | undefined> {
    const item = live(await this.get(keys.stepUp(stepUpId)), now);
    return item ? stepUpRecordFromItem(item) : undefined;
  }

  async claimSend(stepUpId: string, now: number, challengeId: string): Promise<ResendAssessment> {
    const key = keys.stepUp(stepUpId);
    const names = { '#status': 'status' };
    const first = await this.conditionalUpdate({
      key,
      update: 'SET lastSentAt = :now, resends = :zero, lastChallengeId = :challengeId',
      condition: 'attribute_exists(pk) AND #status = :pending AND attribute_not_exists(lastSentAt)',
      values: { ':now': n(now), ':zero': n(0), ':pending': s('pending'), ':challengeId': s(challengeId) },
      names,
    });
    if (first) return { allowed: true };
    const again = await this.conditionalUpdate({
      key,
      update: 'SET lastSentAt = :now, resends = if_not_exists(resends, :zero) + :one, lastChallengeId = :challengeId',
      condition:
        '#status = :pending AND lastSentAt <= :earliest AND (attribute_not_exists(resends) OR resends < :maxResends)',
      values: {
        ':now': n(now),
        ':zero': n(0),
        ':one': n(1),
        ':pending': s('pending'),
        ':challengeId': s(challengeId),
        ':earliest': n(now - RESEND_MIN_INTERVAL_MS),
        ':maxResends': n(MAX_RESENDS_PER_STEP_UP),
      },
      names,
    });
    if (again) return { allowed: true };
    const current = await this.getStepUp(stepUpId, now);
    if (!current || current.status !== 'pending') return { allowed: false, reason: 'too_many_resends' };
    const assessment = assessResend(
      { resends: current.resends, ...(current.lastSentAt !== undefined ? { lastSentAt: current.lastSentAt } : {}) },
      now,
    );
    // Both writes lost to a concurrent send that has just happened: that send is the one that counts.
    return assessment.allowed
      ? { allowed: false, reason: 'too_soon', retryAfterMs: RESEND_MIN_INTERVAL_MS }
      : assessment;
  }

  async grant(input: GrantInput): Promise<StepUpRecord | undefined> {
    const out = await this.conditionalUpdate({
      key: keys.stepUp(input.stepUpId),
      update:
        'SET #status = :granted, grantedAt = :now, grantedMethod = :method, grantedChallengeId = :challengeId, revision = if_not_exists(revision, :zero) + :one',
      condition: 'attribute_exists(pk) AND #status = :pending AND validUntil > :now AND userId = :subject',
      values: {
        ':granted': s('granted'),
        ':pending': s('pending'),
        ':now': n(input.now),
        ':method': s(input.method),
        ':challengeId': s(input.challengeId),
        ':subject': s(input.subjectId),
        ':zero': n(0),
        ':one': n(1),
      },
      names: { '#status': 'status' },
    });
    return out ? stepUpRecordFromItem(out) : undefined;
  }

  async claimTokenClaims(input: {
    stepUpId: string;
    subjectIds: readonly string[];
    now: number;
    maxAgeMs: number;
  }): Promise<StepUpRecord | undefined> {
    const subjects = [...new Set(input.subjectIds.filter((id) => id.length > 0))].slice(0, 10);
    if (subjects.length === 0) return undefined;
    const values: Item = {
      ':granted': s('granted'),
      ':now': n(input.now),
      ':fresh': n(input.now - input.maxAgeMs),
    };
    subjects.forEach((id, i) => (values[`:s${i}`] = s(id)));
    const out = await this.conditionalUpdate({
      key: keys.stepUp(input.stepUpId),
      update: 'SET claimsIssuedAt = :now',
      condition: `attribute_exists(pk) AND #status = :granted AND grantedAt >= :fresh AND grantedAt <= :now AND attribute_not_exists(claimsIssuedAt) AND userId IN (${subjects.map((_, i) => `:s${i}`).join(', ')})`,
      values,
      names: { '#status': 'status' },
    });
    return out ? stepUpRecordFromItem(out) : undefined;
  }

  async loadProfile(subjectId: string): Promise<{ profile?: UserProfile; revision: number }> {
    const item = await this.get(keys.profile(subjectId));
    const revision = Number(item?.revision?.N ?? 0);
    const json = item?.profile?.S;
    if (!json) return { revision };
    // The decision store's outcome route notes failures on the item; keep them when this profile is written back.
    return { profile: withNotedFailures(item), revision };
  }

  async commitLearning(input: {
    stepUp: StepUpRecord;
    next: UserProfile;
    expectedRevision: number;
    now: number;
    previous?: UserProfile;
  }): Promise<LearningResult> {
    const { stepUp } = input;
    try {
      await this.client.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.table,
                Item: {
                  ...k(keys.profile(stepUp.userId)),
                  profile: s(JSON.stringify(input.next)),
                  revision: n(input.expectedRevision + 1),
                  updatedAt: n(input.now),
                },
                // Same optimistic lock as the decision store's profile write.
                ConditionExpression: 'attribute_not_exists(pk) OR revision = :rev',
                ExpressionAttributeValues: { ':rev': n(input.expectedRevision) },
              },
            },
            {
              Update: {
                TableName: this.table,
                Key: k(keys.stepUp(stepUp.stepUpId)),
                UpdateExpression: 'SET learnedAt = :now',
                ConditionExpression: '#status = :granted AND userId = :subject AND attribute_not_exists(learnedAt)',
                ExpressionAttributeNames: { '#status': 'status' },
                ExpressionAttributeValues: {
                  ':now': n(input.now),
                  ':granted': s('granted'),
                  ':subject': s(stepUp.userId),
                },
              },
            },
          ],
        }),
      );
    } catch (error) {
      const codes = cancellationCodes(error);
      if (!codes) throw error;
      if (codes[1] === 'ConditionalCheckFailed') {
        const current = await this.getStepUp(stepUp.stepUpId, input.now);
        return current?.learnedAt !== undefined ? 'already_learned' : 'not_granted';
      }
      if (codes[0] === 'ConditionalCheckFailed' || codes.includes('TransactionConflict')) return 'profile_changed';
      throw error;
    }
    await this.bumpGlobalCounts(input.next, stepUp.features, input.now, input.previous);
    return 'learned';
  }

  /** Best effort, like the decision store: population counts are statistics, not state that must be exact. */
  private async bumpGlobalCounts(
    next: UserProfile,
    features: RequestFeatures,
    now: number,
    previous: UserProfile | undefined,
  ): Promise<void> {
    if (!this.options.globalKeys) return;
    const add = (key: Key) =>
      this.client.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: k(key),
          UpdateExpression: 'ADD n :one SET expiresAt = :ttl',
          ExpressionAttributeValues: { ':one': n(1), ':ttl': n(seconds(now) + GLOBAL_COUNT_TTL_SECONDS) },
        }),
      );
    await Promise.allSettled(populationIncrements(next, this.options.globalKeys(features), previous).map(add));
  }

  // ---- TOTP enrolments ----------------------------------------------------------------------------------------

  private sealContext(userId: string): string {
    return `totp:${userId}`;
  }

  private async totpFromItem(userId: string, item: Item): Promise<TotpEnrollment | undefined> {
    const raw = unmarshall(item) as Record<string, unknown>;
    if (typeof raw.sealedSecret !== 'string' || (raw.status !== 'pending' && raw.status !== 'active')) return undefined;
    const secret = await this.options.sealer.open(raw.sealedSecret, this.sealContext(userId));
    if (secret === undefined) return undefined;
    const num = (name: string) => {
      const value = raw[name];
      return typeof value === 'number' ? value : undefined;
    };
    const pendingUntil = num('pendingUntil');
    const lastTimeStep = num('lastTimeStep');
    const confirmedAt = num('confirmedAt');
    return {
      userId,
      secret,
      status: raw.status,
      createdAt: num('createdAt') ?? 0,
      confirmTries: num('confirmTries') ?? 0,
      ...(pendingUntil !== undefined ? { pendingUntil } : {}),
      ...(lastTimeStep !== undefined ? { lastTimeStep } : {}),
      ...(confirmedAt !== undefined ? { confirmedAt } : {}),
    };
  }

  async getTotp(userId: string): Promise<TotpEnrollment | undefined> {
    const item = await this.get(stepUpKeys.totp(userId));
    return item ? this.totpFromItem(userId, item) : undefined;
  }

  private async pendingFromItem(userId: string, item: Item): Promise<PendingTotp | undefined> {
    const raw = unmarshall(item) as Record<string, unknown>;
    if (typeof raw.sealedSecret !== 'string') return undefined;
    const secret = await this.options.sealer.open(raw.sealedSecret, this.sealContext(userId));
    if (secret === undefined) return undefined;
    const num = (name: string) => (typeof raw[name] === 'number' ? raw[name] : 0);
    const stepUpMethod = raw.stepUpMethod;
    const authorisation: EnrolmentAuthorisation =
      raw.authorisedBy === 'step_up' && typeof raw.stepUpId === 'string'
        ? { kind: 'step_up', stepUpId: raw.stepUpId, ...(isStepUpMethod(stepUpMethod) ? { method: stepUpMethod } : {}) }
        : { kind: 'no_verified_contact' };
    return {
      userId,
      secret,
      createdAt: num('createdAt'),
      pendingUntil: num('pendingUntil'),
      confirmTries: num('confirmTries'),
      authorisation,
      replaces: raw.replaces === true,
    };
  }

  /**
   * Redeems the grant for a change of authenticators, once, only if it is still as it was read and checked. It is
   * also marked consumed, so the decision API treats it as spent from then on.
   */
  private redeem(redemption: GrantRedemption, now: number, purpose: string): TransactWriteItem {
    return {
      Update: {
        TableName: this.table,
        Key: k(keys.stepUp(redemption.stepUpId)),
        UpdateExpression:
          'SET changeRedeemedAt = :now, changeRedeemedFor = :purpose, #consumed = :true, revision = revision + :one',
        ConditionExpression: '#status = :granted AND attribute_not_exists(changeRedeemedAt) AND revision = :rev',
        ExpressionAttributeNames: { '#consumed': 'consumed', '#status': 'status' },
        ExpressionAttributeValues: {
          ':true': { BOOL: true },
          ':granted': s('granted'),
          ':now': n(now),
          ':purpose': s(purpose),
          ':one': n(1),
          ':rev': n(redemption.expectedRevision),
        },
      },
    };
  }

  async startTotpEnrolment(input: {
    userId: string;
    secret: string;
    now: number;
    pendingMs: number;
    authorisation: EnrolmentAuthorisation;
    replaces: boolean;
    redemption?: GrantRedemption;
    audit?: AuditEvent;
  }): Promise<StartEnrolmentResult> {
    const { userId, now, authorisation } = input;
    const items: TransactWriteItem[] = [];
    if (input.redemption) items.push(this.redeem(input.redemption, now, 'totp.enroll'));
    const pendingAt = items.length;
    items.push({
      Put: {
        TableName: this.table,
        Item: {
          ...k(stepUpKeys.totpPending(userId)),
          sealedSecret: s(await this.options.sealer.seal(input.secret, this.sealContext(userId))),
          createdAt: n(now),
          pendingUntil: n(now + input.pendingMs),
          confirmTries: n(0),
          replaces: { BOOL: input.replaces },
          authorisedBy: s(authorisation.kind),
          ...(authorisation.kind === 'step_up' ? { stepUpId: s(authorisation.stepUpId) } : {}),
          ...(authorisation.kind === 'step_up' && authorisation.method
            ? { stepUpMethod: s(authorisation.method) }
            : {}),
          expiresAt: n(seconds(now + input.pendingMs) + 3600),
        },
      },
    });
    // The authenticator this enrolment was judged against must still be there (or still be absent).
    items.push({
      ConditionCheck: {
        TableName: this.table,
        Key: k(stepUpKeys.totp(userId)),
        ConditionExpression: input.replaces ? '#status = :active' : 'attribute_not_exists(pk) OR #status <> :active',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':active': s('active') },
      },
    });
    const result = await auditedTransaction(this.client, items, input.audit ? [input.audit] : [], this.options.audit);
    if (result.ok) return 'started';
    if (input.redemption && result.failed.has(0)) return 'grant_used';
    if (result.failed.has(pendingAt + 1)) return 'changed';
    throw new Error('TOTP enrolment transaction failed on an unconditional item');
  }

  async getPendingTotp(userId: string): Promise<PendingTotp | undefined> {
    const item = await this.get(stepUpKeys.totpPending(userId));
    return item ? this.pendingFromItem(userId, item) : undefined;
  }

  async beginTotpConfirm(userId: string, now: number, maxTries: number): Promise<PendingTotp | undefined> {
    const out = await this.conditionalUpdate({
      key: stepUpKeys.totpPending(userId),
      update: 'SET confirmTries = confirmTries + :one',
      condition:
        'attribute_exists(sealedSecret) AND attribute_not_exists(confirmedAt) AND pendingUntil > :now AND confirmTries < :maxTries',
      values: { ':one': n(1), ':now': n(now), ':maxTries': n(maxTries) },
    });
    return out ? this.pendingFromItem(userId, out) : undefined;
  }

  async activateTotp(pending: PendingTotp, timeStep: number, now: number, audit: AuditEvent): Promise<boolean> {
    const { userId } = pending;
    // The pending enrolment becomes the active authenticator if and only if its audit record is written.
    const result = await auditedTransaction(
      this.client,
      [
        {
          // Spent rather than deleted (no function may delete): it can never be confirmed again, and TTL removes it.
          Update: {
            TableName: this.table,
            Key: k(stepUpKeys.totpPending(userId)),
            UpdateExpression: 'SET confirmedAt = :now REMOVE sealedSecret',
            // The very enrolment that was confirmed (a newer one replaced it otherwise), unspent and unexpired.
            ConditionExpression:
              'createdAt = :createdAt AND pendingUntil > :now AND attribute_exists(sealedSecret) AND attribute_not_exists(confirmedAt)',
            ExpressionAttributeValues: { ':createdAt': n(pending.createdAt), ':now': n(now) },
          },
        },
        {
          Put: {
            TableName: this.table,
            Item: {
              ...k(stepUpKeys.totp(userId)),
              status: s('active'),
              sealedSecret: s(await this.options.sealer.seal(pending.secret, this.sealContext(userId))),
              createdAt: n(pending.createdAt),
              confirmedAt: n(now),
              lastTimeStep: n(timeStep),
              confirmTries: n(pending.confirmTries),
            },
          },
        },
      ],
      [audit],
      this.options.audit,
    );
    return result.ok;
  }

  // ---- session approvals -----------------------------------------------------------------------------------

  async approve(approval: SessionApproval): Promise<boolean> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.table,
          Item: {
            ...k(stepUpKeys.approval(approval.kind, approval.id)),
            kind: s(approval.kind),
            id: s(approval.id),
            userName: s(approval.userName),
            passwordVerified: { BOOL: approval.passwordVerified },
            approvedAt: n(approval.approvedAt),
            ...(approval.stepUpId !== undefined ? { stepUpId: s(approval.stepUpId) } : {}),
            expiresAt: n(seconds(approval.approvedAt) + APPROVAL_RETENTION_SECONDS),
          },
          // A retry rewrites its own approval; once tokens were issued under this key, nothing replaces it.
          ConditionExpression: 'attribute_not_exists(tokensIssuedAt)',
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async claimForTokens(input: {
    kind: SessionApproval['kind'];
    id: string;
    userName: string;
    now: number;
    maxAgeMs: number;
  }): Promise<SessionApproval | undefined> {
    const out = await this.conditionalUpdate({
      key: stepUpKeys.approval(input.kind, input.id),
      update: 'SET tokensIssuedAt = :now',
      condition:
        'attribute_exists(pk) AND attribute_not_exists(tokensIssuedAt) AND userName = :user AND approvedAt >= :fresh AND approvedAt <= :now',
      values: { ':now': n(input.now), ':user': s(input.userName), ':fresh': n(input.now - input.maxAgeMs) },
    });
    return out ? approvalFromItem(out) : undefined;
  }

  async findApproval(input: {
    kind: SessionApproval['kind'];
    id: string;
    now: number;
    maxAgeMs: number;
  }): Promise<SessionApproval | undefined> {
    const item = live(await this.get(stepUpKeys.approval(input.kind, input.id)), input.now);
    const approval = item ? approvalFromItem(item) : undefined;
    if (!approval || approval.approvedAt < input.now - input.maxAgeMs || approval.approvedAt > input.now)
      return undefined;
    return approval;
  }

  async removeTotp(input: {
    userId: string;
    now: number;
    redemption: GrantRedemption;
    audit: readonly AuditEvent[];
  }): Promise<'removed' | 'grant_used' | 'not_enrolled'> {
    const result = await auditedTransaction(
      this.client,
      [
        this.redeem(input.redemption, input.now, 'totp.remove'),
        {
          // The secret is erased and the item marked removed (no function may delete); TTL removes it later.
          Update: {
            TableName: this.table,
            Key: k(stepUpKeys.totp(input.userId)),
            UpdateExpression: 'SET #status = :removed, removedAt = :now, expiresAt = :ttl REMOVE sealedSecret',
            ConditionExpression: '#status = :active',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: {
              ':active': s('active'),
              ':removed': s('removed'),
              ':now': n(input.now),
              ':ttl': n(seconds(input.now) + REMOVED_TOTP_RETENTION_SECONDS),
            },
          },
        },
      ],
      input.audit,
      this.options.audit,
    );
    if (result.ok) return 'removed';
    return result.failed.has(0) ? 'grant_used' : 'not_enrolled';
  }

  async useTimeStep(userId: string, timeStep: number): Promise<boolean> {
    const out = await this.conditionalUpdate({
      key: stepUpKeys.totp(userId),
      update: 'SET lastTimeStep = :step',
      condition: '#status = :active AND (attribute_not_exists(lastTimeStep) OR lastTimeStep < :step)',
      values: { ':active': s('active'), ':step': n(timeStep) },
      names: { '#status': 'status' },
    });
    return out !== undefined;
  }
}

function budgetFromItem(item: Item | undefined): UserFailureBudgetState {
  if (!item) return { failures: 0 };
  const failures = Number(item.failures?.N ?? 0);
  const started = item.windowStartedAt?.N;
  return started === undefined ? { failures } : { failures, windowStartedAt: Number(started) };
}
