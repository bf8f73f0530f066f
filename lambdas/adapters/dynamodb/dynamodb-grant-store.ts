import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { RequestFeatures, UserProfile } from '../../core/risk/types';
import {
  assessResend,
  MAX_RESENDS_PER_STEP_UP,
  RESEND_MIN_INTERVAL_MS,
  type ResendAssessment,
} from '../../core/step-up/challenge-policy';
import type { GrantInput, LearningResult, StepUpGrantStore, StepUpRecord } from '../../ports/challenge-store';
import { markLearned, stepUpRecordFromItem } from './items/grant';
import { n, s, type Item } from './items/item';
import { addPopulationCounts, type GlobalKeys } from './items/population';
import { profileFromItem, profileKey, profileWrite, type StoredProfile } from './items/profile';
import { stepUpKey } from './items/step-up';
import { live } from './items/ttl';
import { conditionalUpdate, getItem } from './single-item';
import { NamedTransaction } from './transaction';
import type { TableNames } from '../../contracts/tables';

export interface DynamoDbGrantStoreOptions {
  /** Population keys counted when a passed step-up teaches a profile (the decision store counts the same way). */
  readonly globalKeys?: (features: RequestFeatures) => GlobalKeys;
}

/**
 * The ceremony's side of a step-up (items/step-up.ts, items/grant.ts): code deliveries, pending → granted, the
 * grant's claims put into tokens once, and its context learned into the profile once. Each state change is one
 * conditional write, so concurrent or retried trigger invocations cannot grant twice or exceed a limit.
 */
export class DynamoDbGrantStore implements StepUpGrantStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tables: Pick<TableNames, 'risk'>,
    private readonly options: DynamoDbGrantStoreOptions = {},
  ) {}

  async getStepUp(stepUpId: string, now: number): Promise<StepUpRecord | undefined> {
    const item = live(await getItem(this.client, this.tables.risk, stepUpKey(stepUpId)), now);
    return item ? stepUpRecordFromItem(item) : undefined;
  }

  private update(input: Parameters<typeof conditionalUpdate>[2]): Promise<Item | undefined> {
    return conditionalUpdate(this.client, this.tables.risk, input);
  }

  async claimSend(stepUpId: string, now: number, challengeId: string): Promise<ResendAssessment> {
    const key = stepUpKey(stepUpId);
    const names = { '#status': 'status' };
    const first = await this.update({
      key,
      update: 'SET lastSentAt = :now, resends = :zero, lastChallengeId = :challengeId',
      condition: 'attribute_exists(pk) AND #status = :pending AND attribute_not_exists(lastSentAt)',
      values: { ':now': n(now), ':zero': n(0), ':pending': s('pending'), ':challengeId': s(challengeId) },
      names,
    });
    if (first) return { allowed: true };
    const again = await this.update({
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
    const out = await this.update({
      key: stepUpKey(input.stepUpId),
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
    const out = await this.update({
      key: stepUpKey(input.stepUpId),
      update: 'SET claimsIssuedAt = :now',
      condition: `attribute_exists(pk) AND #status = :granted AND grantedAt >= :fresh AND grantedAt <= :now AND attribute_not_exists(claimsIssuedAt) AND userId IN (${subjects.map((_, i) => `:s${i}`).join(', ')})`,
      values,
      names: { '#status': 'status' },
    });
    return out ? stepUpRecordFromItem(out) : undefined;
  }

  async loadProfile(subjectId: string): Promise<StoredProfile> {
    return profileFromItem(await getItem(this.client, this.tables.risk, profileKey(subjectId)));
  }

  async commitLearning(input: {
    stepUp: StepUpRecord;
    next: UserProfile;
    expectedRevision: number;
    now: number;
    previous?: UserProfile;
  }): Promise<LearningResult> {
    const { stepUp } = input;
    const table = this.tables.risk;
    const result = await new NamedTransaction<'profile' | 'learned'>()
      .add('profile', profileWrite(table, stepUp.userId, input.next, input.expectedRevision, input.now))
      .add('learned', markLearned(table, stepUp.stepUpId, stepUp.userId, input.now))
      .send(this.client);
    if (!result.ok) {
      if (result.failed.has('learned')) {
        const current = await this.getStepUp(stepUp.stepUpId, input.now);
        return current?.learnedAt !== undefined ? 'already_learned' : 'not_granted';
      }
      if (result.failed.has('profile') || result.conflicted.size > 0) return 'profile_changed';
      throw result.error;
    }
    if (this.options.globalKeys) {
      const levels = this.options.globalKeys(stepUp.features);
      await addPopulationCounts(this.client, table, input.next, levels, input.now, input.previous);
    }
    return 'learned';
  }
}
