import type { AuditEvent } from '../../core/audit/audit-event';
import { generateTotpSecret, totpUri, TOTP_DEFAULTS, verifyTotp } from '../../core/step-up/totp';
import type { AccountContacts } from '../../ports/account-contacts';
import type {
  AuthenticatorStore,
  EnrolmentAuthorisation,
  GrantRedemption,
  PendingTotp,
} from '../../ports/challenge-store';
import type { Clock } from '../../ports/clock';
import type { ActivePolicySource } from '../../ports/policy-store';
import { auditActor, type UserActor } from '../actor';
import { ConflictError, InvalidInputError, NotFoundError, WorkflowError } from '../errors';
import {
  checkedGrant,
  exemptFromStepUp,
  redemptionAudit,
  StepUpInvalidError,
  StepUpRequiredError,
  usernameOf,
  type AuthenticatorChange,
} from './change-authorisation';

/** An enrolment not confirmed within this time has to start over (the secret was shown once). */
export const TOTP_PENDING_MS = 15 * 60_000;
/** Wrong codes accepted while confirming one enrolment: 5 tries of 10^6 leave a guess no real chance. */
export const TOTP_CONFIRM_TRIES = 5;

export interface TotpEnrolmentDependencies {
  readonly store: AuthenticatorStore;
  /** The active policy: the level (and so the max age and acr) of `mfa.change`, and the first-enrolment rule. */
  readonly policy: ActivePolicySource;
  /**
   * Whether the caller has a verified e-mail or phone; only asked when the policy allows a first authenticator
   * without a step-up for accounts that have neither. Without it, that exemption never applies.
   */
  readonly contacts?: AccountContacts;
  readonly clock: Clock;
  /** `crypto.randomBytes`. */
  readonly randomBytes: (size: number) => Uint8Array;
  /** Shown by authenticator apps next to the account (the `issuer` of the otpauth URI). */
  readonly issuerName: string;
  /** Where a failed contacts lookup is summarised (defaults to a JSON line on stderr). */
  readonly logError?: (summary: Record<string, unknown>) => void;
}

/** A pending secret, shown once, and what an authenticator app needs to use it. */
export interface TotpEnrolmentStarted {
  readonly status: 'pending';
  readonly replaces: boolean;
  readonly secret: string;
  readonly otpauthUri: string;
  readonly algorithm: string;
  readonly digits: number;
  readonly period: number;
  readonly confirmBy: string;
}

/**
 * Creates a pending secret. An active authenticator keeps answering step-ups until the new one is confirmed (then
 * it is replaced). Authorised by a passed step-up for `mfa.change`, spent in the same transaction (one grant, one
 * change), or, for a first authenticator only, by the policy's no-verified-contact exemption.
 */
export async function enrollTotp(deps: TotpEnrolmentDependencies, change: AuthenticatorChange) {
  const username = usernameOf(change.actor);
  const now = deps.clock();
  const { policy } = await deps.policy.active();
  const current = await deps.store.getTotp(username);
  const replaces = current?.status === 'active';
  let authorisation: EnrolmentAuthorisation;
  let redemption: GrantRedemption | undefined;
  let audit: AuditEvent | undefined;
  if (change.stepUpId !== undefined) {
    const stepUp = await checkedGrant(deps.store, change, username, now, policy);
    authorisation = {
      kind: 'step_up',
      stepUpId: stepUp.stepUpId,
      ...(stepUp.grantedMethod ? { method: stepUp.grantedMethod } : {}),
    };
    redemption = { stepUpId: stepUp.stepUpId, expectedRevision: stepUp.revision };
    audit = redemptionAudit(change.actor, stepUp, 'totp.enroll', now);
  } else if (!replaces && (await exemptFromStepUp(policy, change, deps.contacts, deps.logError))) {
    authorisation = { kind: 'no_verified_contact' };
  } else {
    throw new StepUpRequiredError();
  }
  const secret = generateTotpSecret(deps.randomBytes);
  const started = await deps.store.startTotpEnrolment({
    userId: username,
    secret,
    now,
    pendingMs: TOTP_PENDING_MS,
    authorisation,
    replaces,
    ...(redemption ? { redemption } : {}),
    ...(audit ? { audit } : {}),
  });
  if (started === 'grant_used') throw new StepUpInvalidError('grant already used');
  if (started === 'changed') throw new ConflictError('totp: the authenticator changed meanwhile; start again');
  return {
    status: 'pending',
    replaces,
    secret,
    otpauthUri: totpUri(secret, username, deps.issuerName),
    algorithm: TOTP_DEFAULTS.algorithm,
    digits: TOTP_DEFAULTS.digits,
    period: TOTP_DEFAULTS.stepSeconds,
    confirmBy: new Date(now + TOTP_PENDING_MS).toISOString(),
  } satisfies TotpEnrolmentStarted;
}

