import type {
  CreateAuthChallengeTriggerEvent,
  DefineAuthChallengeTriggerEvent,
  PostAuthenticationTriggerEvent,
  PreTokenGenerationV2TriggerEvent,
  VerifyAuthChallengeResponseTriggerEvent,
} from 'aws-lambda';
import { JoseTokenVerifier } from '../../../lambdas/adapters/jose-token-verifier';
import type { AuditEvent } from '../../../lambdas/core/audit/audit-event';
import type { RequestFeatures, UserProfile } from '../../../lambdas/core/risk/types';
import {
  assessAttempt,
  assessResend,
  EMPTY_USER_FAILURE_BUDGET,
  isUserLocked,
  recordUserFailure,
  type ResendAssessment,
  type StepUpMethod,
  type UserFailureBudgetState,
} from '../../../lambdas/core/step-up/challenge-policy';
import { signDecisionToken, type Decision } from '../../../lambdas/core/step-up/decision-token';
import type { SessionEntry } from '../../../lambdas/core/step-up/define-auth-challenge';
import { buildCreateAuthChallengeHandler } from '../../../lambdas/handlers/triggers/create-auth-challenge';
import { buildDefineAuthChallengeHandler } from '../../../lambdas/handlers/triggers/define-auth-challenge';
import { buildPostAuthenticationHandler } from '../../../lambdas/handlers/triggers/post-authentication';
import { buildPreTokenGenerationHandler } from '../../../lambdas/handlers/triggers/pre-token-generation';
import { StepUpBindingResolver } from '../../../lambdas/handlers/triggers/step-up-binding';
import type { DecisionTokenSettings, TokenVerifierProvider } from '../../../lambdas/handlers/triggers/trigger-support';
import { buildVerifyAuthChallengeHandler } from '../../../lambdas/handlers/triggers/verify-auth-challenge';
import { LocalIssuer } from '../../../lambdas/local/local-issuer';
import type { LocalUser } from '../../../lambdas/local/local-identities';
import type { AppendResult, AuditLog } from '../../../lambdas/ports/audit-log';
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
} from '../../../lambdas/ports/challenge-store';
import { CodeDeliveryError, type CodeSender, type OneTimeCodeMessage } from '../../../lambdas/ports/code-sender';
import { RecordingLog } from '../../support/recording-log';

/* eslint-disable @typescript-eslint/require-await -- in-memory fakes implementing async ports */

/** Event builders, an in-memory store with the adapter's semantics, and fakes, for the trigger unit tests. */

export const POOL = { region: 'us-east-1', userPoolId: 'us-east-1_Test', clientId: 'web-client' } as const;
export const ISSUER = `https://cognito-idp.${POOL.region}.amazonaws.com/${POOL.userPoolId}`;
export const DECISION_ISSUER = 'stepgate:test';
export const DECISION_KEY = new Uint8Array(32).fill(7);
export const PEPPER = 'unit-test-pepper-0123456789abcdef';
export const T0 = Date.parse('2026-11-29T10:00:00Z');

export interface TestUser {
  readonly userName: string;
  readonly sub: string;
  readonly attributes: Record<string, string>;
}

export const ALICE: TestUser = {
  userName: 'alice@example.com',
  sub: 'sub-alice',
  attributes: {
    sub: 'sub-alice',
    email: 'alice@example.com',
    email_verified: 'true',
    'cognito:user_status': 'CONFIRMED',
  },
};
export const BOB: TestUser = {
  userName: 'bob@example.com',
  sub: 'sub-bob',
  attributes: {
    sub: 'sub-bob',
    email: 'bob@example.com',
    email_verified: 'true',
    phone_number: '+12223334455',
    phone_number_verified: 'true',
    'cognito:user_status': 'CONFIRMED',
  },
};

function base<T extends string>(user: { userName: string }, triggerSource: T, version = '1') {
  return {
    version,
    region: POOL.region,
    userPoolId: POOL.userPoolId,
    userName: user.userName,
    callerContext: { awsSdkVersion: 'aws-sdk-unknown-unknown', clientId: POOL.clientId },
    triggerSource,
  };
}

export interface EventOptions {
  readonly user?: TestUser;
  readonly userNotFound?: boolean;
  readonly clientMetadata?: Record<string, string>;
}

const attrs = (o: EventOptions) => (o.userNotFound ? {} : { ...(o.user ?? ALICE).attributes });
const who = (o: EventOptions) => o.user ?? ALICE;

