import { createHash } from 'node:crypto';
import type { AuditEvent } from '../../core/audit/audit-event';
import type { Policy } from '../../core/policy/policy-schema';
import type { AccountContacts } from '../../ports/account-contacts';
import type { AuthenticatorStore, EnrolmentAuthorisation, GrantRedemption } from '../../ports/challenge-store';
import type { Clock } from '../../ports/clock';
import type { PasskeyStore, StoredPasskey } from '../../ports/passkey-store';
import type { ActivePolicySource } from '../../ports/policy-store';
import type { RelyingParty, WebAuthnCeremonies } from '../../ports/webauthn';
import { auditActor } from '../actor';
import {
  checkedGrant,
  exemptFromStepUp,
  redemptionAudit,
  StepUpInvalidError,
  StepUpRequiredError,
  usernameOf,
  type AuthenticatorChange,
} from '../authenticators/change-authorisation';
import { ConflictError, InvalidInputError, NotConfiguredError, NotFoundError } from '../errors';

/** A registration must be finished within this time (the browser's own ceremony timeout is the same). */
export const PASSKEY_REGISTRATION_MS = 5 * 60_000;
/** Passkeys one user may hold: enough for every device they own, few enough to list and offer in one assertion. */
export const MAX_PASSKEYS_PER_USER = 10;

export interface PasskeyRegistrationDependencies {
  readonly passkeys: PasskeyStore;
  /** The step-up grants and the TOTP authenticator, as the TOTP enrolment reads them. */
  readonly authenticators: Pick<AuthenticatorStore, 'getStepUp' | 'getChallenge' | 'getTotp'>;
  readonly policy: ActivePolicySource;
  readonly contacts?: AccountContacts;
  readonly ceremonies: WebAuthnCeremonies;
  /** Undefined when passkeys are not configured for this deployment (no RP ID): every route says so. */
  readonly relyingParty: RelyingParty | undefined;
  readonly clock: Clock;
  readonly randomBytes: (size: number) => Uint8Array;
  readonly logError?: (summary: Record<string, unknown>) => void;
}

/** What the API shows of a passkey: never the public key or the counter. */
export interface PasskeyView {
  readonly id: string;
  readonly name: string;
  readonly createdAt: string;
  readonly lastUsedAt?: string;
  readonly deviceType: 'singleDevice' | 'multiDevice';
  readonly backedUp: boolean;
  readonly transports: readonly string[];
}

export function viewOf(p: StoredPasskey): PasskeyView {
  return {
    id: p.passkeyId,
    name: p.name,
    createdAt: new Date(p.createdAt).toISOString(),
    ...(p.lastUsedAt !== undefined ? { lastUsedAt: new Date(p.lastUsedAt).toISOString() } : {}),
    deviceType: p.deviceType,
    backedUp: p.backedUp,
    transports: p.transports,
  };
}

/** The short public handle of a credential: its id can be over a kilobyte, which no key or path should carry. */
export function passkeyIdOf(credentialId: string): string {
  return createHash('sha256').update(credentialId, 'utf8').digest('hex').slice(0, 32);
}

/**
 * Registration and management of the signed-in user's passkeys. Registering and removing a passkey are changes
 * of authenticators, judged exactly like TOTP's (see authenticator-change.ts): each redeems a fresh step-up for
 * `mfa.change`, passed by this user, in the same transaction as the change, because whoever controls the
 * authenticators passes every later step-up. The one exemption is the policy's opt-in first authenticator for an
 * account with no verified contact and no other authenticator. Renaming changes nothing a step-up depends on, so
 * an access token suffices; it is audited all the same.
 */
export class PasskeyRegistration {
  private readonly logError: ((summary: Record<string, unknown>) => void) | undefined;

  constructor(private readonly deps: PasskeyRegistrationDependencies) {
    this.logError = deps.logError;
  }

