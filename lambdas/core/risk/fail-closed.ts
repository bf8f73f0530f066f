import type { Policy } from '../policy/policy-schema';
import { resolveActionLevel } from './signals/action';
import type { Evaluation, Reason } from './types';

/**
 * Why nothing could be scored or recorded:
 * - `store_unavailable`: the risk store could not be reached, so nothing was scored; the policy's `failMode`
 *   for the action's level decides (the schema only allows step_up or deny from medium up).
 * - `unrecorded`: the store answered, but the decision could not be recorded (its audit record kept being
 *   rejected, or concurrent writes for the same user kept winning). An unrecorded `allow` is exactly what an
 *   auditor must never find, so a failMode of `allow` is raised to `step_up` here; stricter fail modes stand.
 */
export type FailClosedCause = 'store_unavailable' | 'unrecorded';

/**
 * The answer when a decision cannot be made or recorded. The score is 0 because no signal was evaluated, and the
 * risk level is reported as high because the risk is unknown.
 *
 * @throws UnknownActionError when the action is not in the policy's catalogue.
 */
export function failClosed(policy: Policy, action: string, cause: FailClosedCause = 'store_unavailable'): Evaluation {
  const level = resolveActionLevel(policy, action);
  const l = policy.levels[level];
  const failMode = policy.failMode[level];
  const decision = cause === 'unrecorded' && failMode === 'allow' ? 'step_up' : failMode;
  const why: Reason =
    cause === 'store_unavailable'
      ? { code: 'store.unavailable', points: 0, detail: `risk store unreachable; failMode.${level} is ${decision}` }
      : {
          code: 'decision.unrecorded',
          points: 0,
          detail:
            `the decision could not be recorded; failMode.${level} is ${failMode}` +
            (decision === failMode ? '' : `, raised to ${decision}: an unrecorded decision is never allow`),
        };
  const evaluation: Evaluation = {
    decision,
    score: 0,
    riskLevel: 'high',
    reasons: [
      {
        code: 'action.sensitivity',
        points: 0,
        detail: `${action} is ${level}: step-up at ${l.stepUpAt}, deny at ${l.denyAt}`,
      },
      why,
    ],
    level,
    rawScore: 0,
    teaches: false,
  };
  if (decision === 'step_up')
    evaluation.stepUp = { acr: l.acr, maxAgeSeconds: l.maxAgeSeconds, methods: [...l.methods] };
  return evaluation;
}
