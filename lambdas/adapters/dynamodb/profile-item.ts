import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { SightingMap, UserProfile } from '../../core/risk/types';
import { memberId } from './risk-keys';

/** Hashed form of a failed attempt's address or network, as noted on the profile item. */
export function failedKeyOf(kind: 'ip' | 'net', value: string): string {
  return memberId(`${kind}:${value}`);
}

/**
 * The profile document of an item, with the failures the outcome route noted on the item since the document was
 * last written folded in (see core `recordFailure`): pending addresses and networks they came from are tainted.
 */
export function withNotedFailures(item: Record<string, AttributeValue>): UserProfile {
  const profile = JSON.parse(item.profile?.S ?? '{}') as UserProfile;
  const failedAt = Number(item.lastFailureAt?.N);
  if (Number.isFinite(failedAt) && !(failedAt <= (profile.lastFailure ?? -Infinity))) profile.lastFailure = failedAt;
  const noted = new Set(item.failedKeys?.SS ?? []);
  if (noted.size > 0 && profile.pending) {
    const taint = (map: SightingMap | undefined, kind: 'ip' | 'net') => {
      if (map === undefined) return;
      for (const key of Object.keys(map)) {
        const s = map[key];
        if (s && noted.has(failedKeyOf(kind, key))) s.tainted = true;
      }
    };
    taint(profile.pending.ips, 'ip');
    taint(profile.pending.asns, 'net');
    taint(profile.pending.prefixes, 'net');
  }
  return profile;
}
