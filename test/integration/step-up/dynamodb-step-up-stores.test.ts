import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { AesGcmSealer } from '../../../lambdas/adapters/aes-gcm-sealer';
import { DynamoDbAuthenticatorStore } from '../../../lambdas/adapters/dynamodb/dynamodb-authenticator-store';
import { DynamoDbChallengeStore } from '../../../lambdas/adapters/dynamodb/dynamodb-challenge-store';
import { DynamoDbGrantStore } from '../../../lambdas/adapters/dynamodb/dynamodb-grant-store';
import { DynamoDbSessionApprovalStore } from '../../../lambdas/adapters/dynamodb/dynamodb-session-approval-store';
import { DynamoDbAuditLog } from '../../../lambdas/adapters/dynamodb/dynamodb-audit-log';
import { DynamoDbAuditReader } from '../../../lambdas/adapters/dynamodb/dynamodb-audit-reader';
import type { AuditEvent } from '../../../lambdas/core/audit/audit-event';
import { DynamoDbDecisionStore } from '../../../lambdas/adapters/dynamodb/dynamodb-decision-store';
import { failureBudgetKey } from '../../../lambdas/adapters/dynamodb/items/failure-budget';
import { profileKey } from '../../../lambdas/adapters/dynamodb/items/profile';
import { stepUpToItem } from '../../../lambdas/adapters/dynamodb/items/step-up';
import { totpKeys } from '../../../lambdas/adapters/dynamodb/items/totp';
import type { TableNames } from '../../../lambdas/contracts/tables';
import { learn } from '../../../lambdas/core/risk/learning';
import {
  CODE_TTL_MS,
  MAX_RESENDS_PER_STEP_UP,
  newChallengeState,
  RESEND_MIN_INTERVAL_MS,
  USER_FAILURE_BUDGET,
} from '../../../lambdas/core/step-up/challenge-policy';
import { hashCode } from '../../../lambdas/core/step-up/otp-code';
import type { StoredStepUp } from '../../../lambdas/ports/decision-store';
import type { StoredChallenge } from '../../../lambdas/ports/challenge-store';
import { createTestTables, testDynamoClient } from '../../support/dynamodb';
import { FEATURES } from '../../unit/triggers/support';

const T0 = Date.parse('2026-11-29T10:00:00Z');
const PEPPER = 'integration-pepper-0123456789abcdef';
const ALICE = 'alice@example.com';