  private rp(): RelyingParty {
    if (!this.deps.relyingParty) {
      throw new NotConfiguredError('passkeys are not configured for this deployment (no relying party)');
    }
    return this.deps.relyingParty;
  }

  /** The policy's first-authenticator exemption: no passkey, no TOTP, and no verified e-mail or phone. */
  private async exempt(policy: Policy, change: AuthenticatorChange, username: string, existing: number) {
    if (existing > 0) return false;
    if ((policy.authenticators?.firstWithoutStepUp ?? 'never') !== 'no_verified_contact') return false;
    if ((await this.deps.authenticators.getTotp(username))?.status === 'active') return false;
    return exemptFromStepUp(policy, change, this.deps.contacts, this.logError);
  }

  async start(change: AuthenticatorChange) {
    const username = usernameOf(change.actor);
    const rp = this.rp();
    const now = this.deps.clock();
    const { policy } = await this.deps.policy.active();
    const existing = await this.deps.passkeys.list(username);
    if (existing.length >= MAX_PASSKEYS_PER_USER) {
      throw new ConflictError(`passkeys: at most ${MAX_PASSKEYS_PER_USER} per user; remove one first`);
    }
    let authorisation: EnrolmentAuthorisation;
    let redemption: GrantRedemption | undefined;
    let audit: AuditEvent | undefined;
    if (change.stepUpId !== undefined) {
      const stepUp = await checkedGrant(this.deps.authenticators, change, username, now, policy);
      authorisation = {
        kind: 'step_up',
        stepUpId: stepUp.stepUpId,
        ...(stepUp.grantedMethod ? { method: stepUp.grantedMethod } : {}),
      };
      redemption = { stepUpId: stepUp.stepUpId, expectedRevision: stepUp.revision };
      audit = redemptionAudit(change.actor, stepUp, 'passkey.register', now);
    } else if (await this.exempt(policy, change, username, existing.length)) {
      authorisation = { kind: 'no_verified_contact' };
    } else {
      throw new StepUpRequiredError();
    }
    const challenge = Buffer.from(this.deps.randomBytes(32)).toString('base64url');
    const options = await this.deps.ceremonies.registrationOptions(rp, {
      userId: change.actor.subject,
      userName: username,
      challenge,
      exclude: existing.map((p) => ({ credentialId: p.credentialId, transports: p.transports })),
      timeoutMs: PASSKEY_REGISTRATION_MS,
    });
    const started = await this.deps.passkeys.startRegistration({
      pending: {
        userId: username,
        challenge,
        createdAt: now,
        pendingUntil: now + PASSKEY_REGISTRATION_MS,
        authorisation,
      },
      ...(redemption ? { redemption } : {}),
      ...(audit ? { audit } : {}),
    });
    if (started === 'grant_used') throw new StepUpInvalidError('grant already used');
    return { options, registerBy: new Date(now + PASSKEY_REGISTRATION_MS).toISOString() };
  }