export function defineEvent(session: SessionEntry[], o: EventOptions = {}): DefineAuthChallengeTriggerEvent {
  return {
    ...base(who(o), 'DefineAuthChallenge_Authentication'),
    request: {
      userAttributes: attrs(o),
      session: session as DefineAuthChallengeTriggerEvent['request']['session'],
      ...(o.clientMetadata ? { clientMetadata: o.clientMetadata } : {}),
      userNotFound: o.userNotFound === true,
    },
    response: { issueTokens: false, failAuthentication: false },
  };
}

export function createEvent(session: SessionEntry[], o: EventOptions = {}): CreateAuthChallengeTriggerEvent {
  return {
    ...base(who(o), 'CreateAuthChallenge_Authentication'),
    request: {
      userAttributes: attrs(o),
      challengeName: 'CUSTOM_CHALLENGE',
      session: session as CreateAuthChallengeTriggerEvent['request']['session'],
      ...(o.clientMetadata ? { clientMetadata: o.clientMetadata } : {}),
      userNotFound: o.userNotFound === true,
    },
    response: { publicChallengeParameters: {}, privateChallengeParameters: {}, challengeMetadata: '' },
  };
}

export function verifyEvent(
  privateChallengeParameters: Record<string, string>,
  challengeAnswer: string,
  o: EventOptions = {},
): VerifyAuthChallengeResponseTriggerEvent {
  return {
    ...base(who(o), 'VerifyAuthChallengeResponse_Authentication'),
    request: {
      userAttributes: attrs(o),
      privateChallengeParameters,
      challengeAnswer,
      ...(o.clientMetadata ? { clientMetadata: o.clientMetadata } : {}),
      userNotFound: o.userNotFound === true,
    },
    response: { answerCorrect: false },
  };
}

export function preTokenEvent(o: EventOptions = {}): PreTokenGenerationV2TriggerEvent {
  const event: PreTokenGenerationV2TriggerEvent = {
    ...base(who(o), 'TokenGeneration_Authentication', '2'),
    request: {
      userAttributes: attrs(o),
      groupConfiguration: { groupsToOverride: [], iamRolesToOverride: [] },
      scopes: ['aws.cognito.signin.user.admin'],
      ...(o.clientMetadata ? { clientMetadata: o.clientMetadata } : {}),
    },
    response: { claimsAndScopeOverrideDetails: {} },
  };
  return event;
}

export function postAuthEvent(o: EventOptions = {}): PostAuthenticationTriggerEvent {
  const event: PostAuthenticationTriggerEvent = {
    ...base(who(o), 'PostAuthentication_Authentication'),
    request: {
      userAttributes: attrs(o),
      newDeviceUsed: false,
      ...(o.clientMetadata ? { clientMetadata: o.clientMetadata } : {}),
    },
    response: {},
  };
  return event;
}

/** Cognito's own password check, passed: how a sign-in session starts. */
export const PASSWORD_PROVEN: readonly SessionEntry[] = [
  { challengeName: 'SRP_A', challengeResult: true },
  { challengeName: 'PASSWORD_VERIFIER', challengeResult: true },
];

export const CONTEXT_OK: SessionEntry = {
  challengeName: 'CUSTOM_CHALLENGE',
  challengeResult: true,
  challengeMetadata: 'CONTEXT',
};
export const codeEntry = (id: string, ok: boolean): SessionEntry => ({
  challengeName: 'CUSTOM_CHALLENGE',
  challengeResult: ok,
  challengeMetadata: `CODE:${id}`,
});

export const FEATURES: RequestFeatures = {
  ip: '203.0.113.7',
  deviceId: 'device-new',
  geo: { kind: 'public', country: 'DE', region: 'BE', city: 'Berlin', lat: 52.5, lon: 13.4 },
  device: {
    uaFamily: 'Firefox',
    browserMajor: '121',
    os: 'Windows',
    deviceType: 'desktop',
    isBot: false,
    isHeadless: false,
    isCli: false,
  },
};

export function pendingStepUp(overrides: Partial<StepUpRecord> = {}): StepUpRecord {
  return {
    stepUpId: 'su-1',
    userId: ALICE.userName,
    action: 'payment.transfer',
    decisionId: 'dec-1',
    acr: 'urn:stepgate:acr:otp',
    methods: ['email_otp', 'sms_otp', 'totp'],
    maxAgeSeconds: 300,
    status: 'pending',
    createdAt: T0,
    expiresAt: T0 + 10 * 60_000,
    consumed: false,
    deviceId: 'device-new',
    features: FEATURES,
    revision: 0,
    resends: 0,
    ...overrides,
  };
}

