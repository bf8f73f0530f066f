import { SENSITIVITY_LEVELS, type Policy, type SensitivityLevel } from '../policy/policy-schema';
import type { GrantInfo } from './types';

/** A grant with maxAgeSeconds 0 ("every time") must still be redeemed promptly, and only once. */
export const SINGLE_USE_GRANT_WINDOW_SECONDS = 300;
/** Tolerated clock skew between the step-up flow that wrote `grantedAt` and the decision's `now`. */
export const GRANT_CLOCK_SKEW_MS = 60_000;

export type GrantCheck = { ok: true } | { ok: false; why: string };

/**
 * An acr satisfies a level when it is that level's acr or the acr of a more sensitive level. Policies order acrs
 * by level, so with maxAgeSeconds non-increasing (schema rule) a grant valid for a higher level is valid for every
 * lower one: raising an action's sensitivity can never make a grant work that did not work before.
 */
export function acrSatisfies(policy: Policy, acr: string, level: SensitivityLevel): boolean {
  for (let i = SENSITIVITY_LEVELS.indexOf(level); i < SENSITIVITY_LEVELS.length; i++) {
    const l = SENSITIVITY_LEVELS[i];
    if (l !== undefined && policy.levels[l].acr === acr) return true;
  }
  return false;
}

export function checkGrant(
  grant: GrantInfo,
  req: { userId: string; action: string; deviceId: string | undefined; sessionId: string | undefined; now: number },
  policy: Policy,
  level: SensitivityLevel,
): GrantCheck {
  if (grant.userId !== req.userId) return { ok: false, why: 'grant belongs to another user' };
  if (grant.action !== req.action) return { ok: false, why: `grant is for ${grant.action}` };
  if (grant.consumed) return { ok: false, why: 'grant already used' };
  if (!acrSatisfies(policy, grant.acr, level)) return { ok: false, why: `acr ${grant.acr} is too weak for ${level}` };
  const binding = checkBinding(grant, req);
  if (!binding.ok) return binding;
  const age = req.now - grant.grantedAt;
  if (age < -GRANT_CLOCK_SKEW_MS) return { ok: false, why: 'grant is dated in the future' };
  const window = grantWindowSeconds(policy, level);
  if (age > window * 1000) return { ok: false, why: `grant older than ${window} s` };
  return { ok: true };
}

/**
 * A grant made for a request that named a device or a session works only for requests that name the same one: a
 * request naming another one, or none, cannot borrow it (a grant is proof for one context, not for the account).
 */
export function checkBinding(
  grant: { deviceId?: string; sessionId?: string },
  req: { deviceId: string | undefined; sessionId: string | undefined },
): GrantCheck {
  if (grant.deviceId !== undefined && grant.deviceId !== req.deviceId) {
    return {
      ok: false,
      why: req.deviceId === undefined ? 'grant is bound to a device' : 'grant is bound to another device',
    };
  }
  if (grant.sessionId !== undefined && grant.sessionId !== req.sessionId) {
    return {
      ok: false,
      why: req.sessionId === undefined ? 'grant is bound to a session' : 'grant is bound to another session',
    };
  }
  return { ok: true };
}

/**
 * How old a grant may be for a level: its maxAgeSeconds, or 300 s for 0 ("every time": single use, but the user
 * needs a moment to come back). Never longer than for any less sensitive level, so that a policy with, say,
 * high = 60 s and critical = 0 does not accept a 4-minute-old grant for critical that high would refuse.
 */
export function grantWindowSeconds(policy: Policy, level: SensitivityLevel): number {
  let window = Infinity;
  const last = SENSITIVITY_LEVELS.indexOf(level);
  for (let i = 0; i <= last; i++) {
    const l = SENSITIVITY_LEVELS[i];
    if (l === undefined) continue;
    const maxAge = policy.levels[l].maxAgeSeconds;
    window = Math.min(window, maxAge === 0 ? SINGLE_USE_GRANT_WINDOW_SECONDS : maxAge);
  }
  return window;
}
