import { UnknownActionError } from '../../errors';
import type { Policy, SensitivityLevel } from '../../policy/policy-schema';
import type { Reason } from '../types';
import type { SignalContext } from './context';

/** The catalogue level of an action; throws `UnknownActionError` for names not in the catalogue. */
export function resolveActionLevel(policy: Policy, action: string): SensitivityLevel {
  // Own properties only: "constructor" or "__proto__" must be unknown actions, not prototype members.
  const entry = Object.hasOwn(policy.actions, action) ? policy.actions[action] : undefined;
  if (entry === undefined) throw new UnknownActionError(action);
  return entry.level;
}

/** Always one 0-point reason, so every explanation says which level and thresholds applied. */
export function actionSignal(ctx: SignalContext, level: SensitivityLevel): Reason[] {
  const l = ctx.input.policy.levels[level];
  return [
    {
      code: 'action.sensitivity',
      points: 0,
      detail: `${ctx.input.action} is ${level}: step-up at ${l.stepUpAt}, deny at ${l.denyAt}`,
    },
  ];
}
