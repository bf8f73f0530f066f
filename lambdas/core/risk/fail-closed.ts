import type { Policy } from '../policy/policy-schema';
import { resolveActionLevel } from './signals/action';
import type { Evaluation } from './types';

/**
 * The answer when the risk store is unreachable, so nothing could be scored: the policy's `failMode` for the
 * action's level decides (the schema only allows step_up or deny from medium up). The score is 0 because no
 * signal was evaluated, and the risk level is reported as high because the risk is unknown.
 *
 * @throws UnknownActionError when the action is not in the policy's catalogue.
 */
export function failClosed(policy: Policy, action: string): Evaluation {
  const level = resolveActionLevel(policy, action);
  const l = policy.levels[level];
  const decision = policy.failMode[level];
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
      { code: 'store.unavailable', points: 0, detail: `risk store unreachable; failMode.${level} is ${decision}` },
    ],
    level,
    rawScore: 0,
    teaches: false,
  };
  if (decision === 'step_up')
    evaluation.stepUp = { acr: l.acr, maxAgeSeconds: l.maxAgeSeconds, methods: [...l.methods] };
  return evaluation;
}
