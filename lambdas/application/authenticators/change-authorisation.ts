import type { AuditEvent } from '../../core/audit/audit-event';
import type { Policy } from '../../core/policy/policy-schema';
import { AUTHENTICATOR_CHANGE_ACTION, checkAuthenticatorChangeGrant } from '../../core/step-up/authenticator-change';
import type { AccountContacts } from '../../ports/account-contacts';
import type { AuthenticatorStore, StepUpRecord } from '../../ports/challenge-store';
import { auditActor, type UserActor } from '../actor';
import { RefusedError, WorkflowError } from '../errors';

/**
 * Who changes authenticators, and with which step-up: the signed-in user (the token's username keys the
 * authenticators, as the triggers see it as `userName`), the step-up for `mfa.change` they passed, and the
 * session and device the app made the request from.
 */
export interface AuthenticatorChange {
  readonly actor: UserActor;
  /** The caller's access token, only to ask the user pool for their verified contacts (the exemption below). */
  readonly accessToken?: string;
  readonly stepUpId?: string;
  readonly sessionId?: string;
  readonly deviceId?: string;
}

/** The request needs a passed step-up for `mfa.change` that it did not present. */
export class StepUpRequiredError extends WorkflowError {
  constructor() {
    super(
      'step_up_required',
      `stepUpId: changing authenticators needs a passed step-up for ${AUTHENTICATOR_CHANGE_ACTION}: ask POST /v1/decisions about ${AUTHENTICATOR_CHANGE_ACTION}, complete the step-up with a method you already have, and send its stepUpId`,
      { field: 'stepUpId', action: AUTHENTICATOR_CHANGE_ACTION },
    );
  }
}

/** The step-up presented cannot authorise this change: `why` names the rule it fails. */
export class StepUpInvalidError extends WorkflowError {
  constructor(why: string) {
    super('step_up_invalid', `stepUpId: ${why}; complete a new step-up for ${AUTHENTICATOR_CHANGE_ACTION}`, {
      field: 'stepUpId',
      action: AUTHENTICATOR_CHANGE_ACTION,
    });
  }
}

/** The Cognito username of the caller: only a user access token names one. */
export function usernameOf(actor: UserActor): string {
  if (!actor.username) throw new RefusedError('a user access token is required');
  return actor.username;
}

/** The grant named in the change, checked against every rule for a change of authenticators; refused otherwise. */
export async function checkedGrant(
  store: AuthenticatorStore,
  change: AuthenticatorChange,
  username: string,
  now: number,
  policy: Policy,
): Promise<StepUpRecord> {
  const stepUp = change.stepUpId !== undefined ? await store.getStepUp(change.stepUpId, now) : undefined;
  if (!stepUp) throw new StepUpInvalidError('no such step-up');
  const challenge = stepUp.grantedChallengeId ? await store.getChallenge(stepUp.grantedChallengeId) : undefined;
  const check = checkAuthenticatorChangeGrant(
    { ...stepUp, ...(challenge ? { passedBy: challenge.userId } : {}) },
    { username, deviceId: change.deviceId, sessionId: change.sessionId, now },
    policy,
  );
  if (!check.ok) throw new StepUpInvalidError(check.why);
  return stepUp;
}

/** The record of a grant spent on a change (`purpose`: totp.enroll, totp.remove), in the change's transaction. */
export function redemptionAudit(actor: UserActor, stepUp: StepUpRecord, purpose: string, now: number): AuditEvent {
  return {
    eventId: `grant:${stepUp.stepUpId}:redeemed`,
    kind: 'grant.redeemed',
    actor: auditActor(actor),
    subject: stepUp.userId,
    action: AUTHENTICATOR_CHANGE_ACTION,
    outcome: purpose,
    at: new Date(now).toISOString(),
    data: { stepUpId: stepUp.stepUpId, ...(stepUp.grantedMethod ? { stepUpMethod: stepUp.grantedMethod } : {}) },
  };
}

/**
 * The policy's exemption for a first authenticator: only for an account the user pool knows no verified contact
 * of (no method to step up with). When the user pool cannot tell, the account may be reachable, so the step-up
 * stays required.
 */
export async function exemptFromStepUp(
  policy: Policy,
  change: AuthenticatorChange,
  contacts: AccountContacts | undefined,
  logError: (summary: Record<string, unknown>) => void = (summary) =>
    console.error(JSON.stringify({ level: 'ERROR', ...summary })),
): Promise<boolean> {
  if ((policy.authenticators?.firstWithoutStepUp ?? 'never') !== 'no_verified_contact') return false;
  if (!contacts || !change.accessToken) return false;
  try {
    return !(await contacts.hasVerifiedContact(change.accessToken));
  } catch (error) {
    logError({ event: 'contacts_lookup_failed', name: (error as Error)?.name });
    return false;
  }
}