/** The DynamoDB adapter's semantics, in memory: same conditions, evaluated with the core's reference functions. */
export class MemoryStepUpStore implements ChallengeStore, StepUpGrantStore, AuthenticatorStore, SessionApprovalStore {
  readonly challenges = new Map<string, StoredChallenge>();
  readonly approvals = new Map<string, SessionApproval>();
  readonly budgets = new Map<string, UserFailureBudgetState>();
  readonly stepUps = new Map<string, StepUpRecord>();
  readonly totps = new Map<string, TotpEnrollment>();
  readonly profiles = new Map<string, { profile?: UserProfile; revision: number }>();
  readonly velocityFailures = new Map<string, number>();
  /** Every call throws while set: a store outage. */
  broken = false;
  readonly calls: string[] = [];

  private touch(name: string): void {
    this.calls.push(name);
    if (this.broken) throw new Error('store unreachable');
  }

  async putChallenge(challenge: StoredChallenge): Promise<void> {
    this.touch('putChallenge');
    if (this.challenges.has(challenge.challengeId)) throw new Error('exists');
    this.challenges.set(challenge.challengeId, { ...challenge });
  }

  async getChallenge(id: string): Promise<StoredChallenge | undefined> {
    this.touch('getChallenge');
    const c = this.challenges.get(id);
    return c ? { ...c } : undefined;
  }

  async beginAttempt(id: string, userId: string, now: number): Promise<AttemptResult> {
    this.touch('beginAttempt');
    const c = this.challenges.get(id);
    if (!c) return { ok: false, reason: 'not_found' };
    if (c.userId !== userId) return { ok: false, reason: 'wrong_user' };
    const verdict = assessAttempt(c, this.budgets.get(userId) ?? EMPTY_USER_FAILURE_BUDGET, now);
    if (!verdict.allowed) return { ok: false, reason: verdict.reason };
    const counted = { ...c, tries: c.tries + 1 };
    this.challenges.set(id, counted);
    return { ok: true, challenge: { ...counted } };
  }

  async markUsed(id: string, userId: string, now: number): Promise<boolean> {
    this.touch('markUsed');
    const c = this.challenges.get(id);
    if (!c || c.userId !== userId || c.usedAt !== undefined) return false;
    this.challenges.set(id, { ...c, usedAt: now });
    return true;
  }

  async failureBudget(userId: string): Promise<UserFailureBudgetState> {
    this.touch('failureBudget');
    return this.budgets.get(userId) ?? { failures: 0 };
  }

  async recordFailure(userId: string, subjectId: string, now: number): Promise<UserFailureBudgetState> {
    this.touch('recordFailure');
    const next = recordUserFailure(this.budgets.get(userId) ?? EMPTY_USER_FAILURE_BUDGET, now);
    this.budgets.set(userId, next);
    this.velocityFailures.set(subjectId, (this.velocityFailures.get(subjectId) ?? 0) + 1);
    return next;
  }

  isLocked(userId: string, now: number): boolean {
    return isUserLocked(this.budgets.get(userId) ?? EMPTY_USER_FAILURE_BUDGET, now);
  }

  async getStepUp(id: string): Promise<StepUpRecord | undefined> {
    this.touch('getStepUp');
    const s = this.stepUps.get(id);
    return s ? { ...s } : undefined;
  }

  async claimSend(id: string, now: number, challengeId: string): Promise<ResendAssessment> {
    this.touch('claimSend');
    const s = this.stepUps.get(id);
    if (!s || s.status !== 'pending') return { allowed: false, reason: 'too_many_resends' };
    const verdict = assessResend(
      { resends: s.resends, ...(s.lastSentAt !== undefined ? { lastSentAt: s.lastSentAt } : {}) },
      now,
    );
    if (!verdict.allowed) return verdict;
    this.stepUps.set(id, {
      ...s,
      lastSentAt: now,
      lastChallengeId: challengeId,
      resends: s.lastSentAt === undefined ? 0 : s.resends + 1,
    });
    return verdict;
  }

