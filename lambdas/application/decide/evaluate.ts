import { listEntriesContaining } from '../../core/policy/compiled-policy';
import { contextKeysFor } from '../../core/risk/context-keys';
import { evaluate } from '../../core/risk/engine';
import { hasPseudonyms, pseudonymizeProfile, reidentifyProfile } from '../../core/risk/pseudonyms';
import type {
  Evaluation,
  EvaluationInput,
  GrantInfo,
  RequestFeatures,
  UserProfile,
  VelocityCounts,
} from '../../core/risk/types';
import type { StoredStepUp } from '../../ports/decision-store';
import type { DecisionRequest } from './decision-request';
import type { Loaded } from './load';

/** What the pure evaluation made of a loaded request, and the forms of its data the write needs. */
export interface Evaluated {
  readonly input: EvaluationInput;
  readonly evaluation: Evaluation;
  /** Whether the deciding policy stores pseudonyms (`privacy.hashIdentifiers`). */
  readonly hashed: boolean;
  /** The request in its stored form. */
  readonly features: RequestFeatures;
  /** The profile as evaluated (converted to the privacy setting's form when it was stored in the other). */
  readonly profile?: UserProfile;
  /** The converted profile, written with the decision whether or not it teaches; undefined when none was needed. */
  readonly converted?: UserProfile;
  readonly grant?: GrantInfo;
}

/** Only a granted step-up of this very user counts; anything else is ignored, never trusted. */
function grantFrom(stepUp: StoredStepUp | undefined, userId: string): GrantInfo | undefined {
  if (!stepUp || stepUp.status !== 'granted' || stepUp.userId !== userId || stepUp.grantedAt === undefined)
    return undefined;
  return {
    stepUpId: stepUp.stepUpId,
    userId: stepUp.userId,
    action: stepUp.action,
    acr: stepUp.acr,
    grantedAt: stepUp.grantedAt,
    consumed: stepUp.consumed,
    ...(stepUp.deviceId ? { deviceId: stepUp.deviceId } : {}),
    ...(stepUp.sessionId ? { sessionId: stepUp.sessionId } : {}),
  };
}

/**
 * A profile written under the other privacy setting, in this one's form (undefined when it already is): switched
 * on, every raw identifier becomes its pseudonym; switched off, this request's own pseudonyms get their raw keys
 * back. The conversion is written with the decision, learning or not.
 */
function convertProfile(profile: UserProfile, hashed: boolean, request: DecisionRequest): UserProfile | undefined {
  if (hashed) return pseudonymizeProfile(profile, (kind, key) => request.identity.pseudonym(kind, key));
  if (profile.pseudonymous !== true && !hasPseudonyms(profile)) return undefined;
  return reidentifyProfile(
    profile,
    contextKeysFor(request.features, request.address),
    contextKeysFor(request.identity.pseudonymous, undefined),
  );
}

/**
 * Step 2, evaluate: pure. Puts the request and its loaded state in the policy's privacy form (what is evaluated
 * is what is stored: pseudonyms, with the list entries the address matched for replays, when the setting is on;
 * the raw request otherwise) and runs the core engine. `mayRedeemGrant` is the workflow's retry rule.
 */
export function evaluateRequest(
  request: DecisionRequest,
  loaded: Loaded,
  velocity: VelocityCounts,
  mayRedeemGrant: boolean,
): Evaluated {
  const { state, readHashed } = loaded;
  const { policy } = loaded.policy;
  const hashed = policy.privacy.hashIdentifiers;
  const lists = hashed ? listEntriesContaining(policy, request.address) : [];
  const features: RequestFeatures = hashed
    ? { ...request.identity.pseudonymous, ...(lists.length > 0 ? { lists } : {}) }
    : request.features;
  const global = hashed || readHashed === false ? state.global : (state.globalAlternative ?? state.global);
  const converted = state.profile ? convertProfile(state.profile, hashed, request) : undefined;
  const profile = converted ?? state.profile;
  const grant = mayRedeemGrant ? grantFrom(state.stepUp, request.userId) : undefined;
  const input: EvaluationInput = {
    userId: request.userId,
    action: request.action,
    now: request.at,
    ...(request.sessionId ? { sessionId: request.sessionId } : {}),
    features,
    ...(profile ? { profile } : {}),
    velocity,
    global,
    ...(grant ? { grant } : {}),
    policy,
    // Lists are matched against the address itself; it is not part of anything stored.
    ...(hashed ? { address: request.features.ip } : {}),
  };
  return {
    input,
    evaluation: evaluate(input),
    hashed,
    features,
    ...(profile ? { profile } : {}),
    ...(converted ? { converted } : {}),
    ...(grant ? { grant } : {}),
  };
}
