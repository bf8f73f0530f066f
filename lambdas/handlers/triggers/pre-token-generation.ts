import type { PreTokenGenerationV2TriggerEvent } from 'aws-lambda';
import type { StepUpGrantStore } from '../../ports/challenge-store';
import type { Clock } from '../../ports/clock';
import { pointedStepUpId } from './step-up-binding';
import {
  AMR_BY_METHOD,
  jsonLog,
  STEP_UP_CLAIMS,
  userIdentifiers,
  type CognitoTrigger,
  type DecisionTokenSettings,
  type TriggerLog,
} from './trigger-support';

export interface PreTokenGenerationDependencies {
  readonly clock: Clock;
  readonly stepUps: Pick<StepUpGrantStore, 'claimTokenClaims'>;
  readonly decisionTokens: DecisionTokenSettings;
  /**
   * How recent the grant must be. Cognito calls this trigger within the same RespondToAuthChallenge that passed
   * the code, so a minute covers its retries while a later, unrelated sign-in cannot pick the grant up.
   */
  readonly maxGrantAgeMs?: number;
  readonly log?: TriggerLog;
}

export const DEFAULT_CLAIM_WINDOW_MS = 60_000;

/** JSON claim values, as the V2 event accepts them (the aws-lambda types only allow strings). */
export type StepUpClaims = Record<string, string | number | boolean | readonly string[]>;

type V2Response = { claimsAndScopeOverrideDetails: Record<string, unknown> | null };

/**
 * Pre token generation (V2 event: ID and access tokens). When this sign-in just passed a step-up of this user, the
 * tokens get `step_up_id`, `step_up_acr`, `step_up_amr` and `step_up_at` (epoch seconds). The grant's claims are
 * issued once (a conditional write), so another sign-in that names the same step-up in its ClientMetadata gets
 * plain tokens. On any doubt or error the tokens are issued without the claims: less assurance, never more.
 */
export class PreTokenGenerationService {
  private readonly log: TriggerLog;

  constructor(private readonly deps: PreTokenGenerationDependencies) {
    this.log = deps.log ?? jsonLog;
  }

  readonly handle: CognitoTrigger<PreTokenGenerationV2TriggerEvent> = async (event) => {
    // Whatever the event arrived with is replaced: only what this function decided goes back to Cognito.
    let response: V2Response = { claimsAndScopeOverrideDetails: null };
    try {
      const claims = await this.claims(event);
      if (claims) {
        response = {
          claimsAndScopeOverrideDetails: {
            idTokenGeneration: { claimsToAddOrOverride: claims },
            accessTokenGeneration: { claimsToAddOrOverride: claims },
          },
        };
      }
    } catch (error) {
      this.log({ level: 'ERROR', trigger: 'pre_token', event: 'pre_token_failed', error: (error as Error)?.name });
    }
    (event as unknown as { response: V2Response }).response = response;
    return event;
  };

  private async claims(event: PreTokenGenerationV2TriggerEvent): Promise<StepUpClaims | undefined> {
    const now = this.deps.clock();
    const stepUpId = await pointedStepUpId(event, this.deps.decisionTokens, now);
    if (!stepUpId) return undefined;
    const grant = await this.deps.stepUps.claimTokenClaims({
      stepUpId,
      subjectIds: userIdentifiers(event),
      now,
      maxAgeMs: this.deps.maxGrantAgeMs ?? DEFAULT_CLAIM_WINDOW_MS,
    });
    this.log({ trigger: 'pre_token', stepUpId, outcome: grant ? 'claims_added' : 'no_fresh_grant' });
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