/** Audited with how the enrolment was authorised; the actor is the token's stable sub, the username beside it. */
function enrolledAudit(actor: UserActor, pending: PendingTotp, now: number): AuditEvent {
  const how = pending.authorisation;
  return {
    eventId: `totp:${pending.userId}:enrolled:${now}`,
    kind: 'mfa.enrolled',
    actor: auditActor(actor),
    subject: pending.userId,
    action: 'totp.confirm',
    outcome: 'active',
    at: new Date(now).toISOString(),
    data: {
      method: 'totp',
      username: pending.userId,
      replaced: pending.replaces,
      authorisedBy: how.kind,
      ...(how.kind === 'step_up' ? { stepUpId: how.stepUpId } : {}),
      ...(how.kind === 'step_up' && how.method ? { stepUpMethod: how.method } : {}),
    },
  };
}

/** Activates the pending secret when the user proves their app produces the current code. */
export async function confirmTotp(
  deps: TotpEnrolmentDependencies,
  actor: UserActor,
  code: string,
): Promise<{ replaced: boolean }> {
  const username = usernameOf(actor);
  const now = deps.clock();
  const pending = await deps.store.beginTotpConfirm(username, now, TOTP_CONFIRM_TRIES);
  if (!pending) {
    const current = await deps.store.getPendingTotp(username);
    if (current && current.pendingUntil > now && current.confirmTries >= TOTP_CONFIRM_TRIES) {
      throw new WorkflowError('rate_limited', 'code: too many wrong codes; start the enrolment again');
    }
    throw new ConflictError('totp: no enrolment to confirm; start one with POST /v1/step-up/totp/enroll');
  }
  const result = verifyTotp(pending.secret, code, now, { window: 1 });
  if (!result.ok || result.timeStep === undefined) {
    throw new InvalidInputError('code: does not match the current code of the enrolled secret', 'code');
  }
  if (!(await deps.store.activateTotp(pending, result.timeStep, now, enrolledAudit(actor, pending, now)))) {
    throw new ConflictError('totp: the enrolment changed while confirming; start again');
  }
  return { replaced: pending.replaces };
}

/** Removes the active authenticator, always with a passed step-up for `mfa.change` (spent in the same write). */
export async function removeTotp(deps: TotpEnrolmentDependencies, change: AuthenticatorChange): Promise<void> {
  const username = usernameOf(change.actor);
  if (change.stepUpId === undefined) throw new StepUpRequiredError();
  const now = deps.clock();
  const { policy } = await deps.policy.active();
  const stepUp = await checkedGrant(deps.store, change, username, now, policy);
  const removed = await deps.store.removeTotp({
    userId: username,
    now,
    redemption: { stepUpId: stepUp.stepUpId, expectedRevision: stepUp.revision },
    audit: [
      redemptionAudit(change.actor, stepUp, 'totp.remove', now),
      {
        eventId: `totp:${username}:removed:${now}`,
        kind: 'mfa.removed',
        actor: auditActor(change.actor),
        subject: username,
        action: 'totp.remove',
        outcome: 'removed',
        at: new Date(now).toISOString(),
        data: {
          method: 'totp',
          authorisedBy: 'step_up',
          stepUpId: stepUp.stepUpId,
          ...(stepUp.grantedMethod ? { stepUpMethod: stepUp.grantedMethod } : {}),
        },
      },
    ],
  });
  if (removed === 'grant_used') throw new StepUpInvalidError('grant already used');
  if (removed === 'not_enrolled') throw new NotFoundError('totp: no authenticator is enrolled');
}
