import type { VelocityCounts } from '../../core/risk/types';
import type { DecisionState, DecisionStore } from '../../ports/decision-store';
import type { PolicyRecord } from '../../ports/policy-store';
import type { Idempotency, PolicySource, ShadowScorer } from './collaborators';
import type { DecisionRequest } from './decision-request';

export interface LoadDependencies {
  readonly store: Pick<DecisionStore, 'load'>;
  readonly policies: PolicySource;
  /** In force when no policy was ever read (a cold start with an empty policy table, or during an outage). */
  readonly fallbackPolicy: PolicyRecord;
  readonly idempotency: Idempotency;
  readonly shadow?: ShadowScorer;
}

/** The decision's state after its one read round trip, and the policy it is decided under. */
export interface Loaded {
  readonly state: DecisionState;
  readonly policy: PolicyRecord;
  /**
   * The privacy setting the stored records were read in: known from the cached policy, or `undefined` when the
   * policy rode along in this very read (both forms' population counters were then read).
   */
  readonly readHashed: boolean | undefined;
}

/**
 * Step 1, load: ONE read round trip. The profile, velocity, population counts, the presented step-up and the
 * request id's earlier answer are read together; the active policy (and shadow candidate) ride along when the cache
 * is stale. `counted` is the velocity this decision counted on its first read: a retry's read does not count again
 * (a retry is not a new request, and its own read would see this request's increment).
 */
export async function load(
  deps: LoadDependencies,
  request: DecisionRequest,
  counted: VelocityCounts | undefined,
): Promise<Loaded> {
  const cached = deps.policies.fresh(request.receivedAt);
  // Which form the records are in depends on the policy; when it rides along in this very read, the population
  // counters of both forms are read (the coarse levels are shared, so only the identifier levels double).
  const readHashed = cached?.policy.privacy.hashIdentifiers;
  const idempotencyKey = deps.idempotency.keyOf(request);
  const state = await deps.store.load({
    userId: request.userId,
    features: readHashed === false ? request.features : request.identity.pseudonymous,
    ...(readHashed === undefined ? { alternativeFeatures: request.features } : {}),
    velocityKeys: request.identity.velocityKeys,
    ...(request.stepUpId ? { stepUpId: request.stepUpId } : {}),
    ...(idempotencyKey ? { idempotencyKey } : {}),
    includePolicy: cached === undefined,
    now: request.receivedAt,
    count: counted === undefined,
  });
  if (state.policy) deps.policies.accept(state.policy, request.receivedAt);
  if (state.shadow !== undefined) deps.shadow?.refresh?.(state.shadow);
  const policy = state.policy ?? cached ?? deps.policies.lastKnown() ?? deps.fallbackPolicy;
  return { state, policy, readHashed };
}
