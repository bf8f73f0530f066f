import type { PostAuthenticationTriggerEvent } from 'aws-lambda';
import { learn } from '../../core/risk/learning';
import { isPseudonym } from '../../core/risk/pseudonyms';
import type { AuditLog } from '../../ports/audit-log';
import type { LearningResult, SessionApprovalStore, StepUpGrantStore } from '../../ports/challenge-store';
import type { Clock } from '../../ports/clock';
import type { Log } from '../../ports/log';
import { grantIssuedEvent } from './step-up-audit';
import { approvalKeyOf } from './step-up-binding';
import {
  auditActor,
  recordAudit,
  userIdentifiers,
  type CognitoTrigger,
  type DecisionTokenSettings,
} from './trigger-support';

export interface PostAuthenticationDependencies {
  readonly clock: Clock;
  readonly stepUps: Pick<StepUpGrantStore, 'getStepUp' | 'loadProfile' | 'commitLearning'>;
  readonly approvals: Pick<SessionApprovalStore, 'findApproval'>;
  readonly decisionTokens: DecisionTokenSettings;
  readonly audit?: AuditLog;
  readonly onAuditFailure?: () => void;
  /** A grant older than this is not this sign-in's. */
  readonly maxGrantAgeMs?: number;
  readonly log: Log;
}

export const DEFAULT_LEARNING_WINDOW_MS = 5 * 60_000;

/**
 * Post authentication: a passed step-up is the proof asked for before a context becomes trusted, so the device,
 * network and place of the request that asked for the step-up are learned into the user's trusted profile. Only
 * for a session Define Auth Challenge approved that proved who the user is beyond the code: a sign-in that
 * verified the password in the same session, or a step-up of a user signed in with one (a verified access token);
 * a one-time code alone never teaches the profile (once per step-up: an optimistic write on the profile's revision, retried once, together with a
 * `learnedAt` mark on the step-up), and the grant's audit record is written (idempotent on the step-up id).
 *
 * Cognito fails the whole sign-in when this trigger throws, and everything here is bookkeeping after the user
 * proved who they are, so errors are logged and swallowed.
 */
export class PostAuthenticationService {
  private readonly log: Log;

  constructor(private readonly deps: PostAuthenticationDependencies) {
    this.log = deps.log;
  }

  readonly handle: CognitoTrigger<PostAuthenticationTriggerEvent> = async (event) => {
    try {
      await this.record(event);
    } catch (error) {
      this.log.error('post authentication failed', { trigger: 'post_auth', error: (error as Error)?.name });
    }
    return event;
  };

  private async record(event: PostAuthenticationTriggerEvent): Promise<void> {
    const now = this.deps.clock();
    const maxAge = this.deps.maxGrantAgeMs ?? DEFAULT_LEARNING_WINDOW_MS;
    const key = await approvalKeyOf(event, this.deps.decisionTokens, now);
    const approval = key ? await this.deps.approvals.findApproval({ ...key, now, maxAgeMs: maxAge }) : undefined;
    const stepUpId = approval?.stepUpId;
    if (!approval || !stepUpId || approval.userName !== event.userName) return;
    if (approval.kind === 'sign_in' && !approval.passwordVerified) {
      this.log.info('post authentication', { trigger: 'post_auth', stepUpId, outcome: 'no_password' });
      return;
    }
    const stepUp = await this.deps.stepUps.getStepUp(stepUpId, now);
    if (
      !stepUp ||
      stepUp.status !== 'granted' ||
      stepUp.grantedAt === undefined ||
      !userIdentifiers(event).includes(stepUp.userId) ||
      now - stepUp.grantedAt > maxAge
    ) {
      this.log.info('post authentication', { trigger: 'post_auth', stepUpId, outcome: 'no_fresh_grant' });
      return;
    }

    let result: LearningResult | 'raw_context_not_learned' = 'already_learned';
    // The step-up stored its context in the form the privacy setting had when it was asked for.
    const pseudonymous = isPseudonym(stepUp.features.ip);
    if (stepUp.learnedAt === undefined) {
      for (let attempt = 0; attempt < 2; attempt += 1) {
        const { profile, revision } = await this.deps.stepUps.loadProfile(stepUp.userId);
        // A step-up asked for before the privacy setting was switched on must not write its raw identifiers into a
        // profile that decisions have since pseudonymized; the user simply proves this context again later.
        if (profile?.pseudonymous === true && !pseudonymous) {
          result = 'raw_context_not_learned';
          break;
        }
        // The context was observed when the step-up was asked for, so it is learned at that time.
        const learned = learn(profile, stepUp.features, stepUp.createdAt, 'trusted');
        const next = pseudonymous ? { ...learned, pseudonymous: true as const } : learned;
        result = await this.deps.stepUps.commitLearning({
          stepUp,
          next,
          expectedRevision: revision,
          now,
          ...(profile ? { previous: profile } : {}),
        });
        if (result !== 'profile_changed') break;
      }
    }
    await recordAudit(
      this.deps.audit,
      grantIssuedEvent({ actor: auditActor(event), stepUp }),
      this.log,
      this.deps.onAuditFailure,
    );
    this.log.info('post authentication', { trigger: 'post_auth', stepUpId, outcome: result });
  }
}

export function buildPostAuthenticationHandler(
  deps: PostAuthenticationDependencies,
): CognitoTrigger<PostAuthenticationTriggerEvent> {
  return new PostAuthenticationService(deps).handle;
}
