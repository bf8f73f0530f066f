import { learn } from '../../core/risk/learning';
import { replayInputOf } from '../../core/simulation/replay-input';
import type { DecisionWrite } from '../../ports/decision-store';
import type { Answer } from './answer';
import type { DecisionRequest } from './decision-request';
import type { Evaluated } from './evaluate';
import type { Loaded } from './load';

/**
 * Step 4, build the write: everything the decision changes, for ONE write round trip. The record (with what a
 * replay needs), the answer under the request id, the profile (learned, or converted to the privacy setting's
 * form) guarded by the revision it was read at, the pending step-up, and a single-use grant's consumption.
 * Learning follows the core's verdict (`evaluation.teaches`).
 */
export function buildWrite(
  request: DecisionRequest,
  loaded: Loaded,
  evaluated: Evaluated,
  answered: Answer,
  idempotencyKey: string | undefined,
): DecisionWrite {
  const { state, policy } = loaded;
  const { evaluation, features, grant, hashed } = evaluated;
  // Recorded as observed: values new to the profile wait until the user comes back with them on another day (or
  // passes a step-up), so an allowed takeover does not make the attacker's context familiar.
  const learned = evaluation.teaches
    ? learn(evaluated.profile, features, request.at, 'observed', {
        learning: policy.policy.learning,
        geo: policy.policy.geo,
        afterFailures: state.velocity.userFailedSignIns > 0 || state.velocity.userFailedStepUps > 0,
      })
    : undefined;
  const nextProfile =
    learned && hashed ? { ...learned, pseudonymous: true as const } : (learned ?? evaluated.converted);
  const redeemed = evaluation.grantRedeemed && grant ? grant : undefined;
  // A critical action's grant (max age 0) is good for one decision: the decision that redeems it consumes it.
  const consumes =
    redeemed && evaluation.stepUp === undefined && state.stepUp && state.stepUp.maxAgeSeconds === 0
      ? { stepUpId: redeemed.stepUpId, expectedRevision: state.stepUp.revision }
      : undefined;
  return {
    record: {
      decisionId: answered.decisionId,
      userId: request.userId,
      action: request.action,
      at: request.at,
      clientId: request.clientId,
      ...(request.sessionId ? { sessionId: request.sessionId } : {}),
      ...(request.requestId ? { requestId: request.requestId } : {}),
      features,
      evaluation,
      policyVersion: policy.version,
      ...(answered.stepUp ? { stepUpId: answered.stepUp.stored.stepUpId } : {}),
      ...(redeemed ? { redeemedStepUpId: redeemed.stepUpId } : {}),
      ...(answered.shadow ? { shadow: answered.shadow } : {}),
      replay: replayInputOf(evaluated.input),
    },
    response: answered.response,
    ...(idempotencyKey ? { idempotencyKey, bodyHash: request.bodyDigest } : {}),
    ...(nextProfile
      ? {
          profile: {
            next: nextProfile,
            expectedRevision: state.profileRevision,
            learned: learned !== undefined,
            ...(learned && evaluated.profile ? { previous: evaluated.profile } : {}),
          },
        }
      : {}),
    ...(answered.stepUp ? { newStepUp: answered.stepUp.stored } : {}),
    ...(consumes ? { consumeGrant: consumes } : {}),
    retentionDays: policy.policy.retention.riskHistoryDays,
    receivedAt: request.receivedAt,
  };
}