  async grant(input: GrantInput): Promise<StepUpRecord | undefined> {
    this.touch('grant');
    const s = this.stepUps.get(input.stepUpId);
    if (!s || s.status !== 'pending' || !(s.expiresAt > input.now) || s.userId !== input.subjectId) return undefined;
    const granted: StepUpRecord = {
      ...s,
      status: 'granted',
      grantedAt: input.now,
      grantedMethod: input.method,
      grantedChallengeId: input.challengeId,
      revision: s.revision + 1,
    };
    this.stepUps.set(s.stepUpId, granted);
    return { ...granted };
  }

  async claimTokenClaims(input: { stepUpId: string; subjectIds: readonly string[]; now: number; maxAgeMs: number }) {
    this.touch('claimTokenClaims');
    const s = this.stepUps.get(input.stepUpId);
    if (
      !s ||
      s.status !== 'granted' ||
      s.grantedAt === undefined ||
      s.grantedAt < input.now - input.maxAgeMs ||
      s.grantedAt > input.now ||
      s.claimsIssuedAt !== undefined ||
      !input.subjectIds.includes(s.userId)
    ) {
      return undefined;
    }
    const next = { ...s, claimsIssuedAt: input.now };
    this.stepUps.set(s.stepUpId, next);
    return { ...next };
  }

  async approve(approval: SessionApproval): Promise<boolean> {
    this.touch('approve');
    const key = `${approval.kind}#${approval.id}`;
    if (this.approvals.get(key)?.tokensIssuedAt !== undefined) return false;
    this.approvals.set(key, { ...approval });
    return true;
  }

  async claimForTokens(input: {
    kind: SessionApproval['kind'];
    id: string;
    userName: string;
    now: number;
    maxAgeMs: number;
  }): Promise<SessionApproval | undefined> {
    this.touch('claimForTokens');
    const key = `${input.kind}#${input.id}`;
    const a = this.approvals.get(key);
    if (
      !a ||
      a.tokensIssuedAt !== undefined ||
      a.userName !== input.userName ||
      a.approvedAt < input.now - input.maxAgeMs ||
      a.approvedAt > input.now
    ) {
      return undefined;
    }
    const next = { ...a, tokensIssuedAt: input.now };
    this.approvals.set(key, next);
    return { ...next };
  }

  async findApproval(input: {
    kind: SessionApproval['kind'];
    id: string;
    now: number;
    maxAgeMs: number;
  }): Promise<SessionApproval | undefined> {
    this.touch('findApproval');
    const a = this.approvals.get(`${input.kind}#${input.id}`);
    if (!a || a.approvedAt < input.now - input.maxAgeMs || a.approvedAt > input.now) return undefined;
    return { ...a };
  }

  async loadProfile(subjectId: string): Promise<{ profile?: UserProfile; revision: number }> {
    this.touch('loadProfile');
    return this.profiles.get(subjectId) ?? { revision: 0 };
  }

  /** Set to make the next commits see a concurrent profile change. */
  profileConflicts = 0;

  async commitLearning(input: {
    stepUp: StepUpRecord;
    next: UserProfile;
    expectedRevision: number;
    now: number;
  }): Promise<LearningResult> {
    this.touch('commitLearning');
    const s = this.stepUps.get(input.stepUp.stepUpId);
    if (!s || s.status !== 'granted' || s.userId !== input.stepUp.userId) return 'not_granted';
    if (s.learnedAt !== undefined) return 'already_learned';
    if (this.profileConflicts > 0) {
      this.profileConflicts -= 1;
      const current = this.profiles.get(s.userId) ?? { revision: 0 };
      this.profiles.set(s.userId, { ...current, revision: current.revision + 1 });
      return 'profile_changed';
    }
    const current = this.profiles.get(s.userId) ?? { revision: 0 };
    if (current.revision !== input.expectedRevision) return 'profile_changed';
    this.profiles.set(s.userId, { profile: input.next, revision: input.expectedRevision + 1 });
    this.stepUps.set(s.stepUpId, { ...s, learnedAt: input.now });
    return 'learned';
  }

  async getTotp(userId: string): Promise<TotpEnrollment | undefined> {
    this.touch('getTotp');
    const t = this.totps.get(userId);
    return t ? { ...t } : undefined;
  }

  readonly pendingTotps = new Map<string, PendingTotp>();
  /** Audit events committed with changes of authenticators (the real store writes them in the same transaction). */
  readonly changeAudits: AuditEvent[] = [];

  /** The redemption condition of the adapter: granted, not yet redeemed for a change, unchanged since it was read. */
  private redeemable(redemption: GrantRedemption | undefined): boolean {
    if (!redemption) return true;
    const s = this.stepUps.get(redemption.stepUpId);
    return (
      !!s && s.status === 'granted' && s.changeRedeemedAt === undefined && s.revision === redemption.expectedRevision
    );
  }

