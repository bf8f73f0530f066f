import { unmarshall } from '@aws-sdk/util-dynamodb';
import { isStepUpMethod } from '../../../core/step-up/challenge-policy';
import type { EnrolmentAuthorisation } from '../../../ports/challenge-store';
import type { PendingRegistration, StoredPasskey } from '../../../ports/passkey-store';
import { keyAttributes, n, s, type Item, type ItemKey } from './item';
import { expiresAt, TTL_SECONDS } from './ttl';

/**
 * Risk-table items of passkeys. Both sit in the Cognito user's `USER#` partition beside the TOTP items: one item
 * per credential (listed with one Query on the sort-key prefix) and the one pending registration ceremony. The
 * credential's sort key holds the short `passkeyId`, never the credential id itself, which may exceed the
 * 1 KB sort-key limit.
 */
export const passkeyKeys = {
  partition: (userId: string) => `USER#${userId}`,
  credentialPrefix: 'PASSKEY#CRED#',
  credential: (userId: string, passkeyId: string): ItemKey => ({
    pk: `USER#${userId}`,
    sk: `PASSKEY#CRED#${passkeyId}`,
  }),
  pending: (userId: string): ItemKey => ({ pk: `USER#${userId}`, sk: 'PASSKEY#PENDING' }),
};

export function passkeyToItem(p: StoredPasskey): Item {
  return {
    ...keyAttributes(passkeyKeys.credential(p.userId, p.passkeyId)),
    kind: s('passkey'),
    userId: s(p.userId),
    passkeyId: s(p.passkeyId),
    credentialId: s(p.credentialId),
    publicKey: s(p.publicKey),
    signCount: n(p.signCount),
    transports: { L: p.transports.map(s) },
    name: s(p.name),
    createdAt: n(p.createdAt),
    deviceType: s(p.deviceType),
    backedUp: { BOOL: p.backedUp },
    aaguid: s(p.aaguid),
    ...(p.lastUsedAt !== undefined ? { lastUsedAt: n(p.lastUsedAt) } : {}),
  };
}

/**
 * Undefined for an item that is not a well-formed passkey (a corrupted credential must never verify) or that was
 * removed: removal marks the item (no stepgate function may delete) and TTL clears it later.
 */
export function passkeyFromItem(item: Item): StoredPasskey | undefined {
  const raw = unmarshall(item) as Record<string, unknown>;
  if (raw.removedAt !== undefined) return undefined;
  const str = (name: string) => (typeof raw[name] === 'string' ? raw[name] : undefined);
  const num = (name: string) => (typeof raw[name] === 'number' && Number.isFinite(raw[name]) ? raw[name] : undefined);
  const userId = str('userId');
  const passkeyId = str('passkeyId');
  const credentialId = str('credentialId');
  const publicKey = str('publicKey');
  const signCount = num('signCount');
  const createdAt = num('createdAt');
  if (!userId || !passkeyId || !credentialId || !publicKey || signCount === undefined || createdAt === undefined) {
    return undefined;
  }
  const lastUsedAt = num('lastUsedAt');
  return {
    userId,
    passkeyId,
    credentialId,
    publicKey,
    signCount,
    createdAt,
    transports: Array.isArray(raw.transports) ? raw.transports.filter((t): t is string => typeof t === 'string') : [],
    name: str('name') ?? 'passkey',
    deviceType: raw.deviceType === 'multiDevice' ? 'multiDevice' : 'singleDevice',
    backedUp: raw.backedUp === true,
    aaguid: str('aaguid') ?? '',
    ...(lastUsedAt !== undefined ? { lastUsedAt } : {}),
  };
}

export function pendingToItem(p: PendingRegistration): Item {
  const how = p.authorisation;
  return {
    ...keyAttributes(passkeyKeys.pending(p.userId)),
    kind: s('passkey_pending'),
    userId: s(p.userId),
    challenge: s(p.challenge),
    createdAt: n(p.createdAt),
    pendingUntil: n(p.pendingUntil),
    authorisedBy: s(how.kind),
    ...(how.kind === 'step_up' ? { stepUpId: s(how.stepUpId) } : {}),
    ...(how.kind === 'step_up' && how.method ? { stepUpMethod: s(how.method) } : {}),
    expiresAt: expiresAt(p.pendingUntil, TTL_SECONDS.pendingPasskeyGrace),
  };
}

/** Undefined once the ceremony was finished (`usedAt`): each registration challenge is answered once. */
export function pendingFromItem(item: Item): PendingRegistration | undefined {
  const raw = unmarshall(item) as Record<string, unknown>;
  if (raw.usedAt !== undefined) return undefined;
  if (typeof raw.userId !== 'string' || typeof raw.challenge !== 'string') return undefined;
  if (typeof raw.createdAt !== 'number' || typeof raw.pendingUntil !== 'number') return undefined;
  let authorisation: EnrolmentAuthorisation;
  if (raw.authorisedBy === 'step_up' && typeof raw.stepUpId === 'string') {
    authorisation = {
      kind: 'step_up',
      stepUpId: raw.stepUpId,
      ...(isStepUpMethod(raw.stepUpMethod) ? { method: raw.stepUpMethod } : {}),
    };
  } else if (raw.authorisedBy === 'no_verified_contact') {
    authorisation = { kind: 'no_verified_contact' };
  } else {
    return undefined;
  }
  return {
    userId: raw.userId,
    challenge: raw.challenge,
    createdAt: raw.createdAt,
    pendingUntil: raw.pendingUntil,
    authorisation,
  };
}

/** The `expiresAt` of a passkey removed at `now`: marked removed (never usable again), left to TTL. */
export function removedPasskeyExpiry(now: number) {
  return expiresAt(now, TTL_SECONDS.removedPasskey);
}
