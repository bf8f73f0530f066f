import type { PolicyRecord } from '../../ports/policy-store';
import type { PolicySource } from './collaborators';

/**
 * Holds the active policy for a few seconds per Lambda instance. A stale entry is refreshed by the next decision's
 * own read round trip (the ACTIVE item rides along in its BatchGet), so caching never costs an extra round trip
 * and a new policy takes effect everywhere within `ttlMs`.
 */
export class PolicyCache implements PolicySource {
  private entry: { record: PolicyRecord; fetchedAt: number } | undefined;

  constructor(private readonly ttlMs = 5000) {}

  fresh(now: number): PolicyRecord | undefined {
    return this.entry && now - this.entry.fetchedAt < this.ttlMs ? this.entry.record : undefined;
  }

  /** The last known policy however old: the fallback when the store is unreachable (fail closed needs levels). */
  lastKnown(): PolicyRecord | undefined {
    return this.entry?.record;
  }

  accept(record: PolicyRecord, now: number): void {
    this.entry = { record, fetchedAt: now };
  }
}