describe('the step-up stores on DynamoDB Local (challenges, grants, session approvals, authenticators)', () => {
  const client = testDynamoClient();
  let tables: TableNames;
  let challenges: DynamoDbChallengeStore;
  let grants: DynamoDbGrantStore;
  let approvals: DynamoDbSessionApprovalStore;
  let authenticators: DynamoDbAuthenticatorStore;
  let seq = 0;
  afterAll(() => client.destroy());

  beforeAll(async () => {
    tables = await createTestTables(client, 'stepup-store');
    challenges = new DynamoDbChallengeStore(client, tables);
    grants = new DynamoDbGrantStore(client, tables);
    approvals = new DynamoDbSessionApprovalStore(client, tables);
    authenticators = new DynamoDbAuthenticatorStore(client, tables, {
      sealer: new AesGcmSealer(() => Promise.resolve(PEPPER)),
    });
  });

  const uid = (prefix: string) => `${prefix}-${++seq}`;

  async function putStepUp(overrides: Partial<StoredStepUp> = {}): Promise<StoredStepUp> {
    const stepUp: StoredStepUp = {
      stepUpId: uid('su'),
      userId: ALICE,
      action: 'payment.transfer',
      decisionId: uid('dec'),
      acr: 'urn:stepgate:acr:otp',
      methods: ['email_otp', 'totp'],
      maxAgeSeconds: 300,
      status: 'pending',
      createdAt: T0,
      expiresAt: T0 + 10 * 60_000,
      consumed: false,
      deviceId: 'device-new',
      features: FEATURES,
      revision: 0,
      ...overrides,
    };
    await client.send(new PutItemCommand({ TableName: tables.risk, Item: stepUpToItem(stepUp) }));
    return stepUp;
  }

  async function putChallenge(userId = uid('user'), code = '123456', now = T0): Promise<StoredChallenge> {
    const challengeId = uid('ch');
    const challenge: StoredChallenge = {
      ...newChallengeState(
        { challengeId, userId, stepUpId: 'su-x', method: 'email_otp', codeHash: hashCode(code, challengeId, PEPPER) },
        now,
      ),
      subjectId: userId,
      destination: 'a***@e***.com',
    };
    await challenges.putChallenge(challenge);
    return challenge;
  }

  describe('challenges', () => {
    it('stores a challenge once and reads it back; the code itself is nowhere in the item', async () => {
      const c = await putChallenge(undefined, '987654');
      expect(await challenges.getChallenge(c.challengeId)).toEqual(c);
      await expect(challenges.putChallenge(c)).rejects.toThrow();
      const raw = await client.send(
        new GetItemCommand({
          TableName: tables.risk,
          Key: { pk: { S: `CHALLENGE#${c.challengeId}` }, sk: { S: 'CHALLENGE' } },
        }),
      );
      expect(JSON.stringify(raw.Item)).not.toContain('987654');
    });

    it("counts at most 3 tries, refuses expired, used, unknown and other users' challenges", async () => {
      const c = await putChallenge();
      for (let i = 1; i <= 3; i += 1) {
        const attempt = await challenges.beginAttempt(c.challengeId, c.userId, T0);
        expect(attempt).toMatchObject({ ok: true, challenge: { tries: i } });
      }
      expect(await challenges.beginAttempt(c.challengeId, c.userId, T0)).toEqual({
        ok: false,
        reason: 'too_many_tries',
      });

      const expired = await putChallenge();
      expect(await challenges.beginAttempt(expired.challengeId, expired.userId, T0 + CODE_TTL_MS)).toEqual({
        ok: false,
        reason: 'expired',
      });

      const used = await putChallenge();
      expect(await challenges.markUsed(used.challengeId, used.userId, T0)).toBe(true);
      expect(await challenges.markUsed(used.challengeId, used.userId, T0)).toBe(false);
      expect(await challenges.beginAttempt(used.challengeId, used.userId, T0)).toEqual({ ok: false, reason: 'used' });

      const other = await putChallenge();
      expect(await challenges.beginAttempt(other.challengeId, 'mallory', T0)).toEqual({
        ok: false,
        reason: 'wrong_user',
      });
      expect(await challenges.markUsed(other.challengeId, 'mallory', T0)).toBe(false);
      expect(await challenges.beginAttempt('no-such-challenge', 'mallory', T0)).toEqual({
        ok: false,
        reason: 'not_found',
      });
    });

    it('race: 20 parallel tries of one challenge are counted at most 3 times', async () => {
      const c = await putChallenge();
      const results = await Promise.all(
        Array.from({ length: 20 }, () => challenges.beginAttempt(c.challengeId, c.userId, T0)),
      );
      expect(results.filter((r) => r.ok).length).toBeLessThanOrEqual(3);
      expect((await challenges.getChallenge(c.challengeId))?.tries).toBeLessThanOrEqual(3);
    });

    it('race: of 20 parallel "mark used", exactly one wins', async () => {
      const c = await putChallenge();
      const wins = await Promise.all(
        Array.from({ length: 20 }, () => challenges.markUsed(c.challengeId, c.userId, T0)),
      );
      expect(wins.filter(Boolean)).toHaveLength(1);
    });
  });

  describe('per-user failure budget', () => {
    it('locks the user after the budget is spent, across challenges, until the window ends', async () => {
      const user = uid('user');
      for (let i = 1; i <= USER_FAILURE_BUDGET.maxFailures; i += 1) {
        expect(await challenges.recordFailure(user, ALICE, T0 + i)).toEqual({ failures: i, windowStartedAt: T0 + 1 });
      }
      const fresh = await putChallenge(user, '123456', T0 + 100);
      expect(await challenges.beginAttempt(fresh.challengeId, user, T0 + 100)).toEqual({
        ok: false,
        reason: 'user_locked',
      });
      expect((await challenges.getChallenge(fresh.challengeId))?.tries).toBe(0);
      const later = T0 + 1 + USER_FAILURE_BUDGET.windowMs;
      const next = await putChallenge(user, '123456', later);
      expect(await challenges.beginAttempt(next.challengeId, user, later)).toMatchObject({ ok: true });
      expect(await challenges.recordFailure(user, ALICE, later)).toEqual({ failures: 1, windowStartedAt: later });
    });

    it("counts concurrent failures exactly, and feeds the decision API's failed step-up velocity", async () => {
      const user = uid('user');
      const subject = uid('subject');
      await Promise.all(Array.from({ length: 15 }, (_, i) => challenges.recordFailure(user, subject, T0 + i)));
      expect((await challenges.failureBudget(user)).failures).toBe(15);
      const decisions = new DynamoDbDecisionStore(client, tables, { globalKeys: () => ({}) });
      const state = await decisions.load({
        userId: subject,
        features: FEATURES,
        velocityKeys: { ip: 'h.ip.AAAAAAAAAAAAAAAAAAAAAA' },
        includePolicy: false,
        now: T0 + 1000,
      });
      expect(state.velocity.userFailedStepUps).toBeGreaterThanOrEqual(15);
    });
  });

  describe('step-ups and grants', () => {
    it('limits code deliveries per step-up in rate and number', async () => {
      const { stepUpId } = await putStepUp();
      expect(await grants.claimSend(stepUpId, T0, 'ch-a')).toEqual({ allowed: true });
      expect(await grants.claimSend(stepUpId, T0 + 1000, 'ch-b')).toMatchObject({ allowed: false, reason: 'too_soon' });
      expect(await grants.getStepUp(stepUpId, T0)).toMatchObject({ lastChallengeId: 'ch-a', resends: 0 });
      let now = T0;
      for (let i = 0; i < MAX_RESENDS_PER_STEP_UP; i += 1) {
        now += RESEND_MIN_INTERVAL_MS;
        expect(await grants.claimSend(stepUpId, now, `ch-${i}`)).toEqual({ allowed: true });
      }
      now += RESEND_MIN_INTERVAL_MS;
      expect(await grants.claimSend(stepUpId, now, 'ch-z')).toEqual({ allowed: false, reason: 'too_many_resends' });
      expect(await grants.getStepUp(stepUpId, now)).toMatchObject({
        resends: MAX_RESENDS_PER_STEP_UP,
        lastSentAt: now - RESEND_MIN_INTERVAL_MS,
      });
    });

    it('grants a pending step-up of the right subject once, before it expires; the decision store then sees the grant', async () => {
      const stepUp = await putStepUp();
      const input = {
        stepUpId: stepUp.stepUpId,
        subjectId: ALICE,
        method: 'email_otp' as const,
        challengeId: 'ch-g',
        now: T0 + 1000,
      };
      expect(await grants.grant({ ...input, subjectId: 'mallory' })).toBeUndefined();
      const granted = await grants.grant(input);
      expect(granted).toMatchObject({
        status: 'granted',
        grantedAt: T0 + 1000,
        grantedMethod: 'email_otp',
        revision: 1,
      });
      expect(await grants.grant(input)).toBeUndefined();

      const decisions = new DynamoDbDecisionStore(client, tables, { globalKeys: () => ({}) });
      const state = await decisions.load({
        userId: ALICE,
        features: FEATURES,
        velocityKeys: { ip: 'h.ip.AAAAAAAAAAAAAAAAAAAAAA' },
        stepUpId: stepUp.stepUpId,
        includePolicy: false,
        now: T0 + 2000,
      });
      expect(state.stepUp).toMatchObject({
        status: 'granted',
        grantedAt: T0 + 1000,
        userId: ALICE,
        action: 'payment.transfer',
        revision: 1,
      });

      const late = await putStepUp();
      expect(await grants.grant({ ...input, stepUpId: late.stepUpId, now: late.expiresAt })).toBeUndefined();
    });

    it('issues token claims once, only for a fresh grant of one of the subject ids', async () => {
      const stepUp = await putStepUp();
      await grants.grant({ stepUpId: stepUp.stepUpId, subjectId: ALICE, method: 'totp', challengeId: 'c', now: T0 });
      const claim = (subjectIds: string[], now: number) =>
        grants.claimTokenClaims({ stepUpId: stepUp.stepUpId, subjectIds, now, maxAgeMs: 60_000 });
      expect(await claim(['bob'], T0 + 10)).toBeUndefined();
      expect(await claim([ALICE], T0 + 61_000)).toBeUndefined();
      expect(await claim(['opaque-username', ALICE], T0 + 10)).toMatchObject({
        stepUpId: stepUp.stepUpId,
        grantedMethod: 'totp',
      });
      expect(await claim([ALICE], T0 + 20)).toBeUndefined();
    });

    it('learns a granted step-up into the profile once, guarded by the profile revision', async () => {
      const stepUp = await putStepUp({ userId: uid('learner') });
      const pending = (await grants.getStepUp(stepUp.stepUpId, T0))!;
      const next = learn(undefined, FEATURES, T0, 'trusted');
      expect(await grants.commitLearning({ stepUp: pending, next, expectedRevision: 0, now: T0 })).toBe('not_granted');
      await grants.grant({
        stepUpId: stepUp.stepUpId,
        subjectId: stepUp.userId,
        method: 'email_otp',
        challengeId: 'c',
        now: T0,
      });
      const granted = (await grants.getStepUp(stepUp.stepUpId, T0))!;
      const existing = learn(undefined, { ...FEATURES, deviceId: 'device-old' }, T0 - 1000, 'trusted');
      await client.send(
        new PutItemCommand({
          TableName: tables.risk,
          Item: {
            pk: { S: profileKey(stepUp.userId).pk },
            sk: { S: 'PROFILE' },
            profile: { S: JSON.stringify(existing) },
            revision: { N: '3' },
          },
        }),
      );
      expect(await grants.commitLearning({ stepUp: granted, next, expectedRevision: 2, now: T0 })).toBe(
        'profile_changed',
      );
      expect(await grants.loadProfile(stepUp.userId)).toEqual({ profile: existing, revision: 3 });
      expect(await grants.commitLearning({ stepUp: granted, next, expectedRevision: 3, now: T0 })).toBe('learned');
      expect(await grants.commitLearning({ stepUp: granted, next, expectedRevision: 4, now: T0 })).toBe(
        'already_learned',
      );
      expect(await grants.loadProfile(stepUp.userId)).toEqual({ profile: next, revision: 4 });
    });
  });

  describe('session approvals', () => {
    const approval = (id: string, o: { passwordVerified?: boolean; approvedAt?: number } = {}) => ({
      kind: 'sign_in' as const,
      id,
      userName: ALICE,
      passwordVerified: o.passwordVerified ?? true,
      stepUpId: 'su-x',
      approvedAt: o.approvedAt ?? T0,
    });
    const claim = (id: string, o: { userName?: string; now?: number } = {}) =>
      approvals.claimForTokens({
        kind: 'sign_in',
        id,
        userName: o.userName ?? ALICE,
        now: o.now ?? T0 + 1000,
        maxAgeMs: 60_000,
      });

    it('turns an approval into tokens once, for its user, while fresh; never again approves the same key', async () => {
      const id = uid('dec');
      expect(await claim(id)).toBeUndefined();
      expect(await approvals.approve(approval(id))).toBe(true);
      expect(await approvals.approve(approval(id))).toBe(true); // a retried Define
      expect(await approvals.findApproval({ kind: 'sign_in', id, now: T0 + 1000, maxAgeMs: 60_000 })).toMatchObject({
        userName: ALICE,
        passwordVerified: true,
        stepUpId: 'su-x',
      });
      expect(await claim(id, { userName: 'bob@example.com' })).toBeUndefined();
      expect(await claim(id, { now: T0 + 61_000 })).toBeUndefined();
      expect(await claim(id)).toMatchObject({ tokensIssuedAt: T0 + 1000 });
      expect(await claim(id)).toBeUndefined();
      // A second session under the same decision: refused, and the spent approval stays as it was.
      expect(await approvals.approve(approval(id, { passwordVerified: false, approvedAt: T0 + 2000 }))).toBe(false);
      expect(await approvals.findApproval({ kind: 'sign_in', id, now: T0 + 2000, maxAgeMs: 60_000 })).toMatchObject({
        passwordVerified: true,
        approvedAt: T0,
      });
      expect(await approvals.findApproval({ kind: 'step_up', id, now: T0 + 2000, maxAgeMs: 60_000 })).toBeUndefined();
    });

    it('race: of 10 parallel token claims on one approval, exactly one wins', async () => {
      const id = uid('dec');
      await approvals.approve(approval(id));
      const results = await Promise.all(Array.from({ length: 10 }, () => claim(id)));
      expect(results.filter(Boolean)).toHaveLength(1);
    });
  });

  describe('TOTP enrolments', () => {
    const SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
    const OTHER_SECRET = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
    const byStepUp = { kind: 'step_up', stepUpId: 'su-x', method: 'email_otp' } as const;

    async function grantFor(action = 'mfa.change'): Promise<StoredStepUp> {
      return putStepUp({ action, status: 'granted', grantedAt: T0 - 1000, revision: 1 });
    }
    const redemption = (stepUp: StoredStepUp) => ({ stepUpId: stepUp.stepUpId, expectedRevision: stepUp.revision });
    const start = (
      user: string,
      options: {
        secret?: string;
        replaces?: boolean;
        redemption?: { stepUpId: string; expectedRevision: number };
      } = {},
      on: DynamoDbAuthenticatorStore = authenticators,
    ) =>
      on.startTotpEnrolment({
        userId: user,
        secret: options.secret ?? SECRET,
        now: T0,
        pendingMs: 15 * 60_000,
        authorisation: byStepUp,
        replaces: options.replaces ?? false,
        ...(options.redemption ? { redemption: options.redemption } : {}),
      });
    const enrolled = (user: string, at: number): AuditEvent => ({
      eventId: `totp:${user}:enrolled:${at}`,
      kind: 'mfa.enrolled',
      actor: { type: 'user', id: `sub-${user}` },
      subject: user,
      action: 'totp.confirm',
      outcome: 'active',
      at: new Date(at).toISOString(),
      data: { method: 'totp' },
    });
    let auditLog: DynamoDbAuditLog;
    let audited: DynamoDbAuthenticatorStore;
    beforeAll(() => {
      auditLog = new DynamoDbAuditLog({ client, tableName: tables.audit, now: () => T0, writer: 'test-totp' });
      audited = new DynamoDbAuthenticatorStore(client, tables, {
        sealer: new AesGcmSealer(() => Promise.resolve(PEPPER)),
        audit: auditLog,
      });
    });
    const readItem = async (key: { pk: string; sk: string }) =>
      (await client.send(new GetItemCommand({ TableName: tables.risk, Key: { pk: { S: key.pk }, sk: { S: key.sk } } })))
        .Item;

    it('seals the secret at rest, bound to its user, pending and active alike', async () => {
      const user = uid('totp');
      await start(user);
      const raw = await readItem(totpKeys.pending(user));
      expect(JSON.stringify(raw)).not.toContain(SECRET);
      expect(await authenticators.getPendingTotp(user)).toMatchObject({
        secret: SECRET,
        confirmTries: 0,
        replaces: false,
      });
      // The same sealed value copied to another user's item does not open.
      const thief = uid('thief');
      await client.send(
        new PutItemCommand({
          TableName: tables.risk,
          Item: { ...raw!, pk: { S: totpKeys.pending(thief).pk } },
        }),
      );
      expect(await authenticators.getPendingTotp(thief)).toBeUndefined();
      const pending = (await authenticators.beginTotpConfirm(user, T0, 5))!;
      expect(await audited.activateTotp(pending, 100, T0, enrolled(user, T0))).toBe(true);
      expect(JSON.stringify(await readItem(totpKeys.active(user)))).not.toContain(SECRET);
      expect(await authenticators.getTotp(user)).toMatchObject({ secret: SECRET, status: 'active', lastTimeStep: 100 });
      expect(await authenticators.getPendingTotp(user)).toBeUndefined();
    });

    it('redeems a grant once: the second enrolment with it, even at the same instant, is refused', async () => {
      const stepUp = await grantFor();
      const [a, b] = [uid('race'), uid('race')];
      const results = await Promise.all([
        start(a, { redemption: redemption(stepUp) }),
        start(b, { redemption: redemption(stepUp) }),
      ]);
      expect(results.sort()).toEqual(['grant_used', 'started']);
      const pendings = await Promise.all([authenticators.getPendingTotp(a), authenticators.getPendingTotp(b)]);
      expect(pendings.filter(Boolean)).toHaveLength(1);
      const spent = await grants.getStepUp(stepUp.stepUpId, T0);
      expect(spent).toMatchObject({ consumed: true, revision: stepUp.revision + 1 });
      expect(await start(a, { redemption: redemption(stepUp) })).toBe('grant_used');
      expect(await start(a, { redemption: { stepUpId: stepUp.stepUpId, expectedRevision: spent!.revision } })).toBe(
        'grant_used',
      );
      // The decision API sees it spent too.
      const decisions = new DynamoDbDecisionStore(client, tables, { globalKeys: () => ({}) });
      expect(
        (
          await decisions.load({
            userId: ALICE,
            features: FEATURES,
            velocityKeys: { ip: FEATURES.ip },
            stepUpId: stepUp.stepUpId,
            includePolicy: false,
            now: T0,
          })
        ).stepUp?.consumed,
      ).toBe(true);
    });

    it('redeems for a change a grant the decision API already consumed (single use), once', async () => {
      const stepUp = await putStepUp({
        action: 'mfa.change',
        status: 'granted',
        grantedAt: T0 - 1000,
        consumed: true,
        revision: 2,
      });
      const user = uid('after-decision');
      expect(await start(user, { redemption: redemption(stepUp) })).toBe('started');
      expect(await grants.getStepUp(stepUp.stepUpId, T0)).toMatchObject({
        consumed: true,
        changeRedeemedAt: T0,
        revision: 3,
      });
      expect(await start(user, { redemption: { stepUpId: stepUp.stepUpId, expectedRevision: 3 } })).toBe('grant_used');
    });

    it('refuses a grant that changed since it was read, or was never granted', async () => {
      const stepUp = await grantFor();
      expect(await start(uid('stale'), { redemption: { stepUpId: stepUp.stepUpId, expectedRevision: 0 } })).toBe(
        'grant_used',
      );
      const pending = await putStepUp({ action: 'mfa.change' });
      expect(await start(uid('pending'), { redemption: redemption(pending) })).toBe('grant_used');
      expect((await grants.getStepUp(stepUp.stepUpId, T0))?.consumed).toBe(false);
    });

    it('starts a first enrolment only while there is no active authenticator, and a replacement only while there is', async () => {
      const user = uid('totp');
      expect(await start(user, { replaces: true })).toBe('changed');
      expect(await start(user)).toBe('started');
      const pending = (await authenticators.beginTotpConfirm(user, T0, 5))!;
      expect(await audited.activateTotp(pending, 100, T0, enrolled(user, T0))).toBe(true);
      // A confirmed enrolment cannot be activated twice.
      expect(await audited.activateTotp(pending, 101, T0 + 1, enrolled(user, T0 + 1))).toBe(false);

      const stepUp = await grantFor();
      expect(await start(user, { secret: OTHER_SECRET, redemption: redemption(stepUp) })).toBe('changed');
      expect((await grants.getStepUp(stepUp.stepUpId, T0))?.consumed).toBe(false);
      expect(await start(user, { secret: OTHER_SECRET, replaces: true, redemption: redemption(stepUp) })).toBe(
        'started',
      );
      // The old authenticator answers until the new one is confirmed.
      expect(await authenticators.getTotp(user)).toMatchObject({ status: 'active', secret: SECRET });
      const replacing = (await authenticators.beginTotpConfirm(user, T0, 5))!;
      expect(replacing).toMatchObject({ replaces: true, authorisation: byStepUp });
      expect(await audited.activateTotp(replacing, 200, T0 + 2, enrolled(user, T0 + 2))).toBe(true);
      expect(await authenticators.getTotp(user)).toMatchObject({
        status: 'active',
        secret: OTHER_SECRET,
        lastTimeStep: 200,
      });
    });

    it('counts confirmation tries, expires pending enrolments, and refuses reused time steps', async () => {
      const user = uid('totp');
      await start(user);
      for (let i = 0; i < 5; i += 1)
        expect(await authenticators.beginTotpConfirm(user, T0, 5)).toMatchObject({ confirmTries: i + 1 });
      expect(await authenticators.beginTotpConfirm(user, T0, 5)).toBeUndefined();
      await start(user); // a fresh pending one
      expect(await authenticators.beginTotpConfirm(user, T0 + 15 * 60_000, 5)).toBeUndefined();
      const pending = (await authenticators.beginTotpConfirm(user, T0, 5))!;
      expect(await audited.activateTotp(pending, 100, T0 + 15 * 60_000, enrolled(user, T0))).toBe(false);
      expect(await audited.activateTotp(pending, 100, T0, enrolled(user, T0 + 5))).toBe(true);
      expect(await authenticators.useTimeStep(user, 100)).toBe(false);
      expect(await authenticators.useTimeStep(user, 101)).toBe(true);
      expect(await authenticators.useTimeStep(user, 101)).toBe(false);
      const both = await Promise.all([authenticators.useTimeStep(user, 102), authenticators.useTimeStep(user, 102)]);
      expect(both.filter(Boolean)).toHaveLength(1);
      expect(await authenticators.getTotp(user)).toMatchObject({ status: 'active', lastTimeStep: 102 });
    });

    it('never confirms an enrolment left pending by the earlier layout (started without a step-up)', async () => {
      const user = uid('legacy');
      await client.send(
        new PutItemCommand({
          TableName: tables.risk,
          Item: {
            pk: { S: totpKeys.active(user).pk },
            sk: { S: totpKeys.active(user).sk },
            status: { S: 'pending' },
            sealedSecret: { S: await new AesGcmSealer(() => Promise.resolve(PEPPER)).seal(SECRET, `totp:${user}`) },
            createdAt: { N: String(T0) },
            pendingUntil: { N: String(T0 + 15 * 60_000) },
            confirmTries: { N: '0' },
          },
        }),
      );
      expect(await authenticators.getTotp(user)).toMatchObject({ status: 'pending' });
      expect(await authenticators.beginTotpConfirm(user, T0, 5)).toBeUndefined();
      expect(await authenticators.useTimeStep(user, 100)).toBe(false);
    });

    it('removes an active authenticator with a grant, once, atomically with its audit records', async () => {
      const user = uid('remove');
      await start(user);
      await audited.activateTotp((await authenticators.beginTotpConfirm(user, T0, 5))!, 100, T0, enrolled(user, T0));
      const removal = (at: number): AuditEvent => ({
        ...enrolled(user, at),
        eventId: `totp:${user}:removed:${at}`,
        kind: 'mfa.removed',
        outcome: 'removed',
      });
      const stepUp = await grantFor();
      const results = await Promise.all([
        audited.removeTotp({ userId: user, now: T0, redemption: redemption(stepUp), audit: [removal(T0)] }),
        audited.removeTotp({ userId: user, now: T0 + 1, redemption: redemption(stepUp), audit: [removal(T0 + 1)] }),
      ]);
      expect(results.sort()).toEqual(['grant_used', 'removed']);
      expect(await authenticators.getTotp(user)).toBeUndefined();
      const spare = await grantFor();
      expect(
        await audited.removeTotp({
          userId: user,
          now: T0 + 2,
          redemption: redemption(spare),
          audit: [removal(T0 + 2)],
        }),
      ).toBe('not_enrolled');
      expect((await grants.getStepUp(spare.stepUpId, T0))?.consumed).toBe(false);
      const { records } = await new DynamoDbAuditReader({
        client,
        tableName: tables.audit,
        now: () => T0,
      }).exportRecords({
        from: T0 - 1,
        to: T0 + 10,
        subject: user,
      });
      expect(records.map((r) => r.event.kind).sort()).toEqual(['mfa.enrolled', 'mfa.removed']);
    });

    it('activates an enrolment if and only if its audit record is written (one transaction)', async () => {
      const user = uid('audited');
      await start(user, {}, audited);
      expect(
        await audited.activateTotp((await audited.beginTotpConfirm(user, T0, 5))!, 100, T0, enrolled(user, T0)),
      ).toBe(true);
      const { records } = await new DynamoDbAuditReader({
        client,
        tableName: tables.audit,
        now: () => T0,
      }).exportRecords({ from: T0 - 1, to: T0 + 1, subject: user });
      expect(records.map((r) => [r.event.kind, r.event.subject, r.event.actor.id])).toEqual([
        ['mfa.enrolled', user, `sub-${user}`],
      ]);

      // An audit append that keeps being rejected (every chain this writer picks has moved on) fails the activation
      // and leaves the enrolment pending.
      const forked = new DynamoDbAuditLog({
        client,
        tableName: tables.audit,
        writer: 'test',
        newChainId: () => 'taken',
      });
      await client.send(
        new PutItemCommand({
          TableName: tables.audit,
          Item: { pk: { S: 'CHAIN#taken' }, sk: { S: 'HEAD' }, seq: { N: '3' }, hash: { S: 'a'.repeat(64) } },
        }),
      );
      const failing = new DynamoDbAuthenticatorStore(client, tables, {
        sealer: new AesGcmSealer(() => Promise.resolve(PEPPER)),
        audit: forked,
      });
      const other = uid('unaudited');
      await start(other, {}, failing);
      const pending = (await failing.beginTotpConfirm(other, T0, 5))!;
      await expect(failing.activateTotp(pending, 100, T0, enrolled(other, T0))).rejects.toThrow(
        /Transaction cancelled/,
      );
      expect(await failing.getTotp(other)).toBeUndefined();
      expect(await failing.getPendingTotp(other)).toMatchObject({ confirmTries: 1 });

      // A chain that moved on once: the activation is tried again on a new chain and lands, recorded once.
      const chains = ['taken', 'fresh-chain'];
      const recovering = new DynamoDbAuthenticatorStore(client, tables, {
        sealer: new AesGcmSealer(() => Promise.resolve(PEPPER)),
        audit: new DynamoDbAuditLog({
          client,
          tableName: tables.audit,
          writer: 'test',
          newChainId: () => chains.shift()!,
        }),
      });
      const third = uid('recovered');
      await start(third, {}, recovering);
      const thirdPending = (await recovering.beginTotpConfirm(third, T0, 5))!;
      expect(await recovering.activateTotp(thirdPending, 100, T0, enrolled(third, T0))).toBe(true);
      expect(chains).toEqual([]);
      const recovered = await new DynamoDbAuditReader({
        client,
        tableName: tables.audit,
        now: () => T0,
      }).exportRecords({ from: T0 - 1, to: T0 + 1, subject: third });
      expect(recovered.records.map((r) => [r.event.kind, r.chain])).toEqual([['mfa.enrolled', 'fresh-chain']]);
    });
  });

  it("keeps its keys out of the decision API's profile key space", () => {
    expect(failureBudgetKey(ALICE)).not.toEqual(profileKey(ALICE));
    expect(totpKeys.active(ALICE)).not.toEqual(profileKey(ALICE));
    expect(totpKeys.pending(ALICE)).not.toEqual(profileKey(ALICE));
    expect(totpKeys.pending(ALICE)).not.toEqual(totpKeys.active(ALICE));
  });
});
