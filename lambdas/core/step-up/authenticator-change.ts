import { ACTION_FLOORS, levelRank } from '../policy/guardrails';
import type { Policy, SensitivityLevel } from '../policy/policy-schema';
import { checkGrant, type GrantCheck } from '../risk/grant';

/**
 * Changing a user's authenticators (enrolling, replacing or removing one) is the action `mfa.change`: whoever can
 * do it decides what answers every later step-up, `critical` included. So a change redeems a fresh grant for
 * `mfa.change`, passed with a method the user already had (e-mail OTP counts), by this very user, in the same
 * session and on the same device the step-up was asked for, and only once. An access token alone proves none
 * of that: it may be stolen.
 */
export const AUTHENTICATOR_CHANGE_ACTION = 'mfa.change';

/** A stored step-up as this rule needs it. */
export interface ChangeGrant {
  readonly stepUpId: string;
  /** The decision API's user id the step-up was asked for. */
  readonly userId: string;
  readonly action: string;
  readonly acr: string;
  readonly status: 'pending' | 'granted' | 'failed';
  readonly grantedAt?: number;
  /**
   * When a change of authenticators redeemed it: each grant authorises one change. The decision API's own
   * redemption of a single-use (`critical`) grant does not count: an app that asks "may this user change their
   * authenticator?" and is told `allow` then makes that one change with the same grant.
   */
  readonly changeRedeemedAt?: number;
  readonly deviceId?: string;
  readonly sessionId?: string;
  /** The Cognito user who answered the step-up's challenge; absent when that cannot be established. */
  readonly passedBy?: string;
}

export interface ChangeRequest {
  /** The Cognito username of the access token making the change. */
  readonly username: string;
  readonly deviceId: string | undefined;
  readonly sessionId: string | undefined;
  /** Epoch ms. */
  readonly now: number;
}

/** The level a change of authenticators is judged at: the catalogue's, and never below the built-in floor. */
export function authenticatorChangeLevel(policy: Policy): SensitivityLevel {
  const floor = ACTION_FLOORS[AUTHENTICATOR_CHANGE_ACTION] ?? 'high';
  const configured = policy.actions[AUTHENTICATOR_CHANGE_ACTION]?.level ?? floor;
  return levelRank(configured) >= levelRank(floor) ? configured : floor;
}

/**
 * Whether `grant` may authorise a change of authenticators for `req`. The user is the Cognito user who passed the
 * challenge (the Verify trigger only lets a user pass a step-up asked for one of their own identifiers), so a
 * step-up asked under the app's id for the user (an e-mail address, say) binds to that Cognito user. Everything
 * else is the decision API's grant rule for `mfa.change`: acr, age (the level's max age), session and device
 * binding; and it must not have authorised a change already.
 */
export function checkAuthenticatorChangeGrant(grant: ChangeGrant, req: ChangeRequest, policy: Policy): GrantCheck {
  if (grant.status !== 'granted' || grant.grantedAt === undefined) {
    return { ok: false, why: 'the step-up was not passed' };
  }
  if (grant.passedBy === undefined || grant.passedBy !== req.username) {
    return { ok: false, why: 'grant belongs to another user' };
  }
  if (grant.changeRedeemedAt !== undefined) return { ok: false, why: 'grant already used' };
  return checkGrant(
    {
      stepUpId: grant.stepUpId,
      userId: grant.userId,
      action: grant.action,
      acr: grant.acr,
      grantedAt: grant.grantedAt,
      consumed: false,
      ...(grant.deviceId !== undefined ? { deviceId: grant.deviceId } : {}),
      ...(grant.sessionId !== undefined ? { sessionId: grant.sessionId } : {}),
    },
    {
      userId: grant.userId,
      action: AUTHENTICATOR_CHANGE_ACTION,
      deviceId: req.deviceId,
      sessionId: req.sessionId,
      now: req.now,
    },
    policy,
    authenticatorChangeLevel(policy),
  );
}
