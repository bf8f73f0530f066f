import type { DecisionTokenSigner, IssuedStepUp, ShadowResult, ShadowScorer, StepUpIssuer } from './collaborators';
import type { DecisionRequest, DecisionResponse } from './decision-request';
import type { Evaluated } from './evaluate';
import type { Loaded } from './load';

export interface AnswerDependencies {
  readonly newId: () => string;
  readonly stepUps: StepUpIssuer;
  readonly signDecisionToken?: DecisionTokenSigner;
  readonly shadow?: ShadowScorer;
}

/** What the app is told, and what the write records beside it. */
export interface Answer {
  readonly decisionId: string;
  readonly response: DecisionResponse;
  readonly stepUp?: IssuedStepUp;
  readonly shadow?: ShadowResult;
}

/**
 * Step 3, answer: the response to the app. A `step_up` decision gets a new pending step-up and its RFC 9470
 * challenge; a sign-in gets a signed decision token for the Cognito triggers; with a shadow run active, the same
 * input is scored under the candidate policy too (recorded, never answered).
 */
export async function answer(
  deps: AnswerDependencies,
  request: DecisionRequest,
  loaded: Loaded,
  evaluated: Evaluated,
): Promise<Answer> {
  const { evaluation } = evaluated;
  const policyVersion = loaded.policy.version;
  const decisionId = deps.newId();
  const response: DecisionResponse = {
    decisionId,
    decision: evaluation.decision,
    score: evaluation.score,
    riskLevel: evaluation.riskLevel,
    reasons: evaluation.reasons,
    policyVersion,
  };
  const stepUp =
    evaluation.decision === 'step_up' && evaluation.stepUp
      ? deps.stepUps.issue({ request, decisionId, requirement: evaluation.stepUp, features: evaluated.features })
      : undefined;
  if (stepUp) {
    response.stepUp = stepUp.answer;
    response.wwwAuthenticate = stepUp.wwwAuthenticate;
  }
  if (request.action === 'auth.sign_in' && deps.signDecisionToken) {
    response.decisionToken = await deps.signDecisionToken({
      sub: request.userId,
      decisionId,
      decision: evaluation.decision,
      ...(stepUp ? { stepUpId: stepUp.stored.stepUpId } : {}),
      score: evaluation.score,
      policyVersion,
      now: request.receivedAt,
    });
  }
  const shadow = deps.shadow?.score(evaluated.input);
  return { decisionId, response, ...(stepUp ? { stepUp } : {}), ...(shadow ? { shadow } : {}) };
}