  private redeem(redemption: GrantRedemption | undefined, now: number): void {
    if (!redemption) return;
    const s = this.stepUps.get(redemption.stepUpId)!;
    this.stepUps.set(s.stepUpId, { ...s, consumed: true, changeRedeemedAt: now, revision: s.revision + 1 });
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
    this.touch('startTotpEnrolment');
    if (!this.redeemable(input.redemption)) return 'grant_used';
    if ((this.totps.get(input.userId)?.status === 'active') !== input.replaces) return 'changed';
    this.redeem(input.redemption, input.now);
    if (input.audit) this.changeAudits.push(input.audit);
    this.pendingTotps.set(input.userId, {
      userId: input.userId,
      secret: input.secret,
      createdAt: input.now,
      pendingUntil: input.now + input.pendingMs,
      confirmTries: 0,
      authorisation: input.authorisation,
      replaces: input.replaces,
    });
    return 'started';
  }

  async getPendingTotp(userId: string): Promise<PendingTotp | undefined> {
    this.touch('getPendingTotp');
    const p = this.pendingTotps.get(userId);
    return p ? { ...p } : undefined;
  }

  async beginTotpConfirm(userId: string, now: number, maxTries: number): Promise<PendingTotp | undefined> {
    this.touch('beginTotpConfirm');
    const p = this.pendingTotps.get(userId);
    if (!p || !(p.pendingUntil > now) || p.confirmTries >= maxTries) return undefined;
    const next = { ...p, confirmTries: p.confirmTries + 1 };
    this.pendingTotps.set(userId, next);
    return { ...next };
  }

  async activateTotp(pending: PendingTotp, timeStep: number, now: number, audit: AuditEvent): Promise<boolean> {
    this.touch('activateTotp');
    const p = this.pendingTotps.get(pending.userId);
    if (!p || p.createdAt !== pending.createdAt || !(p.pendingUntil > now)) return false;
    this.pendingTotps.delete(pending.userId);
    this.changeAudits.push(audit);
    this.totps.set(pending.userId, {
      userId: pending.userId,
      secret: p.secret,
      status: 'active',
      createdAt: p.createdAt,
      confirmTries: p.confirmTries,
      lastTimeStep: timeStep,
      confirmedAt: now,
    });
    return true;
  }

  async removeTotp(input: {
    userId: string;
    now: number;
    redemption: GrantRedemption;
    audit: readonly AuditEvent[];
  }): Promise<'removed' | 'grant_used' | 'not_enrolled'> {
    this.touch('removeTotp');
    if (!this.redeemable(input.redemption)) return 'grant_used';
    if (this.totps.get(input.userId)?.status !== 'active') return 'not_enrolled';
    this.redeem(input.redemption, input.now);
    this.changeAudits.push(...input.audit);
    this.totps.delete(input.userId);
    return 'removed';
  }

  async useTimeStep(userId: string, timeStep: number): Promise<boolean> {
    this.touch('useTimeStep');
    const t = this.totps.get(userId);
    if (!t || t.status !== 'active' || (t.lastTimeStep !== undefined && t.lastTimeStep >= timeStep)) return false;
    this.totps.set(userId, { ...t, lastTimeStep: timeStep });
    return true;
  }
}

export class RecordingSender implements CodeSender {
  readonly sent: OneTimeCodeMessage[] = [];
  failing = false;

  async send(message: OneTimeCodeMessage): Promise<void> {
    if (this.failing) throw new CodeDeliveryError(message.channel);
    this.sent.push(message);
  }
}

export class RecordingAudit implements AuditLog {
  readonly events: AuditEvent[] = [];
  private readonly ids = new Set<string>();

  async append(event: AuditEvent): Promise<AppendResult> {
    if (this.ids.has(event.eventId)) return 'duplicate';
    this.ids.add(event.eventId);
    this.events.push(event);
    return 'appended';
  }
}

/** A user-pool stand-in: signs access tokens like Cognito's and verifies them for the triggers. */
let sharedIssuer: Promise<LocalIssuer> | undefined;

