import { unmarshall } from '@aws-sdk/util-dynamodb';
import { isStepUpMethod } from '../../../core/step-up/challenge-policy';
import type { EnrolmentAuthorisation } from '../../../ports/challenge-store';
import { keyAttributes, n, s, type Item, type ItemKey } from './item';
import { expiresAt, TTL_SECONDS } from './ttl';

/**
 * A Cognito user's TOTP authenticator (`USER#<username>` / `STEPUP#TOTP`) and the enrolment that may replace it
 * (`STEPUP#TOTP#PENDING`), beside (never colliding with) the decision API's `PROFILE`. Secrets are stored sealed
 * (`sealedSecret`, see SecretSealer) under the context `totpSealContext(user)`, so a sealed seed copied to another
 * user's item does not open. Spent or removed items lose their secret and are left to TTL (no function deletes).
 */
export const totpKeys = {
  active: (userId: string): ItemKey => ({ pk: `USER#${userId}`, sk: 'STEPUP#TOTP' }),
  pending: (userId: string): ItemKey => ({ pk: `USER#${userId}`, sk: 'STEPUP#TOTP#PENDING' }),
};

export const totpSealContext = (userId: string) => `totp:${userId}`;

/** The stored fields of an authenticator, its secret still sealed. */
export interface SealedTotp {
  readonly sealedSecret: string;
  readonly status: 'pending' | 'active';
  readonly createdAt: number;
  readonly confirmTries: number;
  readonly pendingUntil?: number;
  readonly lastTimeStep?: number;
  readonly confirmedAt?: number;
}

export interface SealedPendingTotp {
  readonly sealedSecret: string;
  readonly createdAt: number;
  readonly pendingUntil: number;
  readonly confirmTries: number;
  readonly authorisation: EnrolmentAuthorisation;
  readonly replaces: boolean;
}

function numbers(raw: Record<string, unknown>) {
  return (name: string) => {
    const value = raw[name];
    return typeof value === 'number' ? value : undefined;
  };
}

/** Undefined for an item without a secret (removed) or of an unknown status. */
export function sealedTotpFromItem(item: Item): SealedTotp | undefined {
  const raw = unmarshall(item) as Record<string, unknown>;
  if (typeof raw.sealedSecret !== 'string' || (raw.status !== 'pending' && raw.status !== 'active')) return undefined;
  const num = numbers(raw);
  const pendingUntil = num('pendingUntil');
  const lastTimeStep = num('lastTimeStep');
  const confirmedAt = num('confirmedAt');
  return {
    sealedSecret: raw.sealedSecret,
    status: raw.status,
    createdAt: num('createdAt') ?? 0,
    confirmTries: num('confirmTries') ?? 0,
    ...(pendingUntil !== undefined ? { pendingUntil } : {}),
    ...(lastTimeStep !== undefined ? { lastTimeStep } : {}),
    ...(confirmedAt !== undefined ? { confirmedAt } : {}),
  };
}

/** The active authenticator as confirmed; it never expires. */
export function activeTotpToItem(
  userId: string,
  totp: { sealedSecret: string; createdAt: number; confirmedAt: number; lastTimeStep: number; confirmTries: number },
): Item {
  return {
    ...keyAttributes(totpKeys.active(userId)),
    status: s('active'),
    sealedSecret: s(totp.sealedSecret),
    createdAt: n(totp.createdAt),
    confirmedAt: n(totp.confirmedAt),
    lastTimeStep: n(totp.lastTimeStep),
    confirmTries: n(totp.confirmTries),
  };
}

/** Undefined for a spent enrolment (its secret removed). */
export function sealedPendingFromItem(item: Item): SealedPendingTotp | undefined {
  const raw = unmarshall(item) as Record<string, unknown>;
  if (typeof raw.sealedSecret !== 'string') return undefined;
  const num = (name: string) => numbers(raw)(name) ?? 0;
  const stepUpMethod = raw.stepUpMethod;
  const authorisation: EnrolmentAuthorisation =
    raw.authorisedBy === 'step_up' && typeof raw.stepUpId === 'string'
      ? { kind: 'step_up', stepUpId: raw.stepUpId, ...(isStepUpMethod(stepUpMethod) ? { method: stepUpMethod } : {}) }
      : { kind: 'no_verified_contact' };
  return {
    sealedSecret: raw.sealedSecret,
    createdAt: num('createdAt'),
    pendingUntil: num('pendingUntil'),
    confirmTries: num('confirmTries'),
    authorisation,
    replaces: raw.replaces === true,
  };
}

/** A new pending enrolment; it lives until its deadline plus `TTL_SECONDS.pendingTotpGrace`. */
export function pendingTotpToItem(userId: string, pending: SealedPendingTotp): Item {
  const { authorisation } = pending;
  return {
    ...keyAttributes(totpKeys.pending(userId)),
    sealedSecret: s(pending.sealedSecret),
    createdAt: n(pending.createdAt),
    pendingUntil: n(pending.pendingUntil),
    confirmTries: n(pending.confirmTries),
    replaces: { BOOL: pending.replaces },
    authorisedBy: s(authorisation.kind),
    ...(authorisation.kind === 'step_up' ? { stepUpId: s(authorisation.stepUpId) } : {}),
    ...(authorisation.kind === 'step_up' && authorisation.method ? { stepUpMethod: s(authorisation.method) } : {}),
    expiresAt: expiresAt(pending.pendingUntil, TTL_SECONDS.pendingTotpGrace),
  };
}
