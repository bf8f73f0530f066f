import { profileFromItem, profileKey, profileWrite } from '../../../lambdas/adapters/dynamodb/items/profile';
import { stepUpFromItem, stepUpKey, stepUpToItem } from '../../../lambdas/adapters/dynamodb/items/step-up';
import { epochSeconds, expiresAt, isLive, live, TTL_SECONDS } from '../../../lambdas/adapters/dynamodb/items/ttl';
import { emptyProfile, learn } from '../../../lambdas/core/risk/learning';
import type { StoredStepUp } from '../../../lambdas/ports/decision-store';
import { HOME } from '../core/fixtures';

const WRITTEN = Date.UTC(2026, 11, 3, 12, 0, 0);

describe('item lifetimes', () => {
  it('are stored in epoch seconds, and an item is gone for readers once its expiry has passed', () => {
    const item = { expiresAt: expiresAt(WRITTEN, TTL_SECONDS.idempotency) };
    expect(Number(item.expiresAt.N)).toBe(WRITTEN / 1000 + 24 * 3600);
    expect(isLive(item, WRITTEN + 24 * 3600_000 - 1000)).toBe(true);
    expect(isLive(item, WRITTEN + 24 * 3600_000)).toBe(false);
    expect(live(item, WRITTEN + 24 * 3600_000)).toBeUndefined();
    expect(isLive({}, WRITTEN)).toBe(true);
  });
});

describe('item codecs', () => {
  it('round-trips a step-up, keeping it readable for a grace period after it can no longer be completed', () => {
    const stepUp: StoredStepUp = {
      stepUpId: 'su-1',
      userId: 'alice@example.com',
      action: 'payment.transfer',
      decisionId: 'dec-1',
      acr: 'urn:stepgate:acr:otp',
      methods: ['email_otp', 'totp'],
      maxAgeSeconds: 300,
      status: 'pending',
      createdAt: WRITTEN,
      expiresAt: WRITTEN + 600_000,
      consumed: false,
      deviceId: 'd-1',
      features: HOME,
      revision: 0,
    };
    const item = stepUpToItem(stepUp);
    expect(item.pk?.S).toBe(stepUpKey('su-1').pk);
    expect(Number(item.expiresAt?.N)).toBe(epochSeconds(stepUp.expiresAt) + TTL_SECONDS.stepUpGrace);
    expect(stepUpFromItem(item)).toEqual(stepUp);
  });

  it('writes a profile as the next revision, only over the revision it was read at', () => {
    const next = learn(emptyProfile(WRITTEN), HOME, WRITTEN, 'trusted');
    const put = profileWrite('risk', 'alice@example.com', next, 4, WRITTEN).Put!;
    const item = put.Item ?? {};
    expect(item.pk?.S).toBe(profileKey('alice@example.com').pk);
    expect(put.ConditionExpression).toBe('attribute_not_exists(pk) OR revision = :rev');
    expect(put.ExpressionAttributeValues).toEqual({ ':rev': { N: '4' } });
    expect(profileFromItem(item)).toEqual({ profile: next, revision: 5 });
    expect(profileFromItem(undefined)).toEqual({ revision: 0 });
  });
});