export async function testPool(clock: () => number) {
  // RSA key generation takes most of a second: one issuer per test file is plenty.
  const issuer = await (sharedIssuer ??= LocalIssuer.create(ISSUER));
  const verifiers = new Map<string, JoseTokenVerifier>();
  const accessTokens: TokenVerifierProvider = ({ region, userPoolId, clientId }) => {
    const iss = `https://cognito-idp.${region}.amazonaws.com/${userPoolId}`;
    const key = `${iss}|${clientId}`;
    let verifier = verifiers.get(key);
    if (!verifier) {
      verifier = new JoseTokenVerifier({
        issuer: iss,
        audiences: [clientId],
        jwks: issuer.jwks(),
        tokenUse: 'access',
        now: clock,
      });
      verifiers.set(key, verifier);
    }
    return verifier;
  };
  const accessTokenOf = async (user: TestUser, clientId: string = POOL.clientId) => {
    const local: LocalUser = { username: user.userName, sub: user.sub, password: 'x', groups: [], attributes: {} };
    return (await issuer.userTokens(local, clientId, Math.floor(clock() / 1000))).AccessToken;
  };
  return { issuer, accessTokens, accessTokenOf };
}

export const decisionTokens: DecisionTokenSettings = { issuer: DECISION_ISSUER, key: async () => DECISION_KEY };

export function decisionTokenFor(
  user: string,
  decision: Decision,
  now: number,
  opts: { stepUpId?: string; key?: Uint8Array; issuer?: string } = {},
): Promise<string> {
  return signDecisionToken(
    {
      sub: user,
      decisionId: 'dec-1',
      decision,
      action: 'auth.sign_in',
      ...(opts.stepUpId ? { stepUpId: opts.stepUpId } : {}),
      score: 42,
      policyVersion: 1,
    },
    opts.key ?? DECISION_KEY,
    { issuer: opts.issuer ?? DECISION_ISSUER, now, alg: 'HS256' },
  );
}

/** All five triggers on one in-memory store, with a settable clock and a fixed code. */
export async function triggerHarness(options: { code?: string } = {}) {
  const state = { now: T0 };
  const clock = () => state.now;
  const store = new MemoryStepUpStore();
  const sender = new RecordingSender();
  const audit = new RecordingAudit();
  const pool = await testPool(clock);
  const digits = (options.code ?? '123456').split('').map(Number);
  let draw = 0;
  let ids = 0;
  const sleeps: number[] = [];
  const verifications: ('pass' | 'fail')[] = [];
  const binding = new StepUpBindingResolver({
    stepUps: store,
    challenges: store,
    accessTokens: pool.accessTokens,
    decisionTokens,
  });
  // Everything the triggers log, to check that no code, token or secret ever appears in it.
  const recorded = new RecordingLog();
  const logs = recorded.lines;
  const quiet = recorded;
  const common = { clock, audit, log: quiet };
  return {
    state,
    logs,
    store,
    sender,
    audit,
    pool,
    sleeps,
    verifications,
    binding,
    define: buildDefineAuthChallengeHandler({
      clock,
      decisionTokens,
      accessTokens: pool.accessTokens,
      approvals: store,
      log: quiet,
    }),
    create: buildCreateAuthChallengeHandler({
      ...common,
      challenges: store,
      stepUps: store,
      binding,
      codeSender: sender,
      pepper: async () => PEPPER,
      // Code digits come from the fixed code; decoy jitter draws (bound 501) get 250.
      randomInt: (max: number) => (max === 10 ? (digits[draw++ % digits.length] as number) : Math.floor(max / 2)),
      newChallengeId: () => `ch-${++ids}`,
      sleep: async (ms: number) => {
        sleeps.push(ms);
      },
    }),
    verify: buildVerifyAuthChallengeHandler({
      ...common,
      challenges: store,
      stepUps: store,
      totp: store,
      binding,
      pepper: async () => PEPPER,
      onVerification: (outcome) => verifications.push(outcome),
    }),
    preToken: buildPreTokenGenerationHandler({ clock, stepUps: store, approvals: store, decisionTokens, log: quiet }),
    postAuth: buildPostAuthenticationHandler({ ...common, stepUps: store, approvals: store, decisionTokens }),
  };
}

export type Harness = Awaited<ReturnType<typeof triggerHarness>>;

export async function stepUpMetadata(
  h: Harness,
  o: { user?: TestUser; tokenUser?: TestUser; stepUpId?: string; method?: StepUpMethod } = {},
): Promise<Record<string, string>> {
  return {
    stepUpId: o.stepUpId ?? 'su-1',
    accessToken: await h.pool.accessTokenOf(o.tokenUser ?? o.user ?? ALICE),
    method: o.method ?? 'email_otp',
  };
}
