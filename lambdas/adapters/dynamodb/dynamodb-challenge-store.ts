import { PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  assessAttempt,
  EMPTY_USER_FAILURE_BUDGET,
  MAX_TRIES_PER_CHALLENGE,
  USER_FAILURE_BUDGET,
  type UserFailureBudgetState,
} from '../../core/step-up/challenge-policy';
import type { AttemptResult, ChallengeStore, StoredChallenge } from '../../ports/challenge-store';
import type { FailureCounter } from '../../ports/decision-store';
import { DynamoDbFailureCounter } from './dynamodb-failure-counter';
import { challengeFromItem, challengeKey, challengeToItem } from './items/challenge';
import { failureBudgetFromItem, failureBudgetKey } from './items/failure-budget';
import { keyAttributes, n, s } from './items/item';
import { expiresAt, TTL_SECONDS } from './items/ttl';
import { conditionalUpdate, getItem } from './single-item';
import { NamedTransaction } from './transaction';
import type { TableNames } from '../../contracts/tables';

/** Rounds of the two-step budget update before giving up (each round loses only to a concurrent writer). */
const BUDGET_UPDATE_ROUNDS = 4;

/**
 * One-time-code challenges and the per-user failure budget in the risk table. Every limit of challenge-policy.ts
 * is a DynamoDB condition here, evaluated by DynamoDB at write time, so no read-then-write race can exceed it.
 */
export class DynamoDbChallengeStore implements ChallengeStore {
  private readonly failures: FailureCounter;

  constructor(
    private readonly client: DynamoDBClient,
    private readonly tables: Pick<TableNames, 'risk'>,
  ) {
    this.failures = new DynamoDbFailureCounter(client, tables);
  }

  async putChallenge(challenge: StoredChallenge): Promise<void> {
    await this.client.send(
      new PutItemCommand({
        TableName: this.tables.risk,
        Item: challengeToItem(challenge),
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async getChallenge(challengeId: string): Promise<StoredChallenge | undefined> {
    const item = await getItem(this.client, this.tables.risk, challengeKey(challengeId));
    return item ? challengeFromItem(item) : undefined;
  }

  async beginAttempt(challengeId: string, userId: string, now: number): Promise<AttemptResult> {
    const table = this.tables.risk;
    const result = await new NamedTransaction<'challenge' | 'budget'>()
      .add('challenge', {
        Update: {
          TableName: table,
          Key: keyAttributes(challengeKey(challengeId)),
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
      })
      .add('budget', {
        // A missing budget item has no windowStartedAt, so a user who never failed passes.
        ConditionCheck: {
          TableName: table,
          Key: keyAttributes(failureBudgetKey(userId)),
          ConditionExpression:
            'attribute_not_exists(windowStartedAt) OR windowStartedAt <= :windowEdge OR failures < :maxFailures',
          ExpressionAttributeValues: {
            ':windowEdge': n(now - USER_FAILURE_BUDGET.windowMs),
            ':maxFailures': n(USER_FAILURE_BUDGET.maxFailures),
          },
        },
      })
      .send(this.client);
    if (!result.ok) {
      if (result.failed.has('challenge')) {
        const current = await this.getChallenge(challengeId);
        if (!current) return { ok: false, reason: 'not_found' };
        if (current.userId !== userId) return { ok: false, reason: 'wrong_user' };
        const assessment = assessAttempt(current, EMPTY_USER_FAILURE_BUDGET, now);
        return { ok: false, reason: assessment.allowed ? 'busy' : assessment.reason };
      }
      if (result.failed.has('budget')) return { ok: false, reason: 'user_locked' };
      if (result.conflicted.size > 0) return { ok: false, reason: 'busy' };
      throw result.error;
    }
    // The try is counted; now read what was counted (the hash to compare with).
    const challenge = await this.getChallenge(challengeId);
    return challenge ? { ok: true, challenge } : { ok: false, reason: 'not_found' };
  }

  async markUsed(challengeId: string, userId: string, now: number): Promise<boolean> {
    const out = await conditionalUpdate(this.client, this.tables.risk, {
      key: challengeKey(challengeId),
      update: 'SET usedAt = :now',
      condition: 'attribute_exists(pk) AND userId = :uid AND attribute_not_exists(usedAt)',
      values: { ':now': n(now), ':uid': s(userId) },
    });
    return out !== undefined;
  }

  async failureBudget(userId: string): Promise<UserFailureBudgetState> {
    return failureBudgetFromItem(await getItem(this.client, this.tables.risk, failureBudgetKey(userId)));
  }

  /** One failed try: into the Cognito user's budget, and into the subject's failed step-ups (velocity). */
  async recordFailure(userId: string, subjectId: string, now: number): Promise<UserFailureBudgetState> {
    const [budget] = await Promise.all([
      this.addBudgetFailure(userId, now),
      this.failures.recordFailure(subjectId, 'stepUps', now),
    ]);
    return budget;
  }

  /**
   * The two conditional updates of challenge-policy's `recordUserFailure`: count into the active window, or start
   * a new one when there is none. Each is atomic; a concurrent writer can only make one of them fail, and then the
   * other one holds on the next round.
   */
  private async addBudgetFailure(userId: string, now: number): Promise<UserFailureBudgetState> {
    const key = failureBudgetKey(userId);
    const windowEdge = n(now - USER_FAILURE_BUDGET.windowMs);
    for (let round = 0; round < BUDGET_UPDATE_ROUNDS; round += 1) {
      const counted = await conditionalUpdate(this.client, this.tables.risk, {
        key,
        update: 'SET failures = failures + :one',
        condition: 'windowStartedAt > :windowEdge',
        values: { ':one': n(1), ':windowEdge': windowEdge },
      });
      if (counted) return failureBudgetFromItem(counted);
      const restarted = await conditionalUpdate(this.client, this.tables.risk, {
        key,
        update: 'SET failures = :one, windowStartedAt = :now, expiresAt = :ttl',
        condition: 'attribute_not_exists(windowStartedAt) OR windowStartedAt <= :windowEdge',
        values: {
          ':one': n(1),
          ':now': n(now),
          ':windowEdge': windowEdge,
          ':ttl': expiresAt(now + USER_FAILURE_BUDGET.windowMs, TTL_SECONDS.failureBudgetGrace),
        },
      });
      if (restarted) return failureBudgetFromItem(restarted);
    }
    throw new Error('failure budget kept changing under concurrent updates');
  }
}