  async finish(
    change: AuthenticatorChange,
    body: { readonly response: unknown; readonly name?: string | undefined },
  ): Promise<PasskeyView> {
    const username = usernameOf(change.actor);
    const rp = this.rp();
    const now = this.deps.clock();
    const pending = await this.deps.passkeys.getPendingRegistration(username, now);
    if (!pending) {
      throw new ConflictError(
        'passkeys: no registration to finish (or it expired); start one with POST /v1/step-up/passkeys/register/start',
      );
    }
    const check = await this.deps.ceremonies.verifyRegistration(rp, body.response, pending.challenge);
    if (!check.ok)
      throw new InvalidInputError(`response: the passkey could not be verified: ${check.reason}`, 'response');
    const verified = check.value;
    const passkey: StoredPasskey = {
      userId: username,
      passkeyId: passkeyIdOf(verified.credentialId),
      credentialId: verified.credentialId,
      publicKey: verified.publicKey,
      signCount: verified.signCount,
      transports: verified.transports,
      name: body.name ?? 'passkey',
      createdAt: now,
      deviceType: verified.deviceType,
      backedUp: verified.backedUp,
      aaguid: verified.aaguid,
    };
    const how = pending.authorisation;
    const result = await this.deps.passkeys.finishRegistration({
      passkey,
      challenge: pending.challenge,
      now,
      audit: {
        eventId: `passkey:${username}:${passkey.passkeyId}:enrolled`,
        kind: 'mfa.enrolled',
        actor: auditActor(change.actor),
        subject: username,
        action: 'passkey.register',
        outcome: 'active',
        at: new Date(now).toISOString(),
        data: {
          method: 'webauthn',
          username,
          passkeyId: passkey.passkeyId,
          deviceType: passkey.deviceType,
          backedUp: passkey.backedUp,
          aaguid: passkey.aaguid,
          authorisedBy: how.kind,
          ...(how.kind === 'step_up' ? { stepUpId: how.stepUpId } : {}),
          ...(how.kind === 'step_up' && how.method ? { stepUpMethod: how.method } : {}),
        },
      },
    });
    if (result === 'no_pending') {
      throw new ConflictError('passkeys: this registration was already finished or has expired; start again');
    }
    if (result === 'duplicate') throw new ConflictError('passkeys: this passkey is already registered');
    return viewOf(passkey);
  }

  async list(change: AuthenticatorChange): Promise<PasskeyView[]> {
    return (await this.deps.passkeys.list(usernameOf(change.actor))).map(viewOf);
  }

  async rename(change: AuthenticatorChange, passkeyId: string, name: string): Promise<PasskeyView> {
    const username = usernameOf(change.actor);
    const now = this.deps.clock();
    const current = await this.deps.passkeys.get(username, passkeyId);
    if (!current) throw new NotFoundError('passkeys: no such passkey');
    const renamed = await this.deps.passkeys.rename({
      userId: username,
      passkeyId,
      name,
      audit: {
        eventId: `passkey:${username}:${passkeyId}:renamed:${now}`,
        kind: 'mfa.renamed',
        actor: auditActor(change.actor),
        subject: username,
        action: 'passkey.rename',
        outcome: 'renamed',
        at: new Date(now).toISOString(),
        data: { method: 'webauthn', passkeyId },
      },
    });
    if (!renamed) throw new NotFoundError('passkeys: no such passkey');
    return viewOf({ ...current, name });
  }

  async remove(change: AuthenticatorChange, passkeyId: string): Promise<void> {
    const username = usernameOf(change.actor);
    if (change.stepUpId === undefined) throw new StepUpRequiredError();
    const now = this.deps.clock();
    const { policy } = await this.deps.policy.active();
    const stepUp = await checkedGrant(this.deps.authenticators, change, username, now, policy);
    if (!(await this.deps.passkeys.get(username, passkeyId))) {
      throw new NotFoundError('passkeys: no such passkey');
    }
    const removed = await this.deps.passkeys.remove({
      userId: username,
      passkeyId,
      now,
      redemption: { stepUpId: stepUp.stepUpId, expectedRevision: stepUp.revision },
      audit: [
        redemptionAudit(change.actor, stepUp, 'passkey.remove', now),
        {
          eventId: `passkey:${username}:${passkeyId}:removed`,
          kind: 'mfa.removed',
          actor: auditActor(change.actor),
          subject: username,
          action: 'passkey.remove',
          outcome: 'removed',
          at: new Date(now).toISOString(),
          data: {
            method: 'webauthn',
            passkeyId,
            authorisedBy: 'step_up',
            stepUpId: stepUp.stepUpId,
            ...(stepUp.grantedMethod ? { stepUpMethod: stepUp.grantedMethod } : {}),
          },
        },
      ],
    });
    if (removed === 'grant_used') throw new StepUpInvalidError('grant already used');
    if (removed === 'not_found') throw new NotFoundError('passkeys: no such passkey');
  }
}
