import type { PreTokenGenerationV2TriggerEvent } from 'aws-lambda';
import { StepgateError } from '../../core/errors';
import type { SessionApproval, SessionApprovalStore, StepUpGrantStore } from '../../ports/challenge-store';
import type { Clock } from '../../ports/clock';
import type { Log } from '../../ports/log';
import { approvalKeyOf } from './step-up-binding';
import {
  AMR_BY_METHOD,
  STEP_UP_CLAIMS,
  userIdentifiers,
  type CognitoTrigger,
  type DecisionTokenSettings,
} from './trigger-support';

export interface PreTokenGenerationDependencies {
  readonly clock: Clock;
  readonly stepUps: Pick<StepUpGrantStore, 'claimTokenClaims'>;
  readonly approvals: Pick<SessionApprovalStore, 'claimForTokens'>;
  readonly decisionTokens: DecisionTokenSettings;
  /**
   * App clients whose sign-ins need no approval: only the local-only script client. Empty (the default) in AWS,
   * where every app client's sign-in runs through the custom-auth triggers.
   */
  readonly ungatedClientIds?: readonly string[];
  /**
   * How recent the grant must be. Cognito calls this trigger within the same RespondToAuthChallenge that passed
   * the code, so a minute covers its retries while a later, unrelated sign-in cannot pick the grant up.
   */
  readonly maxGrantAgeMs?: number;
  readonly log: Log;
}

export const DEFAULT_CLAIM_WINDOW_MS = 60_000;

/**
 * Thrown on purpose: Cognito fails the sign-in and relays this message (as UserLambdaValidationException), so it
 * is fixed and says nothing about why.
 */
export class SignInNotApprovedError extends StepgateError {
  constructor() {
    super('sign_in_not_approved', 'Sign-in could not be completed. Please start again.');
  }
}

/** JSON claim values, as the V2 event accepts them (the aws-lambda types only allow strings). */
export type StepUpClaims = Record<string, string | number | boolean | readonly string[]>;

type V2Response = { claimsAndScopeOverrideDetails: Record<string, unknown> | null };

/**
 * Pre token generation (V2 event: ID and access tokens), the last gate before tokens.
 *
 * A sign-in or step-up gets tokens only against Define Auth Challenge's approval of this very session (recorded
 * moments ago for this user, under the decision or step-up its ClientMetadata names, and turned into tokens once):
 * a sign-in through a flow that never ran the custom-auth triggers, or one whose ClientMetadata points nowhere,
 * fails here, store errors included. Refreshes pass (their refresh token came from such a sign-in).
 *
 * When the approved session passed a step-up, the tokens get `step_up_id`, `step_up_acr`, `step_up_amr` and
 * `step_up_at` (epoch seconds); the grant's claims are issued once (a conditional write). On any doubt about the
 * claims the tokens are issued without them: less assurance, never more.
 */
export class PreTokenGenerationService {
  private readonly log: Log;

  constructor(private readonly deps: PreTokenGenerationDependencies) {
    this.log = deps.log;
  }

  readonly handle: CognitoTrigger<PreTokenGenerationV2TriggerEvent> = async (event) => {
    // Whatever the event arrived with is replaced: only what this function decided goes back to Cognito.
    let response: V2Response = { claimsAndScopeOverrideDetails: null };
    const approval = await this.gate(event);
    try {
      const claims = approval?.stepUpId ? await this.claims(event, approval.stepUpId) : undefined;
      if (claims) {
        response = {
          claimsAndScopeOverrideDetails: {
            idTokenGeneration: { claimsToAddOrOverride: claims },
            accessTokenGeneration: { claimsToAddOrOverride: claims },
          },
        };
      }
    } catch (error) {
      this.log.error('pre token generation failed', { trigger: 'pre_token', error: (error as Error)?.name });
    }
    (event as unknown as { response: V2Response }).response = response;
    return event;
  };

  /** The approval these tokens are for; throws (Cognito fails the sign-in) when there is none. */
  private async gate(event: PreTokenGenerationV2TriggerEvent): Promise<SessionApproval | undefined> {
    if (event.triggerSource === 'TokenGeneration_RefreshTokens') return undefined;
    if (this.deps.ungatedClientIds?.includes(event.callerContext?.clientId)) return undefined;
    let approval: SessionApproval | undefined;
    try {
      const now = this.deps.clock();
      const key = await approvalKeyOf(event, this.deps.decisionTokens, now);
      approval = key
        ? await this.deps.approvals.claimForTokens({
            ...key,
            userName: event.userName,
            now,
            maxAgeMs: this.deps.maxGrantAgeMs ?? DEFAULT_CLAIM_WINDOW_MS,
          })
        : undefined;
    } catch (error) {
      this.log.error('pre token generation: approval lookup failed', {
        trigger: 'pre_token',
        error: (error as Error)?.name,
      });
    }
    this.log.info('pre token generation', {
      trigger: 'pre_token',
      outcome: approval ? 'approved' : 'refused',
      kind: approval?.kind,
    });
    if (!approval) throw new SignInNotApprovedError();
    return approval;
  }

  private async claims(event: PreTokenGenerationV2TriggerEvent, stepUpId: string): Promise<StepUpClaims | undefined> {
    const now = this.deps.clock();
    const grant = await this.deps.stepUps.claimTokenClaims({
      stepUpId,
      subjectIds: userIdentifiers(event),
      now,
      maxAgeMs: this.deps.maxGrantAgeMs ?? DEFAULT_CLAIM_WINDOW_MS,
    });
    this.log.info('pre token generation', {
      trigger: 'pre_token',
      stepUpId,
      outcome: grant ? 'claims_added' : 'no_fresh_grant',
    });
    if (!grant || grant.grantedAt === undefined || grant.grantedMethod === undefined) return undefined;
    return {
      [STEP_UP_CLAIMS.id]: grant.stepUpId,
      [STEP_UP_CLAIMS.acr]: grant.acr,
      [STEP_UP_CLAIMS.amr]: [...AMR_BY_METHOD[grant.grantedMethod]],
      [STEP_UP_CLAIMS.at]: Math.floor(grant.grantedAt / 1000),
    };
  }
}

export function buildPreTokenGenerationHandler(
  deps: PreTokenGenerationDependencies,
): CognitoTrigger<PreTokenGenerationV2TriggerEvent> {
  return new PreTokenGenerationService(deps).handle;
}
